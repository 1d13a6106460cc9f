// The exposition writers. Each keeps its output buffer and scratch between calls, so a
// writer kept per scrape handler renders without allocating once warmed up. A writer is a
// value type; a copy gets its own buffers on first use. Do not use one writer from two
// threads at once: keep one per thread / event loop (or make one per scrape, which costs a
// 64 KiB buffer that then grows to the exposition's size).

/// What distinguishes the two text formats for a `FormatWriter`.
public protocol ExpositionSpelling {
    /// The `Content-Type` of a response in this format.
    static var contentType: String { get }
    /// Whether this is OpenMetrics (metadata order, `_total`, `# EOF`, canonical numbers).
    static var isOpenMetrics: Bool { get }
}

/// Prometheus text format 0.0.4.
///
/// Every family with samples gets `# HELP` (escaping `\` and newline) and
/// `# TYPE`; families are sorted by name and samples as `MetricFamily`
/// describes; label values escape `\`, `"` and newline; numbers are spelled
/// as `ExpositionNumbers` describes (`le="0.005"`, `le="+Inf"`,
/// `quantile="0.99"`).
public enum TextFormatSpelling: ExpositionSpelling {
    /// `text/plain; version=0.0.4; charset=utf-8`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    /// Not OpenMetrics.
    public static let isOpenMetrics = false
}

/// OpenMetrics 1.0.0 text format.
///
/// Differences from the text format: metadata is `# TYPE`, `# UNIT` (when
/// `MetricFamily.unit` is a `_unit` suffix of the family name), `# HELP`, in
/// the order the spec recommends; a counter's family name drops `_total`
/// (`# TYPE kalm_http_requests counter`) while its samples keep it
/// (`kalm_http_requests_total{…}`); `untyped` is `unknown`; HELP also escapes
/// `"`; `le`/`quantile` values are canonical numbers (`le="1.0"`); the
/// exposition ends with `# EOF`.
public enum OpenMetricsSpelling: ExpositionSpelling {
    /// `application/openmetrics-text; version=1.0.0; charset=utf-8`.
    public static let contentType = "application/openmetrics-text; version=1.0.0; charset=utf-8"
    /// OpenMetrics.
    public static let isOpenMetrics = true
}

/// Prometheus text format 0.0.4 (see `TextFormatSpelling`).
public typealias TextFormatWriter = FormatWriter<TextFormatSpelling>
/// OpenMetrics 1.0.0 (see `OpenMetricsSpelling`).
public typealias OpenMetricsWriter = FormatWriter<OpenMetricsSpelling>

/// Writes families in one exposition format.
public struct FormatWriter<Spelling: ExpositionSpelling> {
    /// The `Content-Type` of what this writer writes.
    public static var contentType: String { Spelling.contentType }

    private var core = ExpositionCore(openMetrics: Spelling.isOpenMetrics)

    /// A writer with empty buffers.
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
        var writer = Self()
        var out: [UInt8] = []
        writer.write(families, into: &out)
        return out
    }
}
