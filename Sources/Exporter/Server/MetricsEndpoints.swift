import NIOCore

/// What the metrics HTTP server asks the rest of the agent for.
///
/// All closures are called on NIO event-loop threads and must be thread-safe; they are
/// cheap or do their own caching (a slow closure delays other requests on the same loop).
public struct MetricsEndpoints: Sendable {
    /// Renders `/metrics`. `accept` and `acceptEncoding` are the raw request header values
    /// (several header lines joined with ", "; nil when absent). Returns the body (already
    /// compressed if it chose gzip; a shared, cached buffer is written without copying), the
    /// Content-Type, and the Content-Encoding (nil or "gzip").
    public var metrics: @Sendable (_ accept: String?, _ acceptEncoding: String?)
        -> (body: ByteBuffer, contentType: String, contentEncoding: String?)
    /// HTML for `/`.
    public var statusPage: @Sendable () -> String
    /// `POST /-/reload`: re-reads the config; returns nil on success or the error text
    /// (answered with 500 and that text).
    public var reload: @Sendable () async -> String?
    /// `/-/ready` answers 200 only when this returns true (503 otherwise).
    public var isReady: @Sendable () -> Bool
    /// Bundles the endpoints' handlers.
    public init(metrics: @escaping @Sendable (_ accept: String?, _ acceptEncoding: String?)
                    -> (body: ByteBuffer, contentType: String, contentEncoding: String?),
                statusPage: @escaping @Sendable () -> String,
                reload: @escaping @Sendable () async -> String?,
                isReady: @escaping @Sendable () -> Bool) {
        self.metrics = metrics
        self.statusPage = statusPage
        self.reload = reload
        self.isReady = isReady
    }
}
