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
    public init(ttl: Duration, afterRender: @escaping @Sendable () -> Void = {}) {
        ttlNanos = UInt64(max(0, ttl.nanoseconds))
        self.afterRender = afterRender
    }

    /// The response for a scrape with these `Accept` and `Accept-Encoding` values (nil when
    /// absent). `collect` builds every family; it is called at most once per ttl.
    public func respond(accept: String?, acceptEncoding: String?,
                        collect: @escaping @Sendable () -> [MetricFamily]) -> Response {
        let format = ContentNegotiation.format(accept: accept)
        let gzip = ContentNegotiation.useGzip(acceptEncoding: acceptEncoding)
        let key = "\(format == .openMetrics ? "om" : "text")/\(gzip ? "gz" : "id")"
        let now = MonotonicClock.now()
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

    /// Drops cached renderings (after a reload).
    public func invalidate() {
        rendering.withLock { $0 = nil }
        entries.withLock { $0.removeAll() }
    }
}
