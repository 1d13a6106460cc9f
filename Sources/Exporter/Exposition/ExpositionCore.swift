// The rendering loop shared by TextFormatWriter and OpenMetricsWriter. They
// differ only in metadata lines, counter family names, HELP escaping, the
// spelling of `le`/`quantile` and the closing `# EOF`.

/// Owns the scratch memory of one writer; a class so the memory is freed
/// once, and so a copied writer can notice (isKnownUniquelyReferenced) that
/// it must not share it.
final class ExpositionScratch {
    var sink = ByteSink(capacity: 64 * 1024)
    var labels = ByteSink(capacity: 1024)
    var familyOrder: [Int] = []
    var sampleOrder: [Int] = []
    var runs: [Range<Int>] = []
    var bounds: BoundCache

    init(canonicalBounds: Bool) {
        bounds = BoundCache(canonical: canonicalBounds)
    }

    deinit {
        sink.deallocate()
        labels.deallocate()
    }
}

struct ExpositionCore {
    let openMetrics: Bool
    private var scratch: ExpositionScratch

    init(openMetrics: Bool) {
        self.openMetrics = openMetrics
        scratch = ExpositionScratch(canonicalBounds: openMetrics)
    }

    /// Renders `families` and lends the bytes to `body` (valid only inside it).
    mutating func withRendered<R>(_ families: [MetricFamily], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if !isKnownUniquelyReferenced(&scratch) {
            scratch = ExpositionScratch(canonicalBounds: openMetrics)
        }
        let s = scratch
        // Work on local copies (no class-property access per byte), store back after.
        var state = RenderState(openMetrics: openMetrics, out: s.sink, labels: s.labels, bounds: BoundCache(canonical: openMetrics))
        swap(&state.bounds, &s.bounds) // move the cache out (no copy-on-write); put back below
        swap(&state.runs, &s.runs)
        state.out.count = 0
        state.labels.count = 0

        SampleOrder.familyIndices(families, into: &s.familyOrder)
        var sampleOrder = s.sampleOrder
        s.sampleOrder = []
        for fi in s.familyOrder {
            let family = families[fi]
            if family.samples.isEmpty { continue }
            state.writeFamily(family, sampleOrder: &sampleOrder)
        }
        if openMetrics { state.out.append("# EOF\n") }

        s.sink = state.out
        s.labels = state.labels
        s.bounds = state.bounds
        s.sampleOrder = sampleOrder
        swap(&state.runs, &s.runs)
        return try body(state.out.bytes)
    }

    mutating func write(_ families: [MetricFamily], into out: inout [UInt8]) {
        withRendered(families) { out.append(contentsOf: $0) }
    }
}

private struct RenderState {
    let openMetrics: Bool
    var out: ByteSink
    var labels: ByteSink // rendered `name="value",…` of the current series
    var bounds: BoundCache
    var runs: [Range<Int>] = []
    /// OpenMetrics: the current series' exemplars per bucket (empty: none) and the next bucket's place.
    var seriesExemplars: [MetricExemplar?] = []
    var bucketOrdinal = 0

    init(openMetrics: Bool, out: ByteSink, labels: ByteSink, bounds: BoundCache) {
        self.openMetrics = openMetrics
        self.out = out
        self.labels = labels
        self.bounds = bounds
    }

    mutating func writeFamily(_ f: MetricFamily, sampleOrder: inout [Int]) {
        // Family (metadata) name and the base of the sample names.
        var familyName = Substring(f.name)
        var valueSuffix: StaticString = ""
        if openMetrics && f.type == .counter {
            if f.name.hasSuffix("_total") { familyName = familyName.dropLast(6) }
            valueSuffix = "_total"
        }

        if openMetrics {
            out.append("# TYPE ")
            out.append(familyName)
            out.append(ExpositionBytes.space)
            out.append(f.type.openMetricsName)
            out.append(ExpositionBytes.newline)
            if let unit = f.unit, ExpositionCore.unitFits(unit, familyName: familyName) {
                out.append("# UNIT ")
                out.append(familyName)
                out.append(ExpositionBytes.space)
                out.append(unit)
                out.append(ExpositionBytes.newline)
            }
            out.append("# HELP ")
            out.append(familyName)
            out.append(ExpositionBytes.space)
            ExpositionBytes.appendEscaped(f.help, quotes: true, to: &out)
            out.append(ExpositionBytes.newline)
        } else {
            out.append("# HELP ")
            out.append(f.name)
            out.append(ExpositionBytes.space)
            ExpositionBytes.appendEscaped(f.help, quotes: false, to: &out)
            out.append(ExpositionBytes.newline)
            out.append("# TYPE ")
            out.append(f.name)
            out.append(ExpositionBytes.space)
            out.append(f.type.textName)
            out.append(ExpositionBytes.newline)
        }

        var extras = ExtrasCursor(openMetrics ? f.histogramExtras : [])
        seriesExemplars = []
        var nameBytes = familyName
        nameBytes.withUTF8 { name in
            let samples = f.samples
            switch SampleOrder.seriesRuns(samples, into: &runs) {
            case true?:
                // Series in order, each series' samples in order (the usual case).
                for r in runs {
                    startSeries(samples[r.lowerBound].labels, &extras)
                    for i in r { writeSample(samples[i], name: name, valueSuffix: valueSuffix) }
                }
            case false?:
                for r in runs {
                    startSeries(samples[r.lowerBound].labels, &extras)
                    sampleOrder.removeAll(keepingCapacity: true)
                    sampleOrder.append(contentsOf: r)
                    sampleOrder.sort { SampleOrder.kindPrecedes(samples[$0].kind, samples[$1].kind) }
                    for i in sampleOrder { writeSample(samples[i], name: name, valueSuffix: valueSuffix) }
                }
            case nil:
                // A series split over several runs: sort sample by sample.
                SampleOrder.sortedIndices(samples, into: &sampleOrder)
                var previous = -1
                for i in sampleOrder {
                    if previous < 0 || !SampleOrder.sameLabels(samples[previous].labels, samples[i].labels) {
                        startSeries(samples[i].labels, &extras)
                    }
                    previous = i
                    writeSample(samples[i], name: name, valueSuffix: valueSuffix)
                }
            }
        }
    }

