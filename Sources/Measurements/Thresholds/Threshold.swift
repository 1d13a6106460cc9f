import KalmSupport

/// A compiled threshold: metric, selector, expression and k6's long-form options.
public struct Threshold: Sendable, Equatable, Hashable {
    /// The key as written, selector included (`http_req_duration{probe:valuations}`): the `metric` label.
    public let key: String
    /// The metric the key names.
    public let metric: ThresholdMetric
    /// The key's selector; empty when the key has none.
    public let selector: ThresholdSelector
    /// The expression as written: the `threshold` label.
    public let source: String
    /// The parsed expression: aggregation, operator and value.
    public let expression: ThresholdExpression
    /// Long form `abortOnFail`: a failure stops the run.
    public let abortOnFail: Bool
    /// Long form `delayAbortEval`: seconds to wait before `abortOnFail` is evaluated.
    public let delayAbortEval: Double

    /// Parses a metric key (`name` or `name{selector}`) and an expression. Throws `ThresholdError`.
    public init(key: String, expression source: String, abortOnFail: Bool = false, delayAbortEval: Double = 0) throws {
        self.key = key
        self.source = source
        self.abortOnFail = abortOnFail
        self.delayAbortEval = delayAbortEval
        (metric, selector) = try Self.parseKey(key)
        expression = try ThresholdExpression.parse(source, for: metric)
    }

    /// Parses a metric key: `name` or `name{selector}`. Throws `ThresholdError`.
    public static func parseKey(_ key: String) throws -> (ThresholdMetric, ThresholdSelector) {
        var name = key
        var selectorText: String?
        if let open = key.firstIndex(of: "{") {
            guard key.hasSuffix("}") else { throw ThresholdError("metric \"\(key)\": a selector ends with \"}\"") }
            name = String(key[..<open])
            selectorText = String(key[key.index(after: open)..<key.index(before: key.endIndex)])
        }
        guard let m = ThresholdMetric(name: name) else {
            throw ThresholdError("unknown metric \"\(name)\"\(suggestion(for: name)); kalm's metrics are \(ThresholdMetric.allNames.joined(separator: ", "))")
        }
        return (m, try selectorText.map { try ThresholdSelector.parse($0, metric: m) } ?? ThresholdSelector())
    }

    /// The observed value the expression compares, in k6's units (trends in ms).
    public func observe(_ data: ThresholdData) -> Double? {
        data.observe(metric: metric, selector: selector, aggregation: expression.aggregation)
    }

    /// Whether the threshold holds for `observed`.
    public func holds(_ observed: Double) -> Bool {
        expression.op.holds(observed, expression.value)
    }

    /// Evaluates over `data`: nil when the data has no samples for it.
    public func evaluate(_ data: ThresholdData) -> ThresholdResult? {
        guard let v = observe(data) else { return nil }
        return ThresholdResult(threshold: self, observed: v, ok: holds(v))
    }

    /// k6-style human text of an observed value: `p(95)=212.4ms`, `rate=0.52%`, `count=12`.
    public func describe(observed v: Double) -> String {
        let agg = expression.aggregation.description
        switch metric {
        case .trend: return "\(agg)=\(K6Format.duration(ms: v))"
        case .rate: return "\(agg)=\(K6Format.twoDecimals(v * 100))%"
        case .counter(let c) where c == .dataSent || c == .dataReceived:
            return agg == "rate" ? "\(agg)=\(K6Format.twoDecimals(v)) B/s" : "\(agg)=\(K6Format.twoDecimals(v)) B"
        case .counter: return agg == "rate" ? "\(agg)=\(K6Format.twoDecimals(v))/s" : "\(agg)=\(K6Format.twoDecimals(v))"
        case .gauge: return "\(agg)=\(K6Format.twoDecimals(v))"
        }
    }

    private static func suggestion(for name: String) -> String {
        let k6Custom = [
            "errors": "availability (the guide's errors rate<0.01 is availability rate>0.99) or http_req_failed",
            "failed_requests": "http_req_failed",
            "valuation_duration": "http_req_duration{probe:NAME}",
        ]
        if let s = k6Custom[name] { return " (a k6 custom metric; kalm's equivalent is \(s))" }
        return EditDistance.suggest(name, from: ThresholdMetric.allNames).map { " (did you mean \"\($0)\"?)" } ?? ""
    }
}

/// A threshold's verdict over some data.
public struct ThresholdResult: Sendable {
    /// The threshold evaluated.
    public let threshold: Threshold
    /// The observed value, in k6's units (trends in ms).
    public let observed: Double
    /// Whether the threshold holds for `observed`.
    public let ok: Bool

    /// A verdict of `threshold` on `observed`.
    public init(threshold: Threshold, observed: Double, ok: Bool) {
        self.threshold = threshold
        self.observed = observed
        self.ok = ok
    }

    /// `p(95)=212.4ms`.
    public var observedText: String { threshold.describe(observed: observed) }
}

