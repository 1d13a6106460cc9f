import Probes

/// What a threshold is evaluated over: the whole run, or one rolling window.
public protocol ThresholdData {
    /// The observed value in k6's units (trends in ms, rates 0–1, counter rates per second),
    /// or nil when the data holds no sample of that metric.
    func observe(metric: ThresholdMetric, selector: ThresholdSelector,
                 aggregation: ThresholdExpression.Aggregation) -> Double?
}

/// Aggregations shared by both kinds of data.
enum ThresholdMath {
    static func trend(_ h: LogLinearHistogram, _ agg: ThresholdExpression.Aggregation) -> Double? {
        guard h.count > 0 else { return nil }
        let us: Double?
        switch agg {
        case .avg: us = h.mean
        case .min: us = Double(h.min)
        case .max: us = Double(h.max)
        case .med: us = h.quantile(0.5)
        case .percentile(let p): us = h.quantile(p / 100)
        default: us = nil
        }
        return us.map { $0 / 1000 }
    }

    static func ratio(_ trues: UInt64, _ total: UInt64) -> Double? {
        total == 0 ? nil : Double(trues) / Double(total)
    }
}

/// One probe of a scenario as thresholds see it.
public struct ThresholdProbe: Sendable {
    /// The probe's `name`, which `{probe:NAME}` selects.
    public var name: String
    /// The names of the probe's checks, in order, which `{check:NAME}` selects.
    public var checkNames: [String]
    /// A journey's step names, which `{step:NAME}` selects; empty for a single-request probe.
    public var steps: [String]
    /// For each check, the index of its step.
    public var checkSteps: [Int]

    /// A probe named `name` with checks `checkNames` and, for a journey, `steps` (`checkSteps` gives each check's step).
    public init(name: String, checkNames: [String], steps: [String] = [], checkSteps: [Int] = []) {
        self.name = name
        self.checkNames = checkNames
        self.steps = steps
        self.checkSteps = checkSteps
    }

    /// The probe as `spec` defines it.
    public init(_ spec: ProbeSpec) {
        self.init(name: spec.name, checkNames: spec.checks.map(\.name), steps: spec.isJourney ? spec.steps.map(\.name) : [],
                  checkSteps: spec.checkSteps)
    }

    /// Whether check `c` is selected by `sel`'s check and step keys.
    func selects(check c: Int, _ sel: ThresholdSelector) -> Bool {
        if let name = sel.check, checkNames[c] != name { return false }
        if let step = sel.step {
            guard let k = steps.firstIndex(of: step), c < checkSteps.count, checkSteps[c] == k else { return false }
        }
        return true
    }
}

/// A whole `kalm run` so far: every probe's totals.
public struct RunThresholdData: ThresholdData, Sendable {
    /// The scenario's name, which `{scenario:NAME}` selects.
    public var scenario: String
    /// The scenario's probes, in the order of `stats`.
    public var probes: [ThresholdProbe]
    /// Each probe's totals so far.
    public var stats: [ProbeStats]
    /// Each journey probe's totals per step (empty for a single-request probe).
    public var stepStats: [[ProbeStats]]
    /// Seconds since the run started: counter rates divide by this.
    public var elapsedSeconds: Double
    /// The `vus` gauge's current value, and `vus_max`.
    public var vus: Double
    /// The `vus_max` gauge's value.
    public var vusMax: Double

    /// The data of a run of `scenario` after `elapsedSeconds` seconds.
    public init(scenario: String, probes: [ThresholdProbe], stats: [ProbeStats], stepStats: [[ProbeStats]] = [],
                elapsedSeconds: Double, vus: Double, vusMax: Double) {
        self.scenario = scenario
        self.probes = probes
        self.stats = stats
        self.stepStats = stepStats
        self.elapsedSeconds = elapsedSeconds
        self.vus = vus
        self.vusMax = vusMax
    }

    private func selected(_ sel: ThresholdSelector) -> [Int] {
        if let s = sel.scenario, s != scenario { return [] }
        return probes.indices.filter { (sel.probe == nil || probes[$0].name == sel.probe) && (sel.step == nil || probes[$0].steps.contains(sel.step!)) }
    }

