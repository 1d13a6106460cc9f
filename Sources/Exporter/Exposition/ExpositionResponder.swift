// The whole /metrics response in one call, safe from any thread: negotiate
// the format and encoding, render, compress. Writers and compressors are not
// thread-safe and cost memory (a gzip stream is ≈ 256 KiB), so they are
// pooled: a scrape takes one (or makes one), renders without holding the
// lock, and gives it back. Concurrent scrapes on different event loops never
// wait for each other; the pool keeps at most `maxPooled` idle workers.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Unchecked Sendable: `idle` is guarded by `mutex`, and a `Worker` (not thread-safe) is
/// used by one scrape at a time: taken out of the pool under the lock, given back after.
/// ExpositionResponderTests render from several threads at once.
public final class ExpositionResponder: @unchecked Sendable {
    private final class Worker {
        var writer = ExpositionWriter()
        let gzip: GzipCompressor
        init(level: Int32) { gzip = GzipCompressor(level: level) }
    }

    private let gzipLevel: Int32
    private let maxPooled: Int
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var idle: [Worker] = [] // guarded by mutex

    /// - Parameters:
    ///   - gzipLevel: zlib level for compressed responses (1: fastest).
    ///   - maxPooled: idle writer/compressor pairs kept between scrapes.
    public init(gzipLevel: Int32 = 1, maxPooled: Int = 4) {
        self.gzipLevel = gzipLevel
        self.maxPooled = maxPooled
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// The response to a scrape: body (gzipped when `contentEncoding` is
    /// "gzip"), `Content-Type`, and `Content-Encoding` (nil or "gzip").
    /// `accept` / `acceptEncoding` are the raw header values (nil when absent).
    /// Should compression fail (it cannot, short of memory corruption), the
    /// body is sent uncompressed.
    public func respond(families: [MetricFamily], accept: String?, acceptEncoding: String?)
        -> (body: [UInt8], contentType: String, contentEncoding: String?) {
        let format = ContentNegotiation.format(accept: accept)
        let compress = ContentNegotiation.useGzip(acceptEncoding: acceptEncoding)
        let worker = take()
        defer { give(worker) }
        let body: [UInt8]
        var encoding: String? = nil
        if compress, let gz = try? worker.writer.withRendered(families, format: format, { bytes in
            try worker.gzip.withCompressed(bytes) { Array($0) }
        }) {
            body = gz
            encoding = "gzip"
        } else {
            body = worker.writer.withRendered(families, format: format) { Array($0) }
        }
        return (body, format.contentType, encoding)
    }

    private func take() -> Worker {
        pthread_mutex_lock(mutex)
        let w = idle.popLast()
        pthread_mutex_unlock(mutex)
        return w ?? Worker(level: gzipLevel)
    }

    private func give(_ w: Worker) {
        pthread_mutex_lock(mutex)
        if idle.count < maxPooled { idle.append(w) }
        pthread_mutex_unlock(mutex)
    }
}
