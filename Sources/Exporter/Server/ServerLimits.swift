import NIOCore
import NIOHTTP1

/// What one client may cost the endpoint (docs/configuration.md, "Limits"): how long a
/// connection may stay quiet, how long and how large a request head may be, how many
/// connections are kept open. Request bodies are bounded per route (`HTTPRoute`).
public struct ServerLimits: Sendable {
    /// A connection that neither sends nor receives for this long is closed.
    public var idleTimeout: TimeAmount
    /// From the accept (TLS handshake included) and from the first byte of each request, the
    /// request line and headers must arrive within this (slowloris clients get 408).
    public var requestHeadTimeout: TimeAmount
    /// Request line plus headers, in bytes (431 beyond).
    public var maxHeadBytes: Int
    /// Header fields per request.
    public var maxHeaderCount: Int
    /// Connections kept open at once; at the limit the quietest idle one is closed.
    public var maxConnections: Int

    /// The defaults: 30 s idle, 10 s for a head of at most 32 KiB and 256 fields, 4,096 connections.
    public init(idleTimeout: TimeAmount = .seconds(30), requestHeadTimeout: TimeAmount = .seconds(10),
                maxHeadBytes: Int = 32 * 1024, maxHeaderCount: Int = 256, maxConnections: Int = 4096) {
        self.idleTimeout = idleTimeout
        self.requestHeadTimeout = requestHeadTimeout
        self.maxHeadBytes = maxHeadBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxConnections = maxConnections
    }

    var decoderLimits: NIOHTTPDecoderLimitConfiguration {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = maxHeadBytes
        limits.maxHeaderListSize = maxHeadBytes
        limits.maxHeaderFieldCount = maxHeaderCount
        return limits
    }
}
