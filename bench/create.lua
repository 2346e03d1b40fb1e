-- wrk script: create customers through the API, each with a new name.
-- The token comes from the environment (BENCH_TOKEN).
local token = os.getenv("BENCH_TOKEN")
local threads = 0
n = 0

-- Runs in the main state: gives each thread its own prefix for names.
setup = function(thread)
  threads = threads + 1
  thread:set("tag", string.format("%d-%d", os.time(), threads))
end

request = function()
  n = n + 1
  local body = string.format('{"name": "压测客户 %s-%d", "grade": "B", "industry": "制造业"}', tag, n)
  return wrk.format("POST", "/api/v1/customers", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

local failed = 0
response = function(status, headers, body)
  if status ~= 201 then
    failed = failed + 1
    if failed <= 3 then io.write(string.format("status %d: %s\n", status, body:sub(1, 200))) end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx or errors: %d\n", summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
