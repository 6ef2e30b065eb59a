-- wrk script for benchmarks/latency.py --http: POST /v1/shortlist for a random role per request.
--   WRK_ROLES=roles.txt (one role id a line) WRK_K=50 WRK_KEY=bench WRK_SEED=1 \
--   wrk -t1 -c8 -d60s -s benchmarks/wrk_shortlist.lua http://127.0.0.1:8765
-- Prints one line "WRK_JSON {...}" (counts, errors by kind, latency percentiles in microseconds).
local roles = {}
for line in io.lines(os.getenv("WRK_ROLES")) do
  if #line > 0 then roles[#roles + 1] = line end
end
local k = tonumber(os.getenv("WRK_K") or "50")
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. (os.getenv("WRK_KEY") or "bench"),
}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
end

function init(args)
  math.randomseed(tonumber(os.getenv("WRK_SEED") or "1") * 7919 + (thread_id or 0))
end

function request()
  local body = string.format('{"role_id": "%s", "k": %d}', roles[math.random(#roles)], k)
  return wrk.format("POST", "/v1/shortlist", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "non_2xx": %d, "connect": %d, "read": %d, '
      .. '"write": %d, "timeout": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, '
      .. '"max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean,
    latency.max))
end
