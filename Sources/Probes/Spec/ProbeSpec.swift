/// A named HTTP endpoint to probe: its request, what counts as an expected status, and its checks.
public struct ProbeSpec: Sendable, Equatable {
    /// `[a-zA-Z0-9_]+`, unique in a config; the `probe` label.
    public var name: String
    /// Extra labels for this probe's series, sorted by name.
    public var labels: [(String, String)]
    /// The HTTP request each iteration sends.
    public var request: RequestSpec
    /// Outside it the request failed with reason `status`.
    public var expectedStatus: StatusMatcher
    /// All must pass for the iteration to succeed. At most 64.
    public var checks: [CheckSpec]

    /// A probe; `labels` are sorted by name, and the expected status defaults to k6's 200–399.
    public init(
        name: String, labels: [(String, String)] = [], request: RequestSpec,
        expectedStatus: StatusMatcher = .k6Default, checks: [CheckSpec] = []
    ) {
        self.name = name
        self.labels = labels.sorted { $0.0 < $1.0 }
        self.request = request
        self.expectedStatus = expectedStatus
        self.checks = checks
    }

    /// Whether the probe's URL is https (it then reports certificate expiry).
    public var isHTTPS: Bool { request.url.lowercased().hasPrefix("https://") }

    /// The most checks a probe may have: outcomes travel as a 64-bit mask.
    public static let maxChecks = 64

    /// Equal when every field is, labels compared in order.
    public static func == (a: ProbeSpec, b: ProbeSpec) -> Bool {
        a.name == b.name && a.labels.elementsEqual(b.labels, by: { $0 == $1 }) && a.request == b.request
            && a.expectedStatus == b.expectedStatus && a.checks == b.checks
    }
}
