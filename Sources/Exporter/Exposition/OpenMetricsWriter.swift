// The two exposition writers. Each keeps its output buffer and scratch
// between calls, so a writer kept per scrape handler renders without
// allocating once warmed up. A writer is a value type; a copy gets its own
// buffers on first use. Do not use one writer from two threads at once: keep
// one per thread / event loop (or make one per scrape, which costs a 64 KiB
// buffer that then grows to the exposition's size).

/// OpenMetrics 1.0.0 text format.
///
/// Differences from the text format: metadata is `# TYPE`, `# UNIT` (when
/// `MetricFamily.unit` is a `_unit` suffix of the family name), `# HELP`, in
/// the order the spec recommends; a counter's family name drops `_total`
/// (`# TYPE kalm_http_requests counter`) while its samples keep it
/// (`kalm_http_requests_total{…}`); `untyped` is `unknown`; HELP also escapes
/// `"`; `le`/`quantile` values are canonical numbers (`le="1.0"`); the
/// exposition ends with `# EOF`.
public struct OpenMetricsWriter {
    public static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"

    private var core = ExpositionCore(openMetrics: true)

    public init() {}

    /// Appends the exposition of `families`, including the final `# EOF`, to `buffer`.
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
        var writer = OpenMetricsWriter()
        var out: [UInt8] = []
        writer.write(families, into: &out)
        return out
    }
}
