import CCurl
import Foundation
import Synchronization

/// Runs one scenario: its engine threads, their VUs, until the executor ends or `requestStop()`.
///
/// ```swift
/// let engine = try Engine(scenario: s, threads: 2) { _ in MySink() }
/// engine.start()
/// engine.wait()
/// ```
///
/// Unchecked Sendable: `threads`, `startedAt` and `onFinish` are written only before the
/// engine threads start (`init`, `start()`, called once), and starting a thread publishes
/// them; afterwards every shared member is an atomic, a mutex or a DispatchGroup, and each
/// `EngineThread` (with its libcurl handles) is used by its own thread alone. Exercised
/// concurrently by every engine test that runs several threads (ArrivalRateTests, EngineBehaviourTests).
public final class Engine: @unchecked Sendable {
    /// The scenario this engine runs.
    public let scenario: ScenarioSpec
    /// Engine threads, after clamping to 1...256.
    public let threadCount: Int
    private let control: EngineControl
    private var threads: [EngineThread]
    private let finished = DispatchGroup()
    private let finishedCount = Atomic<Int>(0)
    /// Monotonic ns when `start()` was called (0 before).
    public private(set) var startedAt: UInt64 = 0
    private var onFinish: (@Sendable () -> Void)?
    /// The OAuth2 token sources of the probes that have one; they stop when the threads end.
    private let tokens: [TokenSource]

    /// - Parameters:
    ///   - scenario: what to run.
    ///   - threads: engine threads (each with its own multi handle); clamped to 1...256.
    ///   - sinkFactory: makes the result sink of each thread.
    /// - Throws: `EngineError` when libcurl cannot start.
    public init(scenario: ScenarioSpec, threads: Int, sinkFactory: ResultSinkFactory) throws {
        guard CurlGlobal.ensure() else { throw EngineError(.globalInit, message: "curl_global_init failed") }
        self.scenario = scenario
        let n = max(1, min(256, threads))
        threadCount = n
        control = EngineControl(threads: n, probes: scenario.probes.count)
        let sinks = (0..<n).map { sinkFactory($0) }
        // A `unique` data source starts over only in a scenario that never ends (the agent's continuous ones).
        let endless = !scenario.executor.duration.isFinite
        let compiled = scenario.probes.enumerated().map {
            CompiledProbe(index: $0.offset, spec: $0.element, endless: endless, sink: sinks[0], segment: scenario.segment)
        }
        tokens = compiled.compactMap(\.token)
        var ts: [EngineThread] = []
        for i in 0..<n {
            ts.append(try EngineThread(index: i, threadCount: n, scenario: scenario, probes: compiled,
                                       sink: sinks[i], control: control))
        }
        self.threads = ts
    }

    /// Starts the engine threads. `willStart` gets the start instant (monotonic ns) before
    /// any thread runs; `onFinish` runs (on an engine thread) once all have ended.
    public func start(willStart: ((UInt64) -> Void)? = nil, onFinish: (@Sendable () -> Void)? = nil) {
        self.onFinish = onFinish
        let t0 = MonotonicClock.now()
        startedAt = t0
        willStart?(t0)
        tokens.forEach { $0.start() }
        for t in threads {
            finished.enter()
            let thread = Thread { [self] in
                t.run(startedAt: t0)
                if finishedCount.add(1, ordering: .acquiringAndReleasing).newValue == threadCount {
                    self.tokens.forEach { $0.stop() }
                    self.onFinish?()
                }
                finished.leave()
            }
            thread.name = "kalm-engine-\(t.index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Stops starting iterations; requests in flight finish, time out, or are cut off after
    /// `grace` (at most the scenario's `gracefulStop`; nil: that alone).
    public func requestStop(grace: Duration? = nil) {
        let g = grace.map { UInt64(max(0, $0.nanoseconds)) } ?? UInt64.max
        control.stopGrace.store(g, ordering: .relaxed)
        control.stopRequested.store(true, ordering: .releasing)
        control.wakeAll()
    }

    /// Blocks until every engine thread has ended.
    public func wait() {
        finished.wait()
    }

    /// Blocks until every engine thread has ended or `timeout` passes; true when ended.
    public func wait(timeout: Duration) -> Bool {
        finished.wait(timeout: .now() + .nanoseconds(Int(clamping: timeout.nanoseconds))) == .success
    }

    /// Suspends until every engine thread has ended, without blocking a concurrency thread.
    public func finished() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.wait()
                c.resume()
            }
        }
    }

    /// Whether every engine thread has ended.
    public var isFinished: Bool { finishedCount.load(ordering: .acquiring) == threadCount }

    /// VUs running now, per probe (index as in `scenario.probes`).
    public func activeVUs() -> [Int] { control.activePerProbe() }

    /// libcurl's version, for `kalm --version` and logs.
    public static var curlVersion: String { CurlGlobal.version }
}
