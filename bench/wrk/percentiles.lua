-- wrk -s bench/wrk/percentiles.lua: adds one line with more latency percentiles
-- (ms) than --latency prints, for bench/agent_scrape.sh:
--   PCT p50=0.406 p90=0.656 p95=0.800 p99=2.573 p99.9=7.700 max=13.379 n=106709
done = function(summary, latency, requests)
  io.write(string.format("PCT p50=%.3f p90=%.3f p95=%.3f p99=%.3f p99.9=%.3f max=%.3f n=%d\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000, summary.requests))
end
