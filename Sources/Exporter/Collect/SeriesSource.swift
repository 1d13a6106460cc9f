import Measurements
import Probes

/// A running scenario as the exposition sees it: names, labels, and the recorders to read.
public struct ScenarioSource: Sendable {
    /// The scenario's key under `scenarios:`, its `scenario` label.
    public var name: String
    /// The scenario's probes, in spec order.
    public var probes: [ProbeSource]
    /// True for arrival-rate executors: they expose dropped iterations and start lag.
    public var openModel: Bool
    /// VUs running now and the most the executor can use, per probe (nil: not running).
    public var activeVUs: [Int]?
    /// The most VUs the scenario's executor may use.
    public var maxVUs: Int

    /// A scenario source from its parts; by default a closed model that is not running.
    public init(name: String, probes: [ProbeSource], openModel: Bool = false, activeVUs: [Int]? = nil, maxVUs: Int = 0) {
        self.name = name
        self.probes = probes
        self.openModel = openModel
        self.activeVUs = activeVUs
        self.maxVUs = maxVUs
    }

    /// A scenario's source from its spec and its probes' recorders (in spec order).
    public init(spec: ScenarioSpec, recorders: [ProbeRecorder], activeVUs: [Int]?) {
        self.init(name: spec.name,
                  probes: zip(spec.probes, recorders).map { p, r in
                      ProbeSource(name: p.name, labels: p.labels, checkNames: p.checks.map(\.name), isHTTPS: p.isHTTPS, recorder: r,
                                  journey: ProbeSource.Journey(p), series: p.series)
                  },
                  openModel: spec.executor.isOpenModel, activeVUs: activeVUs, maxVUs: spec.executor.maxVUs)
    }
}

/// One probe of a scenario: its `probe` label, its own labels, its checks' names and its recorder.
public struct ProbeSource: Sendable {
    /// The probe's `name`, its `probe` label.
    public var name: String
    /// The probe's own labels (`labels:` in kalm.yml).
    public var labels: [(String, String)]
    /// The `check` label of each of the probe's checks, in order.
    public var checkNames: [String]
    /// Whether the probe's URL is HTTPS; only such probes expose certificate expiry.
    public var isHTTPS: Bool
    /// The recorder holding the probe's statistics.
    public var recorder: ProbeRecorder
    /// What the journey adds to the series: steps, and the failure reasons only journeys have.
    public var journey: Journey
    /// Which series it exposes (docs/metrics.md, "Series profiles").
    public var series: SeriesProfile

    /// A probe source from its parts.
    public init(name: String, labels: [(String, String)], checkNames: [String], isHTTPS: Bool, recorder: ProbeRecorder,
                journey: Journey = Journey(), series: SeriesProfile = .full) {
        self.series = series
        self.name = name
        self.labels = labels
        self.checkNames = checkNames
        self.isHTTPS = isHTTPS
        self.recorder = recorder
        self.journey = journey
    }

    /// A probe's steps and the reasons it can fail with beyond a single request's.
    public struct Journey: Sendable {
        /// Step names (the `step` label); empty for a single-request probe, whose series have no `step`.
        public var steps: [String]
        /// Each check's step index.
        public var checkSteps: [Int]
        /// Whether the probe has `auth.oauth2` (token fetch series, reason `auth`).
        public var oauth2: Bool
        /// Whether its steps capture or use run-time values (reason `capture`).
        public var values: Bool

        /// No journey: a plain single-request probe.
        public init(steps: [String] = [], checkSteps: [Int] = [], oauth2: Bool = false, values: Bool = false) {
            self.steps = steps
            self.checkSteps = checkSteps
            self.oauth2 = oauth2
            self.values = values
        }

        /// What `spec` adds.
        public init(_ spec: ProbeSpec) {
            var oauth2 = false
            if case .oauth2? = spec.auth { oauth2 = true }
            self.init(steps: spec.isJourney ? spec.steps.map(\.name) : [], checkSteps: spec.checkSteps, oauth2: oauth2,
                      values: spec.captureCount > 0 || spec.steps.contains { !$0.templates.isEmpty })
        }

        /// Whether the probe can fail for `reason` (the `reason` series it exposes).
        public func exposes(_ reason: FailureReason) -> Bool {
            switch reason {
            case .capture: return values
            case .auth: return oauth2
            default: return true
            }
        }
    }
}
