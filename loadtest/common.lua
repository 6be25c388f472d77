-- What the wrk scenarios share: reading their input files, URL encoding, the Zipf draw
-- of popular items, and the report every scenario prints at the end (rate, latency
-- percentiles and the error rate, next to the plan's targets).
--   local common = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
--   done = common.done
local common = {}

function common.urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

-- The non-empty lines of the file at `path`.
function common.lines(path)
  local out = {}
  for line in io.lines(path) do
    if #line > 0 then out[#out + 1] = line end
  end
  assert(#out > 0, "nothing in " .. path)
  return out
end

-- A function drawing from `items` with item k (1-based) weighted 1 / k^exponent: a few
-- things everyone looks at, a long tail looked at once. Seeded per wrk thread.
function common.zipf(items, exponent)
  local cumulative, total = {}, 0
  for k = 1, #items do
    total = total + 1 / (k ^ exponent)
    cumulative[k] = total
  end
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000)
  return function()
    local target = math.random() * total
    local low, high = 1, #cumulative
    while low < high do
      local middle = math.floor((low + high) / 2)
      if cumulative[middle] < target then low = middle + 1 else high = middle end
    end
    return items[low]
  end
end

-- wrk's end-of-run hook: rate, latency percentiles and errors (non-2xx and socket).
function common.done(summary, latency)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local errors = e.status + socket
  io.write(string.format("requests %d in %.1f s: %.0f/s\n", summary.requests, seconds, summary.requests / seconds))
  io.write(string.format("latency p50 %.2f ms, p95 %.2f ms, p99 %.2f ms (plan: API p95 < 200 ms)\n",
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
  io.write(string.format("errors %d (%.3f %%; plan: < 0.1 %%): %d non-2xx, %d socket\n", errors,
    100 * errors / math.max(summary.requests, 1), e.status, socket))
end

-- Reports a status other than 200 as it happens.
function common.response(status)
  if status ~= 200 then
    io.stderr:write("status " .. status .. "\n")
  end
end

return common
