/// The three writers behind one value, for a scrape handler that serves either
/// format: keep one per thread / event loop.
public struct ExpositionWriter {
    private var text = TextFormatWriter()
    private var openMetrics = OpenMetricsWriter()
    private var protobuf = ProtobufWriter()

    /// A writer for both formats.
    public init() {}

    /// Appends `families` in `format` to `buffer`.
    public mutating func write(_ families: [MetricFamily], format: ExpositionFormat, into buffer: inout [UInt8]) {
        switch format {
        case .text: text.write(families, into: &buffer)
        case .openMetrics: openMetrics.write(families, into: &buffer)
        case .protobuf: protobuf.write(families, into: &buffer)
        }
    }

    /// Renders `families` in `format` and lends the bytes to `body` (valid
    /// only inside it).
    public mutating func withRendered<R>(_ families: [MetricFamily], format: ExpositionFormat,
                                         _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch format {
        case .text: return try text.withRendered(families, body)
        case .openMetrics: return try openMetrics.withRendered(families, body)
        case .protobuf: return try protobuf.withRendered(families, body)
        }
    }
}
