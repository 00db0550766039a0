-- wrk script of bench/load.py: rotates over a file of requests and, in rate mode, holds a fixed
-- request rate with latencies measured from each request's *intended* send time.
--
--   wrk -t T -c C -d 30s -s bench/load.lua URL -- REQUESTS_FILE closed
--   wrk -t N -c N -d 30s -s bench/load.lua URL -- REQUESTS_FILE rate RATE
--
-- REQUESTS_FILE: one request a line, "METHOD<TAB>PATH[<TAB>JSON BODY]" (shuffled by bench/load.py,
-- so the threads walk many participants each). The Authorization header comes from the
-- environment variable LOAD_AUTH (a full header value, e.g. "Bearer dev-platform-token").
--
-- Rate mode needs one connection per thread (-t N -c N): a thread then has exactly one request
-- outstanding, so its schedule is known. Thread i sends its k-th request at
-- start + (i - 1) / RATE + k * N / RATE; delay() waits until that instant and sends at once when
-- the thread is late (it never skips a slot). The latency of a request is taken from that
-- intended instant, not from when it was written, so a slow answer that delays the next sends is
-- counted against those too (no coordinated omission). wrk's own latency figures, which start at
-- the write, are reported beside them as "service" latency.
--
-- done() prints one line "LOADJSON {...}" that bench/load.py parses.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } load_timespec;
  int clock_gettime(int clk_id, load_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local ts = ffi.new("load_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

-- setup() runs in the main Lua state once per thread, before the threads start
threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
  table.insert(threads, thread)
end

-- the rest runs in each thread's own Lua state
local requests = {}
local position = 1
local mode = "closed"
local interval_us = 0
local next_us = 0
local intended_us = 0
local sent_us = 0
statuses = {}
responses = 0
intended_lat = {} -- rate mode: microseconds from the intended send instant to the answer
service_lat = {}  -- rate mode: microseconds from the write to the answer

local function split_tabs(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

function init(args)
  local file = assert(io.open(args[1], "r"))
  local auth = os.getenv("LOAD_AUTH")
  for line in file:lines() do
    if #line > 0 then
      local f = split_tabs(line)
      local headers = {}
      if auth then headers["Authorization"] = auth end
      local body = nil
      if f[3] and #f[3] > 0 then
        body = f[3]
        headers["Content-Type"] = "application/json"
      end
      requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
    end
  end
  file:close()
  assert(#requests > 0, "no requests in " .. args[1])
  local id = thread_id or 1
  local count = tonumber(args[4]) or 1
  -- each thread starts at its own place in the (shuffled) list
  position = (math.floor((id - 1) * #requests / count) % #requests) + 1
  mode = args[2] or "closed"
  if mode == "rate" then
    local rate = tonumber(args[3])
    interval_us = count * 1e6 / rate
    next_us = now_us() + 200000 + (id - 1) * 1e6 / rate -- 0.2 s for every thread to connect
  end
end

function delay()
  if mode ~= "rate" then return 0 end
  local wait = next_us - now_us()
  if wait <= 0 then return 0 end
  return math.ceil(wait / 1000)
end

function request()
  local r = requests[position]
  position = position + 1
  if position > #requests then position = 1 end
  if mode == "rate" then
    intended_us = next_us
    next_us = next_us + interval_us
    sent_us = now_us()
  end
  return r
end

function response(status, headers, body)
  responses = responses + 1
  statuses[status] = (statuses[status] or 0) + 1
  if mode == "rate" then
    local t = now_us()
    intended_lat[#intended_lat + 1] = t - intended_us
    service_lat[#service_lat + 1] = t - sent_us
  end
end

local function percentiles(samples)
  table.sort(samples)
  local out = {}
  local n = #samples
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    local key = "p" .. tostring(p):gsub("%.", "_")
    if n == 0 then
      out[key] = -1
    else
      out[key] = samples[math.max(1, math.ceil(p / 100 * n))]
    end
  end
  out.max = n > 0 and samples[n] or -1
  out.n = n
  return out
end

local function to_json(value)
  local kind = type(value)
  if kind == "table" then
    local parts = {}
    for k, v in pairs(value) do
      parts[#parts + 1] = string.format("%q:%s", tostring(k), to_json(v))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif kind == "number" then
    return string.format("%.3f", value)
  elseif kind == "string" then
    return string.format("%q", value)
  end
  return tostring(value)
end

function done(summary, latency, requests_stats)
  local status_total = {}
  local intended, service = {}, {}
  local fewest = nil
  for _, t in ipairs(threads) do
    local n = t:get("responses")
    if fewest == nil or n < fewest then fewest = n end
    for code, n in pairs(t:get("statuses")) do
      status_total[tostring(code)] = (status_total[tostring(code)] or 0) + n
    end
    for _, v in ipairs(t:get("intended_lat")) do intended[#intended + 1] = v end
    for _, v in ipairs(t:get("service_lat")) do service[#service + 1] = v end
  end
  local wrk_latency = { mean = latency.mean, max = latency.max }
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    wrk_latency["p" .. tostring(p):gsub("%.", "_")] = latency:percentile(p)
  end
  local out = {
    duration_us = summary.duration,
    requests = summary.requests,
    bytes = summary.bytes,
    errors = summary.errors,
    statuses = status_total,
    wrk_latency_us = wrk_latency,
    fewest_thread_responses = fewest or 0,
  }
  if #intended > 0 then
    out.intended_latency_us = percentiles(intended)
    out.service_latency_us = percentiles(service)
  end
  io.write("LOADJSON ", to_json(out), "\n")
end
