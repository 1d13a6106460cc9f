/// One threshold as written in the config; the expression is parsed later (k6's grammar).
import Exporter

struct ThresholdDeclaration: Sendable, Equatable {
    /// The parsed threshold (k6's grammar); the decoder reports a malformed one at its place.
    var compiled: Threshold
    /// The key as written, selector included: `http_req_duration{probe:valuations}`.
    var metric: String
    /// The expression as written: `p(95)<200`.
    var expression: String
    /// Long form only: stop the run when it fails.
    var abortOnFail: Bool
    /// Long form only: seconds to wait before `abortOnFail` is evaluated.
    var delayAbortEval: Double
    /// Where the expression is written, so a later parse error can point at it.
    var file: String
    var line: Int
    var column: Int
    var path: String

    /// The metric name without its selector: `http_req_duration`.
    var metricName: String {
        if let brace = metric.firstIndex(of: "{") { return String(metric[..<brace]) }
        return metric
    }
}
