-- wrk scenario: shoppers, as they use the public API together.
--   wrk -t2 -c64 -d30s --latency -s loadtest/shoppers.lua http://127.0.0.1:8080 -- \
--       /tmp/queries.txt /tmp/listing-ids.txt /tmp/seller-ids.txt
-- Of every 20 requests: 10 searches (one in four narrowed by a facet, as a shopper taps
-- one), 3 suggestions for the first word of a query, 5 listing pages (popular ones far
-- more often: Zipf, exponent 1), 1 seller page, 1 category or make list. Queries are raw
-- text, one per line; listing and seller ids one per line. Ends with summary.lua's report.

local queries, first_words, listings, sellers = {}, {}, {}, {}
local cumulative, total = {}, 0
local counter = 0
local FACETS = { "&condition=new", "&condition=used", "&city=Riyadh", "&sort=price_asc" }
local PLAN = { "search", "listing", "search", "suggest", "search", "listing", "search", "seller", "search",
  "listing", "search", "suggest", "search", "listing", "search", "taxonomy", "search", "listing", "search",
  "suggest" }

local function urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function lines(path, into)
  for line in io.lines(path) do
    if #line > 0 then into[#into + 1] = line end
  end
  assert(#into > 0, "nothing in " .. path)
end

function init(args)
  local raw = {}
  lines(args[1] or "/tmp/queries.txt", raw)
  for _, q in ipairs(raw) do
    queries[#queries + 1] = urlencode(q)
    -- Splitting at a space keeps UTF-8 sequences whole.
    first_words[#first_words + 1] = urlencode(q:match("^(%S+)") or q)
  end
  lines(args[2] or "/tmp/listing-ids.txt", listings)
  lines(args[3] or "/tmp/seller-ids.txt", sellers)
  for k = 1, #listings do
    total = total + 1 / k
    cumulative[k] = total
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000)
end

local function popular_listing()
  local target = math.random() * total
  local low, high = 1, #cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < target then low = middle + 1 else high = middle end
  end
  return listings[low]
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

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "summary.lua")

function done(summary, latency)
  report(summary, latency)
end
