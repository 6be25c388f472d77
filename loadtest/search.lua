-- wrk scenario: keep-alive searches cycling through a list of URL-encoded queries.
--   wrk -t2 -c32 -d30s -s loadtest/search.lua http://127.0.0.1:8080 -- /tmp/queries.txt
-- Each line of the file is one query as a shopper typed it (raw text, UTF-8).

local queries = {}
local counter = 0

local function urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local path = args[1] or "/tmp/queries.txt"
  for line in io.lines(path) do
    if #line > 0 then queries[#queries + 1] = urlencode(line) end
  end
  assert(#queries > 0, "no queries in " .. path)
end

function request()
  counter = counter + 1
  local q = queries[(counter % #queries) + 1]
  return wrk.format("GET", "/api/v1/search?limit=20&q=" .. q)
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
