// The exposition model: what a scrape renders. Built fresh on every scrape by
// the collectors, so it is kept flat and cheap: one array of samples per
// family, labels as an ordered array of pairs (no dictionaries), and the
// `le` / `quantile` label carried as a Double inside the sample kind, so a
// histogram's buckets share one label array and no bound is formatted until
// the writer needs it.

/// Label pairs in the order they are written. Every sample of a series
/// should use the same names in the same order (the writers do not reorder
/// labels within a sample; they do sort samples, see `MetricFamily`).
/// `le` and `quantile` do not belong here: they come from `MetricSample.Kind`.
public typealias MetricLabels = [(name: String, value: String)]

/// The metric type written in `# TYPE`.
public enum MetricType: UInt8, Sendable {
    case counter, gauge, histogram, summary, untyped

    /// The word in a text-format 0.0.4 `# TYPE` line.
    public var textName: String {
        switch self {
        case .counter: return "counter"
        case .gauge: return "gauge"
        case .histogram: return "histogram"
        case .summary: return "summary"
        case .untyped: return "untyped"
        }
    }

    /// The word in an OpenMetrics `# TYPE` line (`untyped` is `unknown` there).
    public var openMetricsName: String {
        self == .untyped ? "unknown" : textName
    }
}

/// One line of exposition: a value, the labels of its series, and which
/// part of the series it is.
public struct MetricSample: Sendable {
    /// Which sample of a series this is; decides the name suffix and the
    /// extra `le`/`quantile` label.
    public enum Kind: Sendable, Equatable {
        /// The sample of a counter, gauge or untyped series (no suffix; a
        /// counter's name already ends in `_total`).
        case value
        /// A cumulative histogram bucket: `<name>_bucket{…,le="<le>"}`.
        case bucket(le: Double)
        /// A summary quantile: `<name>{…,quantile="<q>"}`.
        case quantile(Double)
        /// `<name>_sum`
        case sum
        /// `<name>_count`
        case count
    }

    /// Which sample of the series this is.
    public var kind: Kind
    /// The series' labels, without `le` or `quantile`.
    public var labels: MetricLabels
    /// The sample's value.
    public var value: Double

    /// A sample of `kind` (by default a plain value) for the series `labels`.
    @inlinable
    public init(_ kind: Kind = .value, labels: MetricLabels, value: Double) {
        self.kind = kind
        self.labels = labels
        self.value = value
    }
}

/// A metric family: `# HELP`, `# TYPE` and its samples.
///
/// `name` is the text-format name of the samples' base, exactly as in the
/// Prometheus text format: `kalm_http_requests_total` for a counter (the
/// counter's samples carry this name unchanged), `kalm_http_request_duration_seconds`
/// for a histogram (samples get `_bucket`, `_sum`, `_count`). The OpenMetrics
/// writer derives the family name of a counter by dropping `_total`
/// (`# TYPE kalm_http_requests counter`) and keeps `_total` on the samples; a
/// counter whose name lacks `_total` gets it appended on its OpenMetrics
/// samples (as client_golang does), so prefer names that end in `_total`.
///
/// Samples may be appended in any order: the writers sort them (by label
/// pairs, then bucket `le` / `quantile` numerically, then `_sum`, `_count`),
/// with a linear fast path when they are already in order. A family with no
/// samples is not written at all (a window with no data has no series).
public struct MetricFamily: Sendable {
    /// The family's text-format name (`kalm_http_requests_total` for a counter).
    public var name: String
    /// The `# HELP` text.
    public var help: String
    /// The `# TYPE` of the family.
    public var type: MetricType
    /// OpenMetrics `# UNIT` (e.g. "seconds"). Written only by the OpenMetrics
    /// writer, and only when the OpenMetrics family name ends in `_<unit>`
    /// (the spec's rule, which Prometheus enforces); ignored otherwise.
    public var unit: String?
    /// The family's samples, in any order; the writers sort them.
    public var samples: [MetricSample]
    /// A histogram family's exemplars and native parts, per series (`HistogramExtras`); best
    /// appended in the order of the series' samples.
    public var histogramExtras: [HistogramExtras] = []

