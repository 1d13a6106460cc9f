import Exporter
import Measurements

/// One threshold as written in the config, parsed (k6's grammar) while loading, with its place.
struct ThresholdDeclaration: Sendable, Equatable {
    /// The parsed threshold; the decoder reports a malformed one at its place.
    var compiled: Threshold
    /// Where the expression is written.
    var file: String
    var line: Int
    var column: Int
    var path: String

    /// The key as written, selector included: `http_req_duration{probe:valuations}`.
    var metric: String { compiled.key }
    /// The expression as written: `p(95)<200`.
    var expression: String { compiled.source }
    /// Long form only: stop the run when it fails.
    var abortOnFail: Bool { compiled.abortOnFail }
    /// Long form only: seconds to wait before `abortOnFail` is evaluated.
    var delayAbortEval: Double { compiled.delayAbortEval }

    /// The metric name without its selector: `http_req_duration`.
    var metricName: String { compiled.metric.name }
}
