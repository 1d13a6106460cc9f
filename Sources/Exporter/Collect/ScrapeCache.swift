import Dispatch
import NIOCore
import Probes
import Synchronization

/// Renders `/metrics` at most once per `ttl` per variant (format × encoding) and keeps the
/// result as a `ByteBuffer` every response shares. Rendering costs milliseconds (merging
/// every window's histograms), so it is kept off the request path when it can be:
///
/// - younger than `ttl`: served as is;
/// - between `ttl` and `2 × ttl`: served as is while a background refresh runs, so a busy
///   scraper never waits for a rendering;
/// - older, or absent: rendered now (Prometheus, scraping every few seconds, always gets
///   data at most one rendering old).
public final class ScrapeCache: @unchecked Sendable {
    public typealias Response = (body: ByteBuffer, contentType: String, contentEncoding: String?)

    private struct Entry {
        var response: Response
        var renderedAt: UInt64
        var refreshing = false
    }

    private let ttlNanos: UInt64
    private let responder = ExpositionResponder()
    private let collect: @Sendable () -> [MetricFamily]
    private let entries = Mutex<[String: Entry]>([:])
    /// The families behind the renderings: collected once per ttl and shared by every
    /// variant (collecting merges every window, the costly part). Guarded by renderLock.
    private nonisolated(unsafe) var collected: (families: [MetricFamily], at: UInt64)?
    /// Serialises renderings so a burst does not render the same thing N times.
    private let renderLock = Mutex<Void>(())
    private let refreshQueue = DispatchQueue(label: "kalm.scrape-refresh", qos: .utility)

    /// - Parameters:
    ///   - ttl: seconds a rendering is reused (0: never).
    ///   - collect: builds every family; called at most once per ttl per variant.
    public init(ttl: Double, collect: @escaping @Sendable () -> [MetricFamily]) {
        ttlNanos = UInt64(max(0, ttl) * 1e9)
        self.collect = collect
    }

    public func respond(accept: String?, acceptEncoding: String?) -> Response {
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
            refreshQueue.async { [self] in _ = render(key: key, accept: accept, acceptEncoding: acceptEncoding, force: true) }
            return r
        case .miss:
            return render(key: key, accept: accept, acceptEncoding: acceptEncoding, force: false)
        }
    }

    private func render(key: String, accept: String?, acceptEncoding: String?, force: Bool) -> Response {
        renderLock.withLock { _ in
            if !force, ttlNanos > 0, let hit = entries.withLock({ $0[key] }), MonotonicClock.now() &- hit.renderedAt < ttlNanos {
                return hit.response
            }
            let now = MonotonicClock.now()
            if collected == nil || ttlNanos == 0 || now &- collected!.at >= ttlNanos {
                collected = (collect(), now)
            }
            // A rendering is as old as the data in it.
            let (families, dataAt) = collected!
            let r = responder.respond(families: families, accept: accept, acceptEncoding: acceptEncoding)
            let response: Response = (ByteBufferAllocator().buffer(bytes: r.body), r.contentType, r.contentEncoding)
            entries.withLock { $0[key] = Entry(response: response, renderedAt: dataAt) }
            return response
        }
    }

    /// Drops cached renderings (after a reload).
    public func invalidate() {
        renderLock.withLock { _ in collected = nil }
        entries.withLock { $0.removeAll() }
    }
}
