// The whole /metrics response in one call, safe from any thread: negotiate
// the format and encoding, render, compress. Writers and compressors are not
// thread-safe and cost memory (a gzip stream is ≈ 256 KiB), so they are
// pooled: a scrape takes one (or makes one), renders without holding the
// lock, and gives it back. Concurrent scrapes on different event loops never
// wait for each other; the pool keeps at most `maxPooled` idle workers.

import KalmSupport

/// Renders whole `/metrics` responses from any thread, with a pool of writers and
/// compressors. A `Worker` is not thread-safe; it is used by one scrape at a time: taken
/// out of the pool under the lock, given back after (ExpositionResponderTests render from
/// several threads at once).
public final class ExpositionResponder: Sendable {
    /// Unchecked Sendable: only ever used by the one scrape that took it from the pool.
    private final class Worker: @unchecked Sendable {
        var writer = ExpositionWriter()
        let gzip: GzipCompressor
        init(level: Int32) { gzip = GzipCompressor(level: level) }
    }

    private let gzipLevel: Int32
    private let maxPooled: Int
    /// Idle workers, at most `maxPooled`.
    private let idle = Locked<[Worker]>([])

    /// - Parameters:
    ///   - gzipLevel: zlib level for compressed responses (1: fastest).
    ///   - maxPooled: idle writer/compressor pairs kept between scrapes.
    public init(gzipLevel: Int32 = 1, maxPooled: Int = 4) {
        self.gzipLevel = gzipLevel
        self.maxPooled = maxPooled
    }

    /// The response to a scrape: body (gzipped when `contentEncoding` is
    /// "gzip"), `Content-Type`, and `Content-Encoding` (nil or "gzip").
    /// `accept` / `acceptEncoding` are the raw header values (nil when absent).
    /// Should compression fail (it cannot, short of memory corruption), the
    /// body is sent uncompressed.
    public func respond(families: [MetricFamily], accept: String?, acceptEncoding: String?)
        -> (body: [UInt8], contentType: String, contentEncoding: String?) {
        respond(families: families, accept: accept, acceptEncoding: acceptEncoding) { Array($0) }
    }

    /// As `respond(families:accept:acceptEncoding:)`, with the body made by `makeBody` from
    /// the writer's bytes: a server copies them once, straight into its own buffer.
    public func respond<Body>(families: [MetricFamily], accept: String?, acceptEncoding: String?,
                              makeBody: (UnsafeRawBufferPointer) -> Body)
        -> (body: Body, contentType: String, contentEncoding: String?) {
        let format = ContentNegotiation.format(accept: accept)
        let compress = ContentNegotiation.useGzip(acceptEncoding: acceptEncoding)
        let worker = take()
        defer { give(worker) }
        let body: Body
        var encoding: String? = nil
        if compress, let gz = try? worker.writer.withRendered(families, format: format, { bytes in
            try worker.gzip.withCompressed(bytes) { makeBody($0) }
        }) {
            body = gz
            encoding = "gzip"
        } else {
            body = worker.writer.withRendered(families, format: format) { makeBody($0) }
        }
        return (body, format.contentType, encoding)
    }

    private func take() -> Worker {
        idle.withLock { $0.popLast() } ?? Worker(level: gzipLevel)
    }

    private func give(_ w: Worker) {
        idle.withLock { if $0.count < maxPooled { $0.append(w) } }
    }
}
