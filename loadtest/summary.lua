-- The summary every wrk scenario prints at the end: rate, latency percentiles and the
-- error rate (any answer but 2xx, and socket errors), next to the plan's targets.
--   local report = dofile(here .. "summary.lua"); function done(s, l) report(s, l) end
return function(summary, latency)
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
