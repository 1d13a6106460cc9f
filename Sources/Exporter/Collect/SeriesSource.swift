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
                      ProbeSource(name: p.name, labels: p.labels, checkNames: p.checks.map(\.name), isHTTPS: p.isHTTPS, recorder: r)
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

    /// A probe source from its parts.
    public init(name: String, labels: [(String, String)], checkNames: [String], isHTTPS: Bool, recorder: ProbeRecorder) {
        self.name = name
        self.labels = labels
        self.checkNames = checkNames
        self.isHTTPS = isHTTPS
        self.recorder = recorder
    }
}
