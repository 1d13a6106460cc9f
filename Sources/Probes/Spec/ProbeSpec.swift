/// A named HTTP endpoint or journey to probe: its steps (one unnamed step for a
/// single-request probe), data sources and authentication.
public struct ProbeSpec: Sendable, Equatable {
    /// `[a-zA-Z0-9_]+`, unique in a config; the `probe` label.
    public var name: String
    /// Extra labels for this probe's series, sorted by name.
    public var labels: [(String, String)]
    /// The steps an iteration runs in order; one unnamed step for a single-request probe.
    public var steps: [StepSpec]
    /// `data:` sources; `ValueRef.data` indexes them.
    public var data: [DataSourceSpec]
    /// `auth:` applied to every step; nil: none.
    public var auth: AuthSpec?
    /// How many capture slots the steps fill (`CaptureSpec.slot` < this).
    public var captureCount: Int
    /// Which series the probe exposes (`series: full | lean`).
    public var series: SeriesProfile = .full
    /// `trace:`: send a W3C `traceparent` with a fresh trace id per request; nil: no tracing.
    public var trace: TraceSpec?

    /// A single-request probe; `labels` are sorted by name, and the expected status defaults to k6's 200–399.
    public init(
        name: String, labels: [(String, String)] = [], request: RequestSpec,
        expectedStatus: StatusMatcher = .k6Default, checks: [CheckSpec] = []
    ) {
        self.init(name: name, labels: labels,
                  steps: [StepSpec(request: request, expectedStatus: expectedStatus, checks: checks)])
    }

    /// A probe of `steps` (named, for a journey; one unnamed step, for a single request).
    public init(
        name: String, labels: [(String, String)] = [], steps: [StepSpec], data: [DataSourceSpec] = [],
        auth: AuthSpec? = nil
    ) {
        precondition(!steps.isEmpty, "a probe has at least one step")
        self.name = name
        self.labels = labels.sorted { $0.0 < $1.0 }
        self.steps = steps
        self.data = data
        self.auth = auth
        captureCount = steps.flatMap(\.captures).map { $0.slot + 1 }.max() ?? 0
    }

    /// Whether this is a journey: its steps are named, and request series carry a `step` label.
    public var isJourney: Bool { !steps[0].name.isEmpty }

    /// The first step's request: a single-request probe's request.
    public var request: RequestSpec {
        get { steps[0].request }
        set { steps[0].request = newValue }
    }

    /// The first step's expected status: a single-request probe's.
    public var expectedStatus: StatusMatcher {
        get { steps[0].expectedStatus }
        set { steps[0].expectedStatus = newValue }
    }

    /// Every step's checks, in step order: `RequestResult.checkBase` indexes this.
    public var checks: [CheckSpec] { steps.flatMap(\.checks) }

    /// For each check in `checks`, the index of its step.
    public var checkSteps: [Int] { steps.enumerated().flatMap { s in s.element.checks.map { _ in s.offset } } }

    /// Index in `checks` of each step's first check.
    public var checkBases: [Int] {
        var bases: [Int] = []
        var n = 0
        for s in steps { bases.append(n); n += s.checks.count }
        return bases
    }

    /// Whether any step's URL is https (the probe then reports certificate expiry).
    public var isHTTPS: Bool { steps.contains { $0.request.url.lowercased().hasPrefix("https://") } }

    /// The most checks a step may have: outcomes travel as a 64-bit mask.
    public static let maxChecks = 64

    /// Equal when every field is, labels compared in order.
    public static func == (a: ProbeSpec, b: ProbeSpec) -> Bool {
        a.name == b.name && a.labels.elementsEqual(b.labels, by: { $0 == $1 }) && a.steps == b.steps
            && a.data == b.data && a.auth == b.auth && a.series == b.series
    }
}
