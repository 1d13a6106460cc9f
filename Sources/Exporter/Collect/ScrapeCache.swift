import Probes
import Synchronization

/// Renders `/metrics` at most once per `ttl` per (format, encoding): concurrent and
/// back-to-back scrapes within the interval share one rendering. Prometheus scrapes every
/// few seconds, so a fresh-enough answer costs nothing; a scrape storm (or wrk) costs one
/// rendering per interval instead of one per request.
public final class ScrapeCache: @unchecked Sendable {
    public typealias Response = (body: [UInt8], contentType: String, contentEncoding: String?)

    private struct Entry {
        var response: Response
        var renderedAt: UInt64
    }

    private let ttlNanos: UInt64
    private let responder = ExpositionResponder()
    private let collect: @Sendable () -> [MetricFamily]
    private let entries = Mutex<[String: Entry]>([:])
    /// Serialises renderings so a burst does not render the same thing N times.
    private let renderLock = Mutex<Void>(())

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
        if let hit = fresh(key) { return hit }
        return renderLock.withLock { _ in
            if let hit = fresh(key) { return hit }
            let r = responder.respond(families: collect(), accept: accept, acceptEncoding: acceptEncoding)
            let now = MonotonicClock.now()
            entries.withLock { $0[key] = Entry(response: r, renderedAt: now) }
            return r
        }
    }

    private func fresh(_ key: String) -> Response? {
        guard ttlNanos > 0 else { return nil }
        let now = MonotonicClock.now()
        return entries.withLock { e in
            guard let hit = e[key], now &- hit.renderedAt < ttlNanos else { return nil }
            return hit.response
        }
    }

    /// Drops cached renderings (after a reload).
    public func invalidate() {
        entries.withLock { $0.removeAll() }
    }
}
