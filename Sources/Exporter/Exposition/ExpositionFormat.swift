/// The formats `/metrics` can answer in.
public enum ExpositionFormat: Sendable, Equatable {
    /// Prometheus text 0.0.4 (the default).
    case text
    /// OpenMetrics 1.0.0.
    case openMetrics
    /// Delimited `io.prometheus.client.MetricFamily` protobuf messages (with native histograms).
    case protobuf

    /// The `Content-Type` header value for a response in this format.
    public var contentType: String {
        switch self {
        case .text: return TextFormatWriter.contentType
        case .openMetrics: return OpenMetricsWriter.contentType
        case .protobuf: return ProtobufWriter.contentType
        }
    }
}
