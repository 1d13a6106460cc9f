import Dispatch
import KalmSupport
import Measurements
import NIOCore
import Probes

/// Renders `/metrics` at most once per `ttl` per variant (format × encoding) and keeps the
/// result as a `ByteBuffer` every response shares. Rendering costs milliseconds (merging
/// every window's histograms), so it is kept off the request path when it can be:
///
/// - younger than `ttl`: served as is;
/// - between `ttl` and `2 × ttl`: served as is while a background refresh runs, so a busy
///   scraper never waits for a rendering;
/// - older, or absent: rendered now (Prometheus, scraping every few seconds, always gets
///   data at most one rendering old).
///
/// The families are collected at most once per `ttl` and shared by every variant
/// (collecting merges every window, the costly part).
///
/// A scraper that comes back at a steady interval (Prometheus) has its next rendering made
/// `lead` before it is due: the scrape then finds a fresh rendering and is answered at once,
/// instead of waiting for a fleet's collect, render and gzip (docs/metrics.md, "The endpoint").
public final class ScrapeCache: Sendable {
    /// A rendered scrape: body (gzipped when `contentEncoding` is "gzip"), Content-Type and Content-Encoding.
    public typealias Response = (body: ByteBuffer, contentType: String, contentEncoding: String?)

    private struct Entry {
        var response: Response
        var renderedAt: UInt64
        var refreshing = false
    }

    private struct Collected {
        var families: [MetricFamily]
        var at: UInt64
    }

    private let ttlNanos: UInt64
    private let responder = ExpositionResponder()
    private let entries = Locked<[String: Entry]>([:])
    /// When each variant was last asked for (monotonic ns), to learn the scrape interval.
    private let lastAsked = Locked<[String: UInt64]>([:])
    /// Intervals (ns) a pre-rendering is planned for, and how long before the scrape.
    private let prerenderIntervals: ClosedRange<UInt64>
    private let leadNanos: UInt64
    /// Held while rendering, so a burst does not render the same thing N times; it also
    /// guards the families behind the renderings.
    private let rendering = Locked<Collected?>(nil)
    private let refreshQueue = DispatchQueue(label: "kalm.scrape-refresh", qos: .utility)

    /// Runs after each rendering, on the rendering's thread (the agent returns the
    /// rendering's freed memory to the system there).
    private let afterRender: @Sendable () -> Void

    /// - Parameters:
    ///   - ttl: how long a rendering is reused (zero: never).
    ///   - afterRender: called after each rendering.
    ///   - prerender: scrape intervals for which the next rendering is made ahead of time.
    ///   - lead: how long before the expected scrape (less than `ttl`, so it is served as fresh).
    public init(ttl: Duration, afterRender: @escaping @Sendable () -> Void = {},
                prerender: ClosedRange<Duration> = .seconds(5) ... .seconds(300), lead: Duration = .milliseconds(800)) {
        ttlNanos = UInt64(max(0, ttl.nanoseconds))
        self.afterRender = afterRender
        prerenderIntervals = UInt64(max(0, prerender.lowerBound.nanoseconds)) ... UInt64(max(0, prerender.upperBound.nanoseconds))
        leadNanos = UInt64(max(0, lead.nanoseconds))
    }

    /// The cache key of the variant these headers ask for ("pb/gz", …). A scraper sends the
    /// same headers every time, and Prometheus's `Accept` lists five ranges: the answer is
    /// remembered for the last few header pairs (at most 16, so no client can grow it).
    func variant(accept: String?, acceptEncoding: String?) -> String {
        let headers = (accept ?? "\u{1}") + "\u{0}" + (acceptEncoding ?? "\u{1}")
        if let known = negotiated.withLock({ $0[headers] }) { return known }
        let format = ContentNegotiation.format(accept: accept)
        let gzip = ContentNegotiation.useGzip(acceptEncoding: acceptEncoding)
        let key = "\(format == .openMetrics ? "om" : format == .protobuf ? "pb" : "text")/\(gzip ? "gz" : "id")"
        negotiated.withLock { n in
            if n.count >= 16 { n.removeAll() }
            n[headers] = key
        }
        return key
    }

