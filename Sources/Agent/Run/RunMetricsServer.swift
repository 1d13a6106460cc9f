import Dispatch
import Exporter
import Foundation
import KalmSupport
import Logging
import Measurements
import NIOCore
import NIOPosix
import Probes

/// `kalm run --web.listen-address`: serves `/metrics` while a one-shot run goes, so
/// Prometheus can watch a load test as it happens (the guide's "monitor during tests").
final class RunMetricsServer: Sendable {
    private struct Live {
        var scenario: ScenarioSpec
        var sink: RecorderSink
        var engine: Engine
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let server = Locked<MetricsHTTPServer?>(nil)
    private let live = Locked<Live?>(nil)
    private let agentLabels: [(String, String)]
    private let families: ProbeFamilies
    private let cache = ScrapeCache(ttl: .seconds(1))

    init(config: KalmConfig) {
        agentLabels = config.agent.labels
        families = ProbeFamilies(agentLabels: config.agent.labels, buckets: config.agent.buckets,
                                 phaseBuckets: config.agent.phaseBuckets, quantiles: config.agent.quantiles)
    }

    /// Binds the addresses (blocking until bound). Throws `UsageError` naming a bad or busy address.
    func start(addresses: [String], security: EndpointSecuritySource = .fixed(.open), limits: ServerLimits = ServerLimits(),
               logger: Logger) throws {
        let routes = AgentRoutes.make(
            metrics: { [weak self] accept, encoding in
                guard let self else { return (ByteBuffer(), "text/plain; charset=utf-8", nil) }
                return cache.respond(accept: accept, acceptEncoding: encoding) { [weak self] in self?.collect() ?? [] }
            },
            statusPage: { "<!doctype html><title>kalm run</title><p>kalm run is running; see <a href=\"/metrics\">/metrics</a>.</p>" },
            reload: { "kalm run does not reload its config" },
            isReady: { [unowned self] in live.withLock { $0 != nil } })
        let result = Locked<Result<MetricsHTTPServer, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let group = self.group
        Task {
            do {
                let s = try await MetricsHTTPServer.start(addresses: addresses, routes: routes, group: group, logger: logger,
                                                          limits: limits, security: security)
                result.withLock { $0 = .success(s) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        switch result.withLock({ $0 })! {
        case .success(let s): server.withLock { $0 = s }
        case .failure(let e as ListenError): throw UsageError(.listenAddress, e.description)
        case .failure(let e): throw e
        }
    }

    /// The run to expose (called once its engine exists).
    func attach(scenario: ScenarioSpec, sink: RecorderSink, engine: Engine) {
        live.withLock { $0 = Live(scenario: scenario, sink: sink, engine: engine) }
    }

    func stop() {
        let done = DispatchSemaphore(value: 0)
        let server = self.server.withLock { $0 }
        let group = self.group
        Task {
            await server?.shutdown()
            try? await group.shutdownGracefully()
            done.signal()
        }
        done.wait()
    }

    private func collect() -> [MetricFamily] {
        var out: [MetricFamily] = []
        let base: MetricLabels = agentLabels.map { (name: $0.0, value: $0.1) }
        if let l = live.withLock({ $0 }) {
            let source = ScenarioSource(spec: l.scenario, recorders: l.sink.recorders,
                                        activeVUs: l.engine.isFinished ? nil : l.engine.activeVUs())
            out = families.collect([source], windows: WindowSnapshotMemo(now: MonotonicClock.now()))
            var active = MetricFamily(MetricCatalogue.scenarioActive)
            active.add(l.engine.isFinished ? 0 : 1, labels: [(name: "scenario", value: l.scenario.name)] + base)
            out.append(active)
        }
        let build = BuildInfo.family(labels: base)
        out.append(build)
        return out + ProcessMetrics.collect(labels: base)
    }
}
