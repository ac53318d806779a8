-- wrk script: GET /v1/models with random (invalid) virtual keys: 10,000 distinct keys per thread,
-- generated up front (so the client spends no time on them while measuring), sent in turn.
--   LIMIT    stop after this many responses (0: run for the whole duration)
--   PACE_MS  wait this long between requests on each connection (0: as fast as possible)
--   VALID_KEY  send this key instead (the control: the same client doing the same work per request)
local limit = tonumber(os.getenv("LIMIT") or "0")
local pace = tonumber(os.getenv("PACE_MS") or "0")
local fixed = os.getenv("VALID_KEY")
if fixed == "" then fixed = nil end
local chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local done = 0
local requests = {}
local next_request = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
  for k = 1, 10000 do
    local t = {}
    for i = 1, 43 do
      local n = math.random(1, 62)
      t[i] = chars:sub(n, n)
    end
    local key = fixed or ("sk-keel-" .. table.concat(t))
    requests[k] = wrk.format("GET", "/v1/models", { ["Authorization"] = "Bearer " .. key })
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

if pace > 0 then
  function delay() return pace end
end

function response(status, headers, body)
  done = done + 1
  if limit > 0 and done >= limit then wrk.thread:stop() end
end
