/// A sub-metric selector: `{probe:valuations}`, `{scenario:smoke}`, `{status:200}`,
/// `{check:has id}`, `{expected_response:true}`, `{step:create}`; several may be combined with commas.
public struct ThresholdSelector: Sendable, Equatable, Hashable {
    /// `{probe:NAME}`: only the probe with this name; nil selects every probe.
    public var probe: String?
    /// `{scenario:NAME}`: only this scenario; nil selects any.
    public var scenario: String?
    /// `{status:N}`: only responses with this HTTP status (http_req_duration and http_reqs).
    public var status: Int?
    /// `{check:NAME}`: only the check with this name (checks).
    public var check: String?
    /// `{expected_response:true}`: only responses with an expected status (http_req_duration); never false.
    public var expectedResponse: Bool?
    /// `{step:NAME}`: only the journey steps with this name (request-level metrics and checks).
    public var step: String?

    /// A selector with the given keys; with none, it selects everything.
    public init(probe: String? = nil, scenario: String? = nil, status: Int? = nil, check: String? = nil,
                expectedResponse: Bool? = nil, step: String? = nil) {
        self.step = step
        self.probe = probe
        self.scenario = scenario
        self.status = status
        self.check = check
        self.expectedResponse = expectedResponse
    }

    /// Whether no key is set, so everything is selected.
    public var isEmpty: Bool { probe == nil && scenario == nil && status == nil && check == nil && expectedResponse == nil && step == nil }

    /// Parses the text between the braces. Throws `ThresholdError` naming the problem.
    static func parse(_ text: String, metric: ThresholdMetric) throws -> ThresholdSelector {
        var s = ThresholdSelector()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = part.trimmingCharacters(in: .whitespaces)
            guard let colon = pair.firstIndex(of: ":") else {
                throw ThresholdError("selector \"\(pair)\" needs key:value, e.g. {probe:valuations}")
            }
            let key = pair[..<colon].trimmingCharacters(in: .whitespaces)
            let value = pair[pair.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { throw ThresholdError("selector \(key) has no value") }
            switch key {
            case "probe": s.probe = value
            case "scenario": s.scenario = value
            case "status":
                guard let v = Int(value), (100...599).contains(v) else {
                    throw ThresholdError("{status:\(value)} is not an HTTP status; write e.g. {status:200}")
                }
                guard metric == .trend(.duration) || metric == .counter(.httpReqs) else {
                    throw ThresholdError("{status:...} works on http_req_duration and http_reqs, not \(metric.name)")
                }
                s.status = v
            case "check":
                guard metric == .rate(.checks) else { throw ThresholdError("{check:...} works on checks, not \(metric.name)") }
                s.check = value
            case "expected_response":
                guard value == "true" else {
                    throw ThresholdError("kalm supports {expected_response:true} only (responses with an expected status)")
                }
                guard metric == .trend(.duration) else {
                    throw ThresholdError("{expected_response:true} works on http_req_duration, not \(metric.name)")
                }
                s.expectedResponse = true
            case "step":
                guard metric.isRequestLevel else {
                    throw ThresholdError("{step:...} works on request metrics (http_req_*, http_reqs, checks, data_*), not \(metric.name): iterations are per probe")
                }
                s.step = value
            default:
                throw ThresholdError("unknown selector \"\(key)\"; kalm knows probe, scenario, step, status, check, expected_response")
            }
        }
        return s
    }
}

/// A malformed threshold: the message says what and how to fix it.
public struct ThresholdError: Error, CustomStringConvertible, Equatable {
    /// What is wrong and how to fix it.
    public let message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}
