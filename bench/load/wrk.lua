-- wrk script of the bench: each request takes a random path from a file (GET by id over
-- many ids), or the URL's own path; method, body and headers come from the arguments:
--   wrk ... URL -- PATHS_FILE|- METHOD BODY_FILE|- ["Name: value" ...]
-- done() prints one line, WRK_RESULT {json}, that bench/load.ts reads.
local paths = {}
local count = 0

function init(args)
  if args[1] ~= "-" then
    for line in io.lines(args[1]) do
      count = count + 1
      paths[count] = line
    end
  end
  wrk.method = args[2]
  if args[3] ~= "-" then
    local f = io.open(args[3], "rb")
    wrk.body = f:read("*a")
    f:close()
  end
  for i = 4, #args do
    local name, value = args[i]:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  math.randomseed(os.time())
end

function request()
  if count == 0 then
    return wrk.format()
  end
  return wrk.format(nil, paths[math.random(count)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"p50Us":%d,"p99Us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect, e.read, e.write, e.timeout))
end