    /// Renders a series' labels and, in OpenMetrics, finds its exemplars.
    @inline(__always)
    mutating func startSeries(_ labels: MetricLabels, _ extras: inout ExtrasCursor) {
        renderLabels(labels)
        if openMetrics, let e = extras.find(labels) {
            seriesExemplars = e.exemplars
            bucketOrdinal = 0
        } else if !seriesExemplars.isEmpty {
            seriesExemplars = []
        }
    }

    /// ` # {trace_id="…"} 0.067 1700000000.123` before the line's newline (OpenMetrics 1.0).
    mutating func writeExemplar(_ e: MetricExemplar) {
        out.count -= 1 // the newline
        out.append(" # {")
        var first = true
        for (name, value) in e.labels {
            if !first { out.append(0x2C) }
            first = false
            out.append(name)
            out.append("=\"")
            ExpositionBytes.appendEscaped(value, quotes: true, to: &out)
            out.append(ExpositionBytes.quote)
        }
        out.append("} ")
        ExpositionBytes.appendValue(e.value, to: &out)
        if let t = e.timestamp {
            out.append(ExpositionBytes.space)
            // Fixed-point milliseconds (`1700000000.123`), not Go's %g exponent form.
            let ms = Int64((t * 1000).rounded())
            out.append(String(ms / 1000))
            let frac = Int(ms % 1000)
            out.append(frac < 10 ? ".00" : frac < 100 ? ".0" : ".")
            out.append(String(frac))
        }
        out.append(ExpositionBytes.newline)
    }

    /// Writes one sample line; its labels are already in `labels`.
    @inline(__always)
    mutating func writeSample(_ s: MetricSample, name: UnsafeBufferPointer<UInt8>, valueSuffix: StaticString) {
        // name + longest suffix ("_bucket") + {labels,} + le/quantile key + ="…"} + space
        out.reserve(name.count + labels.count + 32)
        if let base = name.baseAddress { out.copy(base, name.count) } // (an empty name has no base)
        var extraName: StaticString = ""
        var extraValue = 0.0
        var hasExtra = false
        switch s.kind {
        case .value:
            if valueSuffix.utf8CodeUnitCount > 0 { out.copy(valueSuffix.utf8Start, valueSuffix.utf8CodeUnitCount) }
        case .bucket(let le):
            out.copy(("_bucket" as StaticString).utf8Start, 7)
            extraName = "le"; extraValue = le; hasExtra = true
        case .quantile(let q):
            extraName = "quantile"; extraValue = q; hasExtra = true
        case .sum:
            out.copy(("_sum" as StaticString).utf8Start, 4)
        case .count:
            out.copy(("_count" as StaticString).utf8Start, 6)
        }

        if labels.count > 0 || hasExtra {
            out.put(0x7B) // {
            out.copy(labels.base, labels.count)
            if hasExtra {
                if labels.count > 0 { out.put(0x2C) } // ,
                out.copy(extraName.utf8Start, extraName.utf8CodeUnitCount)
                out.put(0x3D); out.put(ExpositionBytes.quote) // ="
                bounds.append(extraValue, to: &out)
                out.reserve(3) // "} and the space below
                out.put(ExpositionBytes.quote)
            }
            out.put(0x7D) // }
        }
        out.put(ExpositionBytes.space)
        ExpositionBytes.appendValue(s.value, to: &out)
        out.append(ExpositionBytes.newline)
        if !seriesExemplars.isEmpty, case .bucket = s.kind {
            if bucketOrdinal < seriesExemplars.count, let e = seriesExemplars[bucketOrdinal] { writeExemplar(e) }
            bucketOrdinal += 1
        }
    }

    /// Renders `name="value",…` (escaped) into `labels`, once per series:
    /// its samples (buckets, quantiles, `_sum`, `_count`) copy the bytes.
    mutating func renderLabels(_ pairs: MetricLabels) {
        labels.count = 0
        var first = true
        for (name, value) in pairs {
            if !first { labels.append(0x2C) }
            first = false
            labels.append(name)
            labels.reserve(2)
            labels.put(0x3D)
            labels.put(ExpositionBytes.quote)
            ExpositionBytes.appendEscaped(value, quotes: true, to: &labels)
            labels.append(ExpositionBytes.quote)
        }
    }
}

extension ExpositionCore {
    /// OpenMetrics: a unit must be a suffix of the family name after `_`
    /// and made of metric-name characters; otherwise no `# UNIT` line.
    static func unitFits(_ unit: String, familyName: Substring) -> Bool {
        guard !unit.isEmpty, MetricFamily.isValidMetricName(unit) else { return false }
        guard familyName.utf8.count > unit.utf8.count + 1 else { return false }
        return familyName.hasSuffix("_" + unit)
    }
}
