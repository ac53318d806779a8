-- wrk script for bench/gateway.sh: the same small chat-completion request to every target
-- (the body is bench/gateway/chat-request.json, which the script's preflight check also sends),
-- with the bearer key Keel and LiteLLM check; nginx ignores both.
local file = assert(io.open(os.getenv("BENCH_BODY") or "bench/gateway/chat-request.json", "rb"))
local body = file:read("*a"):gsub("%s+$", "")
file:close()
wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "sk-bench-master-key")
