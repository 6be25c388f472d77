-- wrk scenario: shoppers opening listing pages, the popular ones far more often.
--   psql … -Atc "SELECT id FROM listings WHERE status = 'active' ORDER BY random() LIMIT 20000" > /tmp/listing-ids.txt
--   wrk -t2 -c32 -d30s -s loadtest/browse.lua http://127.0.0.1:8080 -- /tmp/listing-ids.txt [exponent]
-- Listing k (1-based, in file order) is opened with probability ∝ 1 / k^exponent
-- (Zipf; exponent 1.0 by default): a few parts everyone looks at, a long tail of
-- parts one shopper looks at once. Each wrk thread draws its own sequence.

local ids = {}
local cumulative = {}
local total = 0

function init(args)
  local path = args[1] or "/tmp/listing-ids.txt"
  local exponent = tonumber(args[2] or "") or 1.0
  for line in io.lines(path) do
    if #line > 0 then ids[#ids + 1] = line end
  end
  assert(#ids > 0, "no listing ids in " .. path)
  for k = 1, #ids do
    total = total + 1 / (k ^ exponent)
    cumulative[k] = total
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000)
end

-- The first listing whose cumulative weight reaches a uniform draw.
local function pick()
  local target = math.random() * total
  local low, high = 1, #cumulative
  while low < high do
    local middle = math.floor((low + high) / 2)
    if cumulative[middle] < target then low = middle + 1 else high = middle end
  end
  return ids[low]
end

function request()
  return wrk.format("GET", "/api/v1/listings/" .. pick())
end

function response(status)
  if status ~= 200 then
    io.stderr:write("status " .. status .. "\n")
  end
end

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "summary.lua")

function done(summary, latency)
  report(summary, latency)
end