    private let negotiated = Locked<[String: String]>([:])

    /// The response for a scrape with these `Accept` and `Accept-Encoding` values (nil when
    /// absent). `collect` builds every family; it is called at most once per ttl.
    public func respond(accept: String?, acceptEncoding: String?,
                        collect: @escaping @Sendable () -> [MetricFamily]) -> Response {
        let key = variant(accept: accept, acceptEncoding: acceptEncoding)
        let now = MonotonicClock.now()
        planPrerender(key: key, now: now, accept: accept, acceptEncoding: acceptEncoding, collect: collect)
        enum Lookup { case fresh(Response), stale(Response), miss }
        let lookup: Lookup = entries.withLock { e in
            guard ttlNanos > 0, let hit = e[key] else { return .miss }
            let age = now &- hit.renderedAt
            if age < ttlNanos { return .fresh(hit.response) }
            if age < 2 * ttlNanos {
                if !hit.refreshing { e[key]!.refreshing = true }
                return hit.refreshing ? .fresh(hit.response) : .stale(hit.response)
            }
            return .miss
        }
        switch lookup {
        case .fresh(let r):
            return r
        case .stale(let r):
            refreshQueue.async { [self] in
                _ = render(key: key, accept: accept, acceptEncoding: acceptEncoding, force: true, collect: collect)
            }
            return r
        case .miss:
            return render(key: key, accept: accept, acceptEncoding: acceptEncoding, force: false, collect: collect)
        }
    }

    private func render(key: String, accept: String?, acceptEncoding: String?, force: Bool,
                        collect: @Sendable () -> [MetricFamily]) -> Response {
        rendering.withLock { collected in
            if !force, ttlNanos > 0, let hit = entries.withLock({ $0[key] }), MonotonicClock.now() &- hit.renderedAt < ttlNanos {
                return hit.response
            }
            let now = MonotonicClock.now()
            let current: Collected
            if let fresh = collected, ttlNanos > 0, now &- fresh.at < ttlNanos {
                current = fresh
            } else {
                current = Collected(families: collect(), at: now)
                collected = current
            }
            let r = responder.respond(families: current.families, accept: accept, acceptEncoding: acceptEncoding) {
                ByteBufferAllocator().buffer(bytes: $0)
            }
            let response: Response = (r.body, r.contentType, r.contentEncoding)
            // A rendering is as old as the data in it.
            entries.withLock { $0[key] = Entry(response: response, renderedAt: current.at) }
            afterRender()
            return response
        }
    }

    /// Learns the interval since this variant was last asked for; when it is a steady
    /// scraper's (within `prerenderIntervals`), renders again `lead` before the next scrape.
    private func planPrerender(key: String, now: UInt64, accept: String?, acceptEncoding: String?,
                               collect: @escaping @Sendable () -> [MetricFamily]) {
        guard ttlNanos > 0 else { return }
        let previous = lastAsked.withLock { last -> UInt64? in
            defer { last[key] = now }
            return last[key]
        }
        guard let previous, case let interval = now &- previous, prerenderIntervals.contains(interval),
              interval > leadNanos else { return }
        refreshQueue.asyncAfter(deadline: .now() + .nanoseconds(Int(interval - leadNanos))) { [self] in
            // Not if a scrape came meanwhile (it rendered, or planned again).
            guard lastAsked.withLock({ $0[key] }) == now else { return }
            _ = render(key: key, accept: accept, acceptEncoding: acceptEncoding, force: true, collect: collect)
        }
    }

    /// Drops cached renderings (after a reload).
    public func invalidate() {
        rendering.withLock { $0 = nil }
        entries.withLock { $0.removeAll() }
    }
}