    /// The observed value over the whole run so far; nil when the selected probes have no sample of a trend or rate.
    public func observe(metric: ThresholdMetric, selector sel: ThresholdSelector,
                        aggregation agg: ThresholdExpression.Aggregation) -> Double? {
        let idx = selected(sel)
        // `{step:NAME}` reads the step's own totals (checks are told apart by their step instead).
        var stats = self.stats
        if let step = sel.step, metric != .rate(.checks) {
            for i in idx {
                if let k = probes[i].steps.firstIndex(of: step), i < stepStats.count, k < stepStats[i].count { stats[i] = stepStats[i][k] }
            }
        }
        switch metric {
        case .trend(let t):
            var h: LogLinearHistogram?
            for i in idx {
                let part: LogLinearHistogram?
                if let st = sel.status {
                    part = stats[i].statusDurations.first { $0.status == st }?.trend
                } else if t == .duration, let e = sel.expectedResponse {
                    part = e ? stats[i].trends[Trend.durationExpected.rawValue] : nil
                } else {
                    // Phases are not kept apart by expected_response: the all-requests trend is used.
                    part = stats[i].trends[t.rawValue]
                }
                if let part { if h == nil { h = part } else { h!.merge(part) } }
            }
            return h.flatMap { ThresholdMath.trend($0, agg) }
        case .rate(.httpReqFailed):
            let failed = idx.reduce(UInt64(0)) { $0 + stats[$1].failedRequests }
            let all = idx.reduce(UInt64(0)) { $0 + stats[$1].requests }
            return ThresholdMath.ratio(failed, all)
        case .rate(.availability):
            let ok = idx.reduce(UInt64(0)) { $0 + stats[$1].iterationsSucceeded }
            let all = idx.reduce(UInt64(0)) { $0 + stats[$1].iterations }
            return ThresholdMath.ratio(ok, all)
        case .rate(.checks):
            var pass: UInt64 = 0, total: UInt64 = 0
            for i in idx {
                for c in probes[i].checkNames.indices where probes[i].selects(check: c, sel) {
                    pass += stats[i].checkPasses[c]
                    total += stats[i].checkPasses[c] + stats[i].checkFails[c]
                }
            }
            return ThresholdMath.ratio(pass, total)
        case .counter(let c):
            let n: UInt64 = idx.reduce(0) { acc, i in
                let s = stats[i]
                switch c {
                case .httpReqs: return acc + (sel.status.map { s.requestsByCode[$0] } ?? s.requests)
                case .iterations: return acc + s.iterations
                case .droppedIterations: return acc + s.droppedIterations
                case .dataSent: return acc + s.bytesSent
                case .dataReceived: return acc + s.bytesReceived
                }
            }
            if case .rate = agg { return elapsedSeconds > 0 ? Double(n) / elapsedSeconds : 0 }
            return Double(n)
        case .gauge(.vus): return vus
        case .gauge(.vusMax): return vusMax
        }
    }
}

/// One rolling window of a scenario in the agent.
public struct WindowThresholdData: ThresholdData, Sendable {
    /// The scenario's name, which `{scenario:NAME}` selects.
    public var scenario: String
    /// The scenario's probes, in the order of `windows`.
    public var probes: [ThresholdProbe]
    /// The window's merged contents, per probe.
    public var windows: [WindowSnapshot]
    /// A journey probe's window per step (empty for a single-request probe).
    public var stepWindows: [[WindowSnapshot]]
    /// VUs running now: the `vus` gauge.
    public var activeVUs: Double
    /// The most VUs the executor may use: the `vus_max` gauge.
    public var maxVUs: Double

    /// The data of one rolling window of `scenario`.
    public init(scenario: String, probes: [ThresholdProbe], windows: [WindowSnapshot], stepWindows: [[WindowSnapshot]] = [],
                activeVUs: Double, maxVUs: Double) {
        self.scenario = scenario
        self.probes = probes
        self.windows = windows
        self.stepWindows = stepWindows
        self.activeVUs = activeVUs
        self.maxVUs = maxVUs
    }

