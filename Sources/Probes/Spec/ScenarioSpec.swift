/// What the engine runs: probes, an executor, think time and connection handling.
public struct ScenarioSpec: Sendable, Equatable {
    /// The `scenario` label.
    public var name: String
    /// The probes each VU runs.
    public var probes: [ProbeSpec]
    /// How iterations are scheduled.
    public var executor: ExecutorSpec
    /// Sleep after each iteration.
    public var thinkTime: ThinkTime
    /// false: a fresh connection (DNS, connect, TLS) every iteration, as blackbox_exporter.
    public var connectionReuse: Bool
    /// How long in-flight iterations may run on after the executor's end before they are cut off (k6 `gracefulStop`).
    public var gracefulStop: Double
    /// Seconds over which the VUs' first iterations are spread (0: all start at once, as in
    /// k6). Each VU gets a fixed offset, so thousands of probes with one think time do not
    /// all fire in the same instant every interval (as Prometheus spreads its scrapes).
    public var startSpread: Double = 0
    /// Seconds by which a VU's think time may end late (0: on time, as in k6). Timers that
    /// end within one slack fire together: with thousands of VUs one wake-up of the engine
    /// serves many of them, which on a busy or virtualised machine costs more than the request.
    public var timerSlack: Double = 0
    /// The part of the run this process does (`--execution-segment`): VU counts and
    /// arrival-rate iterations are this segment's share, by k6's striping; `.whole` by default.
    public var segment: ExecutionSegment = .whole

    /// The most VUs one probe has at once in this part (the segment's share of the executor's).
    public var maxVUsPerProbe: Int { segment.scale(executor.maxVUs) }

    /// A scenario; by default no think time, connection reuse on and a 30 s graceful stop.
    public init(
        name: String, probes: [ProbeSpec], executor: ExecutorSpec, thinkTime: ThinkTime = .zero,
        connectionReuse: Bool = true, gracefulStop: Double = 30
    ) {
        self.name = name
        self.probes = probes
        self.executor = executor
        self.thinkTime = thinkTime
        self.connectionReuse = connectionReuse
        self.gracefulStop = gracefulStop
    }
}

/// Uniform random sleep after each iteration, in seconds.
public struct ThinkTime: Sendable, Equatable {
    /// Shortest sleep, in seconds.
    public var min: Double
    /// Longest sleep, in seconds.
    public var max: Double
    /// A sleep drawn uniformly from `min...max` seconds.
    public init(min: Double, max: Double) {
        self.min = min
        self.max = max
    }
    /// No think time.
    public static let zero = ThinkTime(min: 0, max: 0)
    /// Whether there is no sleep (`max` ≤ 0).
    public var isZero: Bool { max <= 0 }
}

/// One stage of a ramping executor: reach `target` (VUs or iterations per time unit) over `duration` seconds.
public struct Stage: Sendable, Equatable {
    /// Length of the stage, in seconds.
    public var duration: Double
    /// VUs, or iterations per time unit, at the end of the stage.
    public var target: Double
    /// A stage reaching `target` over `duration` seconds.
    public init(duration: Double, target: Double) {
        self.duration = duration
        self.target = target
    }
}

/// How iterations are scheduled, with k6's semantics. All numbers are per probe.
public enum ExecutorSpec: Sendable, Equatable {
    /// `duration` may be `.infinity` (a continuous agent scenario).
    case constantVUs(vus: Int, duration: Double)
    case rampingVUs(startVUs: Int, stages: [Stage], gracefulRampDown: Double)
    case constantArrivalRate(rate: Double, timeUnit: Double, duration: Double, preallocatedVUs: Int, maxVUs: Int)
    case rampingArrivalRate(startRate: Double, timeUnit: Double, stages: [Stage], preallocatedVUs: Int, maxVUs: Int)

    /// k6's executor name.
    public var name: String {
        switch self {
        case .constantVUs: return "constant-vus"
        case .rampingVUs: return "ramping-vus"
        case .constantArrivalRate: return "constant-arrival-rate"
        case .rampingArrivalRate: return "ramping-arrival-rate"
        }
    }

    /// Arrival-rate executors (open model): they expose dropped iterations and start lag.
    public var isOpenModel: Bool {
        switch self {
        case .constantArrivalRate, .rampingArrivalRate: return true
        default: return false
        }
    }

    /// Seconds from start until the executor stops starting iterations.
    public var duration: Double {
        switch self {
        case .constantVUs(_, let d): return d
        case .rampingVUs(_, let stages, _): return stages.reduce(0) { $0 + $1.duration }
        case .constantArrivalRate(_, _, let d, _, _): return d
        case .rampingArrivalRate(_, _, let stages, _, _): return stages.reduce(0) { $0 + $1.duration }
        }
    }

    /// The most VUs one probe can have at once.
    public var maxVUs: Int {
        switch self {
        case .constantVUs(let v, _): return v
        case .rampingVUs(let s, let stages, _): return stages.reduce(s) { Swift.max($0, Int($1.target.rounded(.up))) }
        case .constantArrivalRate(_, _, _, let p, let m), .rampingArrivalRate(_, _, _, let p, let m): return Swift.max(p, m)
        }
    }
}
