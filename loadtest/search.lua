-- wrk scenario: keep-alive searches cycling through a list of URL-encoded queries.
--   wrk -t2 -c32 -d30s -s loadtest/search.lua http://127.0.0.1:8080 -- /tmp/queries.txt
-- Each line of the file is one query as a shopper typed it (raw text, UTF-8).

local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
local queries = {}
local counter = 0

function init(args)
  for _, line in ipairs(common.lines(args[1] or "/tmp/queries.txt")) do
    queries[#queries + 1] = common.urlencode(line)
  end
end

function request()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  return wrk.format("GET", "/api/v1/search?limit=20&q=" .. q)
end

response = common.response
done = common.done
