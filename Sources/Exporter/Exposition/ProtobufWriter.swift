// The protobuf exposition: a stream of io.prometheus.client.MetricFamily messages, each
// prefixed with its length (`encoding=delimited`), as client_golang writes it. The schema is
// proto/metrics.proto (the field numbers Prometheus reads); docs/metrics.md
// ("Protobuf exposition") lists what each family becomes.

/// Writes families as delimited `io.prometheus.client.MetricFamily` messages.
///
/// Same families, names, labels and values as the text formats, in the same order. Counters
/// keep their `_total` name (protobuf has no separate family name); histograms carry their
/// classic buckets (`+Inf` only when it holds an exemplar: Prometheus adds it from the count),
/// bucket exemplars with timestamps, and the native part where the family has one; summaries
/// carry their quantiles, and `_sum`/`_count` only where the text formats have them.
public struct ProtobufWriter {
    /// `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited`.
    public static let contentType = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

    private var scratch = ProtobufScratch()

    /// A writer with empty buffers.
    public init() {}

    /// Renders `families` and lends the bytes to `body` (valid only inside it).
    public mutating func withRendered<R>(_ families: [MetricFamily], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&scratch) { scratch = ProtobufScratch() }
        let s = scratch
        var out = s.sink
        out.count = 0
        SampleOrder.familyIndices(families, into: &s.familyOrder)
        for fi in s.familyOrder where !families[fi].samples.isEmpty {
            Self.writeFamily(families[fi], into: &out, scratch: s)
        }
        s.sink = out
        return try body(out.bytes)
    }

    /// Appends the exposition of `families` to `buffer`.
    public mutating func write(_ families: [MetricFamily], into buffer: inout [UInt8]) {
        withRendered(families) { buffer.append(contentsOf: $0) }
    }

    /// One-shot convenience.
    public static func render(_ families: [MetricFamily]) -> [UInt8] {
        var w = Self()
        var out: [UInt8] = []
        w.write(families, into: &out)
        return out
    }

    // MARK: messages

    /// `MetricType` numbers.
    static func typeCode(_ t: MetricType) -> UInt64 {
        switch t {
        case .counter: return 0
        case .gauge: return 1
        case .summary: return 2
        case .untyped: return 3
        case .histogram: return 4
        }
    }

    private static func writeFamily(_ f: MetricFamily, into out: inout ByteSink, scratch s: ProtobufScratch) {
        let samples = f.samples
        // The samples' output order, and where each series starts and ends in it.
        s.order.removeAll(keepingCapacity: true)
        switch SampleOrder.seriesRuns(samples, into: &s.runs) {
        case true?:
            s.order.append(contentsOf: samples.indices)
        case false?:
            for r in s.runs {
                let from = s.order.count
                s.order.append(contentsOf: r)
                s.order[from...].sort { SampleOrder.kindPrecedes(samples[$0].kind, samples[$1].kind) }
            }
        case nil:
            SampleOrder.sortedIndices(samples, into: &s.order)
            s.runs.removeAll(keepingCapacity: true)
            var from = 0
            for k in 1...s.order.count where k == s.order.count || !SampleOrder.sameLabels(samples[s.order[k]].labels, samples[s.order[from]].labels) {
                s.runs.append(from..<k)
                from = k
            }
        }

        let family = out.beginMessage(nil)
        out.putString(1, f.name)
        out.putString(2, f.help)
        out.putUInt(3, typeCode(f.type))
        var extras = ExtrasCursor(f.histogramExtras)
        for r in s.runs {
            let labels = samples[s.order[r.lowerBound]].labels
            let metric = out.beginMessage(4)
            for (name, value) in labels { writeLabel(name, value, field: 1, into: &out) }
            switch f.type {
            case .counter, .gauge, .untyped:
                let field: UInt32 = f.type == .counter ? 3 : f.type == .gauge ? 2 : 5
                let m = out.beginMessage(field)
                out.putDouble(1, samples[s.order[r.lowerBound]].value)
                out.endMessage(m)
            case .summary:
                let m = out.beginMessage(4)
                for k in r {
                    let sample = samples[s.order[k]]
                    switch sample.kind {
                    case .quantile(let q):
                        let qm = out.beginMessage(3)
                        out.putDouble(1, q)
                        out.putDouble(2, sample.value)
                        out.endMessage(qm)
                    case .sum: out.putDouble(2, sample.value)
                    case .count: out.putUInt(1, count(sample.value))
                    default: break
                    }
                }
                out.endMessage(m)
            case .histogram:
                writeHistogram(samples, s.order[r], extras: extras.find(labels), into: &out)
            }
            out.endMessage(metric)
        }
        out.endMessage(family)
    }

    private static func writeHistogram(_ samples: [MetricSample], _ order: ArraySlice<Int>, extras: HistogramExtras?,
                                       into out: inout ByteSink) {
        let m = out.beginMessage(7)
        let exemplars = extras?.exemplars ?? []
        var ordinal = 0
        for i in order {
            let sample = samples[i]
            switch sample.kind {
            case .bucket(let le):
                defer { ordinal += 1 }
                let exemplar = ordinal < exemplars.count ? exemplars[ordinal] : nil
                if le == .infinity && exemplar == nil { continue }
                let b = out.beginMessage(3)
                out.putUInt(1, count(sample.value))
                out.putDouble(2, le)
                if let exemplar { writeExemplar(exemplar, into: &out) }
                out.endMessage(b)
            case .sum: out.putDouble(2, sample.value)
            case .count: out.putUInt(1, count(sample.value))
            default: break
            }
        }
        if let n = extras?.native {
            let (spans, deltas) = n.spans()
            out.putSInt(5, Int64(n.schema))
            out.putDouble(6, n.zeroThreshold)
            out.putUInt(7, n.zeroCount)
            for span in spans {
                let sm = out.beginMessage(12)
                out.putSInt(1, Int64(span.offset))
                out.putUInt(2, UInt64(span.length))
                out.endMessage(sm)
            }
            for d in deltas { out.putSInt(13, d) }
        }
        out.endMessage(m)
    }

    private static func writeExemplar(_ e: MetricExemplar, into out: inout ByteSink) {
        let m = out.beginMessage(3)
        for (name, value) in e.labels { writeLabel(name, value, field: 1, into: &out) }
        out.putDouble(2, e.value)
        if let t = e.timestamp {
            let ts = out.beginMessage(3)
            let seconds = t.rounded(.down)
            out.putUInt(1, UInt64(bitPattern: Int64(seconds)))
            let nanos = Int64(((t - seconds) * 1e9).rounded())
            if nanos > 0 { out.putUInt(2, UInt64(min(nanos, 999_999_999))) }
            out.endMessage(ts)
        }
        out.endMessage(m)
    }

    @inline(__always)
    private static func writeLabel(_ name: String, _ value: String, field: UInt32, into out: inout ByteSink) {
        let m = out.beginMessage(field)
        out.putString(1, name)
        out.putString(2, value)
        out.endMessage(m)
    }

    /// A count sample as the `uint64` protobuf wants (kalm's counts are whole and ≥ 0).
    @inline(__always)
    private static func count(_ v: Double) -> UInt64 {
        v.isFinite && v > 0 ? UInt64(min(v, 1.8e19)) : 0
    }
}

/// The protobuf writer's reusable memory.
final class ProtobufScratch {
    var sink = ByteSink(capacity: 64 * 1024)
    var familyOrder: [Int] = []
    var order: [Int] = []
    var runs: [Range<Int>] = []

    deinit { sink.deallocate() }
}
