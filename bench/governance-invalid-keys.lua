-- wrk script: GET /v1/models with a fresh random (invalid) virtual key on every request.
--   LIMIT    stop after this many responses (0: run for the whole duration)
--   PACE_MS  wait this long between requests on each connection (0: as fast as possible)
local limit = tonumber(os.getenv("LIMIT") or "0")
local pace = tonumber(os.getenv("PACE_MS") or "0")
local chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
local done = 0

function init(args)
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
end

function request()
  local t = {}
  for i = 1, 43 do
    local n = math.random(1, 62)
    t[i] = chars:sub(n, n)
  end
  return wrk.format("GET", "/v1/models", { ["Authorization"] = "Bearer sk-keel-" .. table.concat(t) })
end

if pace > 0 then
  function delay() return pace end
end

function response(status, headers, body)
  done = done + 1
  if limit > 0 and done >= limit then wrk.thread:stop() end
end
