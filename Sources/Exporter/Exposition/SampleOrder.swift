// The stable output order: families by name; within a family, samples by
// their label pairs (name, then value, pair by pair; fewer pairs first),
// then a series' parts: buckets / quantiles by numeric bound, then `_sum`,
// then `_count`. This keeps every series contiguous (OpenMetrics requires
// it) and buckets in increasing `le` order.

enum SampleOrder {
    /// -1, 0, 1 for a <, ==, > b.
    @inline(__always)
    static func compare(_ a: String, _ b: String) -> Int {
        if a == b { return 0 } // O(1) when both share storage or are equal small strings
        return a < b ? -1 : 1
    }

    /// Whether `a` and `b` are one array (a histogram's or summary's samples share their
    /// labels): equal without comparing a string.
    @inline(__always)
    static func sameStorage(_ a: MetricLabels, _ b: MetricLabels) -> Bool {
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in pa.baseAddress == pb.baseAddress && pa.count == pb.count } }
    }

    static func compareLabels(_ a: MetricLabels, _ b: MetricLabels) -> Int {
        if sameStorage(a, b) { return 0 }
        let n = min(a.count, b.count)
        var i = 0
        while i < n {
            var c = compare(a[i].name, b[i].name)
            if c != 0 { return c }
            c = compare(a[i].value, b[i].value)
            if c != 0 { return c }
            i += 1
        }
        return a.count == b.count ? 0 : (a.count < b.count ? -1 : 1)
    }

    static func sameLabels(_ a: MetricLabels, _ b: MetricLabels) -> Bool {
        guard a.count == b.count else { return false }
        if sameStorage(a, b) { return true }
        var i = 0
        while i < a.count {
            if a[i].name != b[i].name || a[i].value != b[i].value { return false }
            i += 1
        }
        return true
    }

    @inline(__always)
    static func rank(_ k: MetricSample.Kind) -> (Int, Double) {
        switch k {
        case .value: return (0, 0)
        case .bucket(let le): return (0, le)
        case .quantile(let q): return (0, q)
        case .sum: return (1, 0)
        case .count: return (2, 0)
        }
    }

    /// Strict "a goes before b".
    static func precedes(_ a: MetricSample, _ b: MetricSample) -> Bool {
        let c = compareLabels(a.labels, b.labels)
        if c != 0 { return c < 0 }
        let ra = rank(a.kind), rb = rank(b.kind)
        if ra.0 != rb.0 { return ra.0 < rb.0 }
        return ra.1 < rb.1
    }

    /// Strict "kind a goes before kind b" within one series.
    @inline(__always)
    static func kindPrecedes(_ a: MetricSample.Kind, _ b: MetricSample.Kind) -> Bool {
        let ra = rank(a), rb = rank(b)
        if ra.0 != rb.0 { return ra.0 < rb.0 }
        return ra.1 < rb.1
    }

    /// Splits `samples` into series (runs of consecutive samples with the
    /// same labels) and puts the runs in output order: the cheap path, since
    /// labels are compared once per series instead of once per sample.
    /// Returns whether the samples inside each run are already in order
    /// (buckets by `le`, then `_sum`, `_count`), or nil when one series is
    /// split into several runs, in which case use `sortedIndices`.
    static func seriesRuns(_ samples: [MetricSample], into runs: inout [Range<Int>]) -> Bool? {
        runs.removeAll(keepingCapacity: true)
        let n = samples.count
        var runsSorted = true
        var kindsSorted = true
        // Borrowed storage: no retain and release of each sample's labels.
        samples.withUnsafeBufferPointer { samples in
            var i = 0
            while i < n {
                var j = i + 1
                while j < n && sameLabels(samples[j].labels, samples[i].labels) {
                    if kindsSorted && kindPrecedes(samples[j].kind, samples[j - 1].kind) { kindsSorted = false }
                    j += 1
                }
                if runsSorted, let last = runs.last,
                   compareLabels(samples[last.lowerBound].labels, samples[i].labels) > 0 {
                    runsSorted = false
                }
                runs.append(i..<j)
                i = j
            }
        }
        if !runsSorted {
            runs.sort { compareLabels(samples[$0.lowerBound].labels, samples[$1.lowerBound].labels) < 0 }
            var k = 1
            while k < runs.count {
                if compareLabels(samples[runs[k - 1].lowerBound].labels, samples[runs[k].lowerBound].labels) == 0 {
                    return nil
                }
                k += 1
            }
        }
        return kindsSorted
    }

    /// Fills `order` with the indices of `samples` in output order.
    static func sortedIndices(_ samples: [MetricSample], into order: inout [Int]) {
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: samples.indices)
        order.sort { precedes(samples[$0], samples[$1]) } // stable
    }

    static func familiesSorted(_ families: [MetricFamily]) -> Bool {
        var i = 1
        while i < families.count {
            if families[i].name < families[i - 1].name { return false }
            i += 1
        }
        return true
    }

    static func familyIndices(_ families: [MetricFamily], into order: inout [Int]) {
        order.removeAll(keepingCapacity: true)
        order.append(contentsOf: families.indices)
        if !familiesSorted(families) {
            order.sort { families[$0].name < families[$1].name }
        }
    }
}