    /// The observed value over the window, or nil when the window holds no sample; counter rates divide by the seconds the window covers.
    public func observe(metric: ThresholdMetric, selector sel: ThresholdSelector,
                        aggregation agg: ThresholdExpression.Aggregation) -> Double? {
        if let s = sel.scenario, s != scenario { return nil }
        let idx = probes.indices.filter { (sel.probe == nil || probes[$0].name == sel.probe) && (sel.step == nil || probes[$0].steps.contains(sel.step!)) }
        let data = idx.map { i -> WindowSlot in
            if let step = sel.step, metric != .rate(.checks), let k = probes[i].steps.firstIndex(of: step),
               i < stepWindows.count, k < stepWindows[i].count {
                return stepWindows[i][k].data
            }
            return windows[i].data
        }
        switch metric {
        case .trend(let t):
            var h: LogLinearHistogram?
            for d in data {
                let part: LogLinearHistogram?
                if let st = sel.status {
                    part = d.extras.statuses.firstIndex(of: st).map { d.statusDurations[$0] }
                } else if t == .duration, sel.expectedResponse == true {
                    part = d.latency
                } else {
                    part = d.trend(t)
                }
                if let part { if h == nil { h = part } else { h!.merge(part) } }
            }
            return h.flatMap { ThresholdMath.trend($0, agg) }
        case .rate(.httpReqFailed):
            return ThresholdMath.ratio(data.reduce(0) { $0 + $1.failedRequests }, data.reduce(0) { $0 + $1.requests })
        case .rate(.availability):
            return ThresholdMath.ratio(data.reduce(0) { $0 + $1.iterationsSucceeded }, data.reduce(0) { $0 + $1.iterations })
        case .rate(.checks):
            var pass: UInt64 = 0, total: UInt64 = 0
            for (k, i) in idx.enumerated() {
                for c in probes[i].checkNames.indices where probes[i].selects(check: c, sel) {
                    pass += data[k].checkPasses[c]
                    total += data[k].checkPasses[c] + data[k].checkFails[c]
                }
            }
            return ThresholdMath.ratio(pass, total)
        case .counter(let c):
            guard data.contains(where: { $0.requests > 0 || $0.droppedIterations > 0 }) else { return nil }
            let n: UInt64 = data.reduce(0) { acc, d in
                switch c {
                case .httpReqs: return acc + (sel.status.flatMap { st in d.extras.statuses.firstIndex(of: st).map { d.statusRequests[$0] } } ?? d.requests)
                case .iterations: return acc + d.iterations
                case .droppedIterations: return acc + d.droppedIterations
                case .dataSent: return acc + d.bytesSent
                case .dataReceived: return acc + d.bytesReceived
                }
            }
            if case .rate = agg {
                let secs = idx.map { windows[$0].seconds }.max() ?? 0
                return secs > 0 ? Double(n) / secs : nil
            }
            return Double(n)
        case .gauge(.vus): return activeVUs
        case .gauge(.vusMax): return maxVUs
        }
    }
}

/// Which extra data thresholds need recorded: per-status trends, window trends and statuses.
public enum ThresholdNeeds {
    /// The statuses whose `http_req_duration{status:N}` a threshold reads, ascending.
    public static func statusTrends(_ thresholds: [Threshold]) -> [Int] {
        Array(Set(thresholds.compactMap { $0.metric == .trend(.duration) ? $0.selector.status : nil })).sorted()
    }

    /// The trends and statuses the rolling windows must keep for `thresholds`.
    public static func windowExtras(_ thresholds: [Threshold]) -> WindowExtras {
        var trends: Set<Trend> = []
        var statuses: Set<Int> = []
        for t in thresholds {
            if let s = t.selector.status { statuses.insert(s); continue }
            if case .trend(let tr) = t.metric, !(tr == .duration && t.selector.expectedResponse == true) {
                trends.insert(tr)
            }
        }
        return WindowExtras(trends: trends.sorted { $0.rawValue < $1.rawValue }, statuses: statuses.sorted())
    }
}
