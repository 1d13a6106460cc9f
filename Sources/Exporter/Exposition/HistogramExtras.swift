// What a histogram series carries beyond its classic samples, for the formats that can say
// it: exemplars on buckets (OpenMetrics and protobuf) and a native part (protobuf only).
// Text 0.0.4 ignores both (docs/metrics.md, "Native histograms and exemplars").

import Measurements

/// An exemplar: labels (kalm's: `trace_id`), the observed value and when it was observed.
public struct MetricExemplar: Sendable {
    /// The exemplar's labels, e.g. `[("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")]`.
    public var labels: MetricLabels
    /// The observation.
    public var value: Double
    /// Unix time, seconds; nil: none written.
    public var timestamp: Double?

    /// An exemplar of `value` with `labels`, observed at `timestamp`.
    public init(labels: MetricLabels, value: Double, timestamp: Double?) {
        self.labels = labels
        self.value = value
        self.timestamp = timestamp
    }
}

/// The extras of one histogram series of a family, matched to it by labels.
public struct HistogramExtras: Sendable {
    /// The series' labels (as its samples carry them).
    public var labels: MetricLabels
    /// The native part (its spans are computed only by the protobuf writer); nil: classic only.
    public var native: NativeHistogram?
    /// Per classic bucket in `le` order, `+Inf` last: its exemplar, if any. Empty: none.
    public var exemplars: [MetricExemplar?]

    /// Extras for the series `labels`.
    public init(labels: MetricLabels, native: NativeHistogram? = nil, exemplars: [MetricExemplar?] = []) {
        self.labels = labels
        self.native = native
        self.exemplars = exemplars
    }
}

/// Finds each series' extras while a writer walks the series in order: the extras are made in
/// the collectors' series order, so the next one is normally the match (a search otherwise).
struct ExtrasCursor {
    private let extras: [HistogramExtras]
    private var next = 0

    init(_ extras: [HistogramExtras]) {
        self.extras = extras
    }

    mutating func find(_ labels: MetricLabels) -> HistogramExtras? {
        guard !extras.isEmpty else { return nil }
        if next < extras.count, SampleOrder.sameLabels(extras[next].labels, labels) {
            next += 1
            return extras[next - 1]
        }
        guard let i = extras.firstIndex(where: { SampleOrder.sameLabels($0.labels, labels) }) else { return nil }
        next = i + 1
        return extras[i]
    }
}
