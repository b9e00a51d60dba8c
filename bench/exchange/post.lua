-- wrk: POST of a 10 KiB body, paced by BENCH_DELAY_MS when set.
wrk.method = "POST"
wrk.body = string.rep("0123456789abcdef", 640)
wrk.headers["Content-Type"] = "application/octet-stream"
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause then
  function delay() return pause end
end
