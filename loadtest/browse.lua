-- wrk scenario: shoppers opening listing pages, the popular ones far more often.
--   psql … -Atc "SELECT id FROM listings WHERE status = 'active' ORDER BY random() LIMIT 20000" > /tmp/listing-ids.txt
--   wrk -t2 -c32 -d30s -s loadtest/browse.lua http://127.0.0.1:8080 -- /tmp/listing-ids.txt [exponent]
-- Listing k (1-based, in file order) is opened with probability ∝ 1 / k^exponent
-- (Zipf; exponent 1.0 by default): a few parts everyone looks at, a long tail of
-- parts one shopper looks at once. Each wrk thread draws its own sequence.

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
local pick

function init(args)
  pick = common.zipf(common.lines(args[1] or "/tmp/listing-ids.txt"), tonumber(args[2] or "") or 1.0)
end

function request()
  return wrk.format("GET", "/api/v1/listings/" .. pick())
end

response = common.response
done = common.done
