/// A metric a threshold can name (k6's names, plus kalm's `availability`), with its kind.
public enum ThresholdMetric: Sendable, Equatable, Hashable {
    case trend(Trend)
    case rate(RateMetric)
    case counter(CounterMetric)
    case gauge(GaugeMetric)

    /// Rates: `http_req_failed`, `checks` and kalm's `availability`.
    public enum RateMetric: String, Sendable, CaseIterable {
        case httpReqFailed = "http_req_failed"
        case checks
        case availability
    }

    /// Counters: `http_reqs`, `iterations`, `dropped_iterations`, `data_sent`, `data_received`.
    public enum CounterMetric: String, Sendable, CaseIterable {
        case httpReqs = "http_reqs"
        case iterations
        case droppedIterations = "dropped_iterations"
        case dataSent = "data_sent"
        case dataReceived = "data_received"
    }

    /// Gauges: `vus` and `vus_max`.
    public enum GaugeMetric: String, Sendable, CaseIterable {
        case vus
        case vusMax = "vus_max"
    }

    /// Trends thresholds can name (the `{expected_response:true}` variant is a selector).
    static let trends: [String: Trend] = [
        "http_req_duration": .duration, "http_req_blocked": .blocked, "http_req_connecting": .connecting,
        "http_req_tls_handshaking": .tlsHandshaking, "http_req_sending": .sending, "http_req_waiting": .waiting,
        "http_req_receiving": .receiving, "iteration_duration": .iterationDuration,
    ]

    /// Every name a threshold can use.
    public static var allNames: [String] {
        (Array(trends.keys) + RateMetric.allCases.map(\.rawValue) + CounterMetric.allCases.map(\.rawValue)
            + GaugeMetric.allCases.map(\.rawValue)).sorted()
    }

    /// The metric named `name` (a k6 name); nil when there is none.
    public init?(name: String) {
        if let t = Self.trends[name] { self = .trend(t); return }
        if let r = RateMetric(rawValue: name) { self = .rate(r); return }
        if let c = CounterMetric(rawValue: name) { self = .counter(c); return }
        if let g = GaugeMetric(rawValue: name) { self = .gauge(g); return }
        return nil
    }

    /// The metric's k6 name, e.g. `http_req_duration`.
    public var name: String {
        switch self {
        case .trend(let t): return Self.trends.first { $0.value == t }!.key
        case .rate(let r): return r.rawValue
        case .counter(let c): return c.rawValue
        case .gauge(let g): return g.rawValue
        }
    }

    /// Whether the metric is about requests (or checks), so journeys keep it per step.
    public var isRequestLevel: Bool {
        switch self {
        case .trend(let t): return t != .iterationDuration
        case .rate(let r): return r != .availability
        case .counter(let c): return c == .httpReqs || c == .dataSent || c == .dataReceived
        case .gauge: return false
        }
    }

    /// k6's word for the kind, used in messages.
    public var kindName: String {
        switch self {
        case .trend: return "trend"
        case .rate: return "rate"
        case .counter: return "counter"
        case .gauge: return "gauge"
        }
    }

    /// The aggregations k6 allows on this kind.
    public var allowedAggregations: String {
        switch self {
        case .trend: return "avg, min, max, med, p(N)"
        case .rate: return "rate"
        case .counter: return "count, rate"
        case .gauge: return "value"
        }
    }
}