    /// A family with the given name, help, type and unit, and `samples` (by default none).
    public init(name: String, help: String, type: MetricType, unit: String? = nil,
                samples: [MetricSample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.unit = unit
        self.samples = samples
    }

    /// Appends the single sample of a counter, gauge or untyped series.
    @inlinable
    public mutating func add(_ value: Double, labels: MetricLabels = []) {
        samples.append(MetricSample(.value, labels: labels, value: value))
    }

    /// Appends one histogram series from cumulative counts.
    ///
    /// - Parameters:
    ///   - upperBounds: the finite bucket bounds, ascending. `+Inf` is added
    ///     here (an infinite bound in the list is skipped).
    ///   - cumulativeCounts: observations ≤ each bound, same length as
    ///     `upperBounds`.
    ///   - count: all observations (the `+Inf` bucket and `_count`).
    ///   - sum: the sum of the observations (`_sum`).
    public mutating func addHistogram<C: Collection>(
        labels: MetricLabels, upperBounds: [Double], cumulativeCounts: C, count: UInt64, sum: Double
    ) where C.Element == UInt64 {
        precondition(cumulativeCounts.count == upperBounds.count,
                     "addHistogram: \(cumulativeCounts.count) counts for \(upperBounds.count) bounds")
        var i = cumulativeCounts.startIndex
        for le in upperBounds {
            let c = cumulativeCounts[i]
            cumulativeCounts.formIndex(after: &i)
            if le == .infinity { continue }
            samples.append(MetricSample(.bucket(le: le), labels: labels, value: Double(c)))
        }
        samples.append(MetricSample(.bucket(le: .infinity), labels: labels, value: Double(count)))
        samples.append(MetricSample(.sum, labels: labels, value: sum))
        samples.append(MetricSample(.count, labels: labels, value: Double(count)))
    }

    /// Appends one histogram series from per-bucket (non-cumulative) counts.
    ///
    /// `bucketCounts` has one more element than `upperBounds`: the last is the
    /// number of observations above the last bound. The cumulative buckets,
    /// `+Inf`, `_sum` and `_count` (the total) are derived here.
    public mutating func addHistogram<C: Collection>(
        labels: MetricLabels, upperBounds: [Double], bucketCounts: C, sum: Double
    ) where C.Element == UInt64 {
        precondition(bucketCounts.count == upperBounds.count + 1,
                     "addHistogram: need \(upperBounds.count + 1) bucket counts (last: above the last bound), got \(bucketCounts.count)")
        var running: UInt64 = 0
        var i = bucketCounts.startIndex
        for le in upperBounds {
            running &+= bucketCounts[i]
            bucketCounts.formIndex(after: &i)
            if le == .infinity { continue }
            samples.append(MetricSample(.bucket(le: le), labels: labels, value: Double(running)))
        }
        running &+= bucketCounts[i]
        samples.append(MetricSample(.bucket(le: .infinity), labels: labels, value: Double(running)))
        samples.append(MetricSample(.sum, labels: labels, value: sum))
        samples.append(MetricSample(.count, labels: labels, value: Double(running)))
    }

    /// Appends one summary series. kalm's window summaries pass only
    /// quantiles (a window is not cumulative, so it has no `_sum`/`_count`);
    /// `sum` and `count` are written only when given.
    public mutating func addSummary(
        labels: MetricLabels, quantiles: [(quantile: Double, value: Double)],
        sum: Double? = nil, count: UInt64? = nil
    ) {
        for q in quantiles {
            samples.append(MetricSample(.quantile(q.quantile), labels: labels, value: q.value))
        }
        if let sum { samples.append(MetricSample(.sum, labels: labels, value: sum)) }
        if let count { samples.append(MetricSample(.count, labels: labels, value: Double(count))) }
    }
}

extension MetricFamily {
    /// Whether `name` is a valid metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
    /// The writers do not check names (they run on every scrape); collectors
    /// build names from constants, and tests call this.
    public static func isValidMetricName(_ name: String) -> Bool {
        var first = true
        for b in name.utf8 {
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b == 0x3A
                || (!first && b >= 0x30 && b <= 0x39)
            if !ok { return false }
            first = false
        }
        return !first
    }

    /// Whether `name` is a valid label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not
    /// starting with `__`, which Prometheus reserves).
    public static func isValidLabelName(_ name: String) -> Bool {
        var first = true
        for b in name.utf8 {
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F
                || (!first && b >= 0x30 && b <= 0x39)
            if !ok { return false }
            first = false
        }
        return !first && !name.hasPrefix("__")
    }
}
