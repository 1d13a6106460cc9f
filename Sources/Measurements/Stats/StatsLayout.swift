/// What a stats shard keeps, from the config: bucket bounds and trend precision.
public struct StatsLayout: Sendable, Equatable {
    /// `agent.buckets`, seconds.
    public var buckets: [Double]
    /// `agent.phase_buckets`, seconds.
    public var phaseBuckets: [Double]
    /// Sub-bucket bits of the run trends (8: ≤ 0.39 % quantile error).
    public var trendBits: Int
    /// Statuses whose `http_req_duration{status:N}` a threshold reads: they get their own trend.
    public var statusTrends: [Int]
    /// `agent.native_histograms`: the native part of the request-duration histogram; nil: none.
    public var native: NativeHistogramSpec?
    /// What the rolling windows keep beyond the answered-latency histogram (for thresholds).
    public var windowExtras: WindowExtras

    /// A layout; by default the default buckets, 8 trend bits, no status trends and no window extras.
    public init(buckets: [Double] = StatsLayout.defaultBuckets, phaseBuckets: [Double] = StatsLayout.defaultPhaseBuckets,
                trendBits: Int = 8, statusTrends: [Int] = [], windowExtras: WindowExtras = WindowExtras(),
                native: NativeHistogramSpec? = NativeHistogramSpec()) {
        self.native = native
        self.buckets = buckets
        self.phaseBuckets = phaseBuckets
        self.trendBits = trendBits
        self.statusTrends = statusTrends
        self.windowExtras = windowExtras
    }

    /// The default `agent.buckets`, in seconds.
    public static let defaultBuckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10]
    /// The default `agent.phase_buckets`, in seconds.
    public static let defaultPhaseBuckets: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]
}
