-- wrk script: every request files a complaint (POST /api/v1/complaints/) with an order number no other
-- request uses: the run's id (new for every wrk invocation), the thread's number and a counter. Amounts and
-- payment references come from math.random, seeded per thread. Any answer but 201 is counted per status in
-- response() and reported by done(), together with the latency percentiles, as one JSON line.
--
-- wrk -t2 -c4 -d30s -s bench/filing.lua http://127.0.0.1:8123 -- <consumer token> <platform slug> <run id>

-- Globals, not locals: thread:set() writes globals of the thread's own Lua state, which a local would hide.
threads = {}
started_threads = 0

function setup(thread)
  started_threads = started_threads + 1
  thread:set("thread_number", started_threads)
  table.insert(threads, thread)
end

function init(args)
  local token, platform = args[1], args[2]
  run_id = args[3] or tostring(os.time())
  -- Seeded per thread: the threads draw different amounts and payment references.
  math.randomseed(os.time() + thread_number * 7919)
  counter = 0
  non_201 = 0
  statuses = {}
  first_error = ""
  paid_at = os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() - 3 * 3600)
  body_format = '{"platform":"' .. platform .. '","order_number":"%s","paid_at":"' .. paid_at .. '",'
    .. '"amount":"%d.00","payment_channel":"alipay","payment_reference":"2026%012d",'
    .. '"product_name":"王者荣耀 648 点券","problem":"card_key_missing",'
    .. '"platform_order_status":"awaiting_delivery","description":"付款后一直待发货，客服无回应。",'
    .. '"desired_outcome":"delivery"}'
  wrk.method = "POST"
  wrk.path = "/api/v1/complaints/"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Token " .. token
end

function request()
  counter = counter + 1
  local order_number = string.format("BENCH-%s-%d-%d", run_id, thread_number, counter)
  local body = string.format(body_format, order_number, math.random(10, 648), math.random(0, 999999999))
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status ~= 201 then
    non_201 = non_201 + 1
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
    if first_error == "" then
      first_error = string.sub(body or "", 1, 300)
    end
  end
end

local function json_string(value)
  return '"' .. string.gsub(value, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local total_non_201 = 0
  local by_status = {}
  local sample_error = ""
  for _, thread in ipairs(threads) do
    total_non_201 = total_non_201 + (thread:get("non_201") or 0)
    for code, count in pairs(thread:get("statuses") or {}) do
      by_status[code] = (by_status[code] or 0) + count
    end
    if sample_error == "" then
      sample_error = thread:get("first_error") or ""
    end
  end
  local parts = {}
  for code, count in pairs(by_status) do
    table.insert(parts, string.format('"%s":%d', code, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,'
      .. '"non_201":%d,"statuses":{%s},"socket_errors":%d,"first_error":%s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    total_non_201, table.concat(parts, ","),
    errors.connect + errors.read + errors.write + errors.timeout, json_string(sample_error)
  ))
end
