import Dispatch
import Exporter
import Foundation
import KalmSupport
import Probes
import Testing

/// `ScrapeCache` learns a steady scraper's interval and renders `lead` before its next
/// scrape, so that scrape is answered from a fresh rendering without collecting.
@Suite("scrape cache", .serialized)
struct ScrapeCacheTests {
    /// Collects one gauge; records when each collect ran (monotonic ns).
    final class Collector: Sendable {
        let times = Locked<[UInt64]>([])
        func collect() -> [MetricFamily] {
            let n = times.withLock { $0.append(MonotonicClock.now()); return $0.count }
            var f = MetricFamily(name: "collects", help: "Collects so far.", type: .gauge)
            f.add(Double(n))
            return [f]
        }
    }

    static func body(_ r: ScrapeCache.Response) -> String {
        String(decoding: r.body.readableBytesView, as: UTF8.self)
    }

    @Test func aSteadyScraperFindsItsNextRenderingReady() throws {
        let collector = Collector()
        let cache = ScrapeCache(ttl: .milliseconds(500), prerender: .milliseconds(600) ... .seconds(5), lead: .milliseconds(300))
        let collect: @Sendable () -> [MetricFamily] = { collector.collect() }
        _ = cache.respond(accept: nil, acceptEncoding: nil, collect: collect)           // t = 0: renders now
        Thread.sleep(forTimeInterval: 1.0)
        let second = cache.respond(accept: nil, acceptEncoding: nil, collect: collect)  // t = 1: renders now, learns 1 s
        #expect(Self.body(second).contains("collects 2"))
        Thread.sleep(forTimeInterval: 1.0)
        let asked = MonotonicClock.now()
        let third = cache.respond(accept: nil, acceptEncoding: nil, collect: collect)   // t = 2: rendered at ≈ 1.7
        let times = collector.times.withLock { $0 }
        #expect(times.count == 3, "no collect on the scrape itself: \(times.count)")
        #expect(Self.body(third).contains("collects 3"))
        if times.count == 3 {
            let ahead = Double(asked &- times[2]) / 1e6
            #expect(ahead > 100 && ahead < 500, "rendered \(ahead) ms before the scrape (lead 300 ms)")
        }
    }

    @Test func anIrregularScraperIsNotPlannedFor() throws {
        let collector = Collector()
        let cache = ScrapeCache(ttl: .milliseconds(200), prerender: .seconds(5) ... .seconds(300), lead: .milliseconds(100))
        let collect: @Sendable () -> [MetricFamily] = { collector.collect() }
        for _ in 0..<3 {
            _ = cache.respond(accept: nil, acceptEncoding: nil, collect: collect)
            Thread.sleep(forTimeInterval: 0.5)   // below the prerender range: nothing planned
        }
        Thread.sleep(forTimeInterval: 0.6)
        #expect(collector.times.withLock { $0.count } == 3, "one collect per scrape, none ahead")
    }
}
