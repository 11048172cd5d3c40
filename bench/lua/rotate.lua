-- wrk script: rotate over pre-built requests, one per line of a TSV file given after `--`:
--   METHOD <tab> PATH <tab> TOKEN [<tab> JSON BODY]
-- Each thread starts at a different line, so concurrent connections use different users' tokens.
-- done() prints one line "WRK_JSON {...}" that bench/run.py parses (latencies in microseconds), with the
-- count of every status >= 300 and the start of the first such response's body.

local requests = {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("thread_no", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  for line in io.lines(path) do
    local method, target, token, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]*)\t?(.*)$")
    if method then
      local headers = {}
      if token ~= "" then headers["Authorization"] = "Bearer " .. token end
      if body == "" then
        body = nil
      else
        headers["Content-Type"] = "application/json"
      end
      requests[#requests + 1] = wrk.format(method, target, headers, body)
    end
  end
  if #requests == 0 then error("no requests in " .. tostring(path)) end
  -- spread the threads over the list (a large prime step apart)
  counter = ((thread_no or 0) * 7919) % #requests
end

err_statuses = {}  -- globals, so that done() can read them from every thread
err_sample = ""

function response(status, headers, body)
  if status >= 300 then
    err_statuses[status] = (err_statuses[status] or 0) + 1
    if err_sample == "" then err_sample = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

local function json_string(s)
  s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
  return '"' .. s .. '"'
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, requests_)
  local e = summary.errors
  local statuses, sample = {}, ""
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("err_statuses") or {}) do
      statuses[status] = (statuses[status] or 0) + n
    end
    local s = t:get("err_sample")
    if sample == "" and s then sample = s end
  end
  local parts = {}
  for status, n in pairs(statuses) do parts[#parts + 1] = string.format('"%d":%d', status, n) end
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f,' ..
    '"statuses":{%s},"error_sample":%s}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, table.concat(parts, ","), json_string(sample)))
end
