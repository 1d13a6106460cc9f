// The two exposition writers. Each keeps its output buffer and scratch
// between calls, so a writer kept per scrape handler renders without
// allocating once warmed up. A writer is a value type; a copy gets its own
// buffers on first use. Do not use one writer from two threads at once: keep
// one per thread / event loop (or make one per scrape, which costs a 64 KiB
// buffer that then grows to the exposition's size).

/// Prometheus text format 0.0.4.
///
/// Every family with samples gets `# HELP` (escaping `\` and newline) and
/// `# TYPE`; families are sorted by name and samples as `MetricFamily`
/// describes; label values escape `\`, `"` and newline; numbers are spelled
/// as `ExpositionNumbers` describes (`le="0.005"`, `le="+Inf"`,
/// `quantile="0.99"`).
public struct TextFormatWriter {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private var core = ExpositionCore(openMetrics: false)

    public init() {}

    /// Appends the exposition of `families` to `buffer` (which is not cleared:
    /// call `buffer.removeAll(keepingCapacity: true)` to reuse it).
    public mutating func write(_ families: [MetricFamily], into buffer: inout [UInt8]) {
        core.write(families, into: &buffer)
    }

    /// Renders `families` into the writer's own buffer and lends the bytes
    /// to `body` (valid only inside it): no copy, e.g. straight into a NIO
    /// `ByteBuffer` or `GzipCompressor.withCompressed`.
    public mutating func withRendered<R>(_ families: [MetricFamily],
                                         _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try core.withRendered(families, body)
    }

    /// One-shot convenience.
    public static func render(_ families: [MetricFamily]) -> [UInt8] {
        var writer = TextFormatWriter()
        var out: [UInt8] = []
        writer.write(families, into: &out)
        return out
    }
}
