import Exporter
import Measurements
import Probes

/// How many probe series a config exposes (docs/metrics.md, "Series profiles"), for
/// `kalm check` and `agent.series_budget`: each probe counted as it typically runs, with
/// one status code (or class) and no failures; failures add a series per reason seen.
enum SeriesEstimate {
    /// Series of one probe instance in one scenario.
    static func perProbe(_ p: ProbeSpec, agent: AgentSettings) -> Int {
        let stepsFactor = p.isJourney ? p.steps.count : 1
        let https = p.isHTTPS ? 1 : 0
        switch p.series {
        case .lean:
            let bounds = agent.buckets.filter { ProbeFamilies.leanBounds.contains($0) }.count
            let request = 1 + (bounds + 3)             // one status class, the histogram (+Inf, sum, count)
            let window = 1 + (p.isJourney ? 0 : agent.quantiles.count)
            return request * stepsFactor + 2 + 1 + 1 + window + https
        case .full:
            let reasons = FailureReason.allCases.count - 2 + (p.captureCount > 0 || p.steps.contains { !$0.templates.isEmpty } ? 1 : 0)
                + (p.auth.map { if case .oauth2 = $0 { 1 } else { 0 } } ?? 0)
            let checks = p.checks.count * 2
            let request = 1 + reasons + (agent.buckets.count + 3) + Phase.allCases.count * (agent.phaseBuckets.count + 3) + 2
            let window = agent.windows.count * (3 + agent.quantiles.count)
            return request * stepsFactor + checks + 2 + 1 + 1 + https + window + 2
        }
    }

    /// Every probe of every scenario.
    static func total(_ config: KalmConfig) -> Int {
        config.scenarios.reduce(0) { sum, s in sum + s.spec.probes.reduce(0) { $0 + perProbe($1, agent: config.agent) } }
    }
}
