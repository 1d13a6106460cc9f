import Measurements

/// The `agent:` section: labels and the shapes of windows, quantiles and histograms.
struct AgentSettings: Sendable {
    /// Added to every series the agent exposes; sorted by name.
    var labels: [(String, String)]
    /// Rolling windows, shortest first.
    var windows: [WindowSetting]
    /// Quantiles reported for each window, ascending.
    var quantiles: [Double]
    /// Upper bounds (seconds) of the request-duration histogram; ascending, containing 0.2 and 0.5.
    var buckets: [Double]
    /// Upper bounds (seconds) of the phase and start-lag histograms; ascending.
    var phaseBuckets: [Double]
    /// `agent.shard`: which share of the fleets' targets this agent probes; nil: all.
    var shard: Shard? = nil
    /// `agent.series_budget`: `kalm check` warns when the config would expose more series.
    var seriesBudget: Int = AgentSettings.defaultSeriesBudget
    /// `agent.native_histograms`: the native part of the request-duration histogram; nil: off.
    var nativeHistograms: NativeHistogramSpec? = NativeHistogramSpec()
    /// `agent.trace_url`: the status page's link for a trace id (`{{ trace_id }}` replaced); nil: ids only.
    var traceURL: String? = nil

    static let defaultSeriesBudget = 200_000

    static let defaultWindows: [WindowSetting] = [
        WindowSetting(name: "1m", seconds: 60), WindowSetting(name: "5m", seconds: 300),
        WindowSetting(name: "15m", seconds: 900), WindowSetting(name: "1h", seconds: 3600),
    ]
    static let defaultQuantiles: [Double] = [0.5, 0.9, 0.95, 0.99]
    static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10]
    static let defaultPhaseBuckets: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
    ]
    /// Bounds that `buckets` must contain: the reference guide's SLO latencies.
    static let requiredBuckets: [Double] = [0.2, 0.5]

    static let `default` = AgentSettings(
        labels: [], windows: defaultWindows, quantiles: defaultQuantiles,
        buckets: defaultBuckets, phaseBuckets: defaultPhaseBuckets
    )
}

/// One rolling window, e.g. `5m`.
struct WindowSetting: Sendable, Equatable {
    /// Canonical duration text (`1m`, `1h`, `1h30m`): the `window` label value.
    var name: String
    var seconds: Double
}
