-- wrk: GET, paced by BENCH_DELAY_MS (milliseconds between a connection's requests) when set.
local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause then
  function delay() return pause end
end
