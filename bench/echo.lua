-- wrk script: POST a chat-completion-sized JSON body to the echo route.
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
local parts = {}
for i = 1, 8 do
  parts[#parts + 1] = string.format('{"role":"user","content":"message %d: the quick brown fox jumps over the lazy dog, again and again and again"}', i)
end
wrk.body = '{"model":"gpt-4o-mini","temperature":0.2,"stream":false,"messages":[' .. table.concat(parts, ",") .. ']}'
