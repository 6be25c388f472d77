-- wrk scenario: shoppers, as they use the public API together.
--   wrk -t2 -c64 -d30s --latency -s loadtest/shoppers.lua http://127.0.0.1:8080 -- \
--       /tmp/queries.txt /tmp/listing-ids.txt /tmp/seller-ids.txt
-- Of every 20 requests: 10 searches (one in four narrowed by a facet, as a shopper taps
-- one), 3 suggestions for the first word of a query, 5 listing pages (popular ones far
-- more often: Zipf, exponent 1), 1 seller page, 1 category or make list. Queries are raw
-- text, one per line; listing and seller ids one per line. Ends with common.lua's report.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
local queries, first_words, sellers = {}, {}, {}
local popular_listing
local counter = 0
local FACETS = { "&condition=new", "&condition=used", "&city=Riyadh", "&sort=price_asc" }
local PLAN = { "search", "listing", "search", "suggest", "search", "listing", "search", "seller", "search",
  "listing", "search", "suggest", "search", "listing", "search", "taxonomy", "search", "listing", "search",
  "suggest" }

function init(args)
  for _, q in ipairs(common.lines(args[1] or "/tmp/queries.txt")) do
    queries[#queries + 1] = common.urlencode(q)
    -- Splitting at a space keeps UTF-8 sequences whole.
    first_words[#first_words + 1] = common.urlencode(q:match("^(%S+)") or q)
  end
  popular_listing = common.zipf(common.lines(args[2] or "/tmp/listing-ids.txt"), 1.0)
  sellers = common.lines(args[3] or "/tmp/seller-ids.txt")
end

function request()
  counter = counter + 1
  local kind = PLAN[(counter % #PLAN) + 1]
  if kind == "search" then
    local path = "/api/v1/search?limit=20&q=" .. queries[math.random(#queries)]
    if math.random(4) == 1 then path = path .. FACETS[math.random(#FACETS)] end
    return wrk.format("GET", path)
  elseif kind == "suggest" then
    return wrk.format("GET", "/api/v1/search/suggest?q=" .. first_words[math.random(#first_words)])
  elseif kind == "listing" then
    return wrk.format("GET", "/api/v1/listings/" .. popular_listing())
  elseif kind == "seller" then
    return wrk.format("GET", "/api/v1/sellers/" .. sellers[math.random(#sellers)])
  elseif math.random(2) == 1 then
    return wrk.format("GET", "/api/v1/categories")
  else
    return wrk.format("GET", "/api/v1/makes")
  end
end

response = common.response
done = common.done
