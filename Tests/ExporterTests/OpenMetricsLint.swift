// A strict checker for OpenMetrics 1.0.0 text, used because promtool 2.42's
// `check metrics` only parses the Prometheus text format (it reads `# EOF`
// and `# UNIT` as comments and treats an OpenMetrics counter's `_total`
// samples as a separate, HELP-less metric).
//
// It checks the ABNF (metadata lines, metric and label names, escaped
// strings, numbers, `# EOF` last) and the semantic rules the spec states with
// MUST: families and metric points not interleaved, one of each metadata
// line, UNIT a suffix of the family name, sample names per type (counter
// `_total`, histogram `_bucket`/`_sum`/`_count`, summary quantiles), unique
// label names, `le` buckets in increasing order with `+Inf`, `_count` equal
// to the `+Inf` bucket, integer non-decreasing bucket counts, quantiles in
// [0, 1], counters neither negative nor NaN, exemplars only on buckets and `_total`
// samples with at most 128 characters of labels. Stricter than the spec in one
// place: a backslash may only escape `\`, `"` or `n` (the spec says SHOULD).

enum OpenMetricsLint {
    static func problems(_ text: String) -> [String] {
        var linter = Linter()
        linter.run(text)
        return linter.problems
    }
}

private struct Linter {
    var problems: [String] = []

    struct Family {
        var name: String
        var type: String?
        var hasUnit = false
        var hasHelp = false
        var hasSamples = false
        var finishedMetrics: Set<String> = []
        var currentMetric: String?
        var point = Point()
    }

    struct Point {
        var lastLe: Double = -.infinity
        var lastBucketValue: Double = -.infinity
        var infValue: Double?
        var sum: Double?
        var count: Double?
        var buckets = 0
    }

    var families: Set<String> = []
    var current: Family?
    var line = 0

    mutating func fail(_ message: String) {
        problems.append("line \(line): \(message)")
    }

    mutating func run(_ text: String) {
        if text.contains("\r") { line = 0; fail("carriage return") }
        guard text.hasSuffix("# EOF\n") || text.hasSuffix("# EOF") else {
            line = 0
            fail("does not end with # EOF")
            return
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        for (i, l) in lines.enumerated() {
            line = i + 1
            if l == "# EOF" {
                if i != lines.count - 1 { fail("# EOF before the end") }
                continue
            }
            if l.hasPrefix("#") {
                metadata(l)
            } else {
                sample(l)
            }
        }
        finishFamily()
    }

    // MARK: metadata

    mutating func metadata(_ l: String) {
        let parts = l.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 3, parts[0] == "#" else { fail("bad comment line: \(l)"); return }
        let kind = parts[1], name = parts[2]
        let rest = parts.count == 4 ? parts[3] : nil
        guard isMetricName(name) else { fail("bad metric name \(name)"); return }
        if current?.name != name {
            finishFamily()
            if families.contains(name) { fail("family \(name) interleaved or repeated") }
            families.insert(name)
            current = Family(name: name)
        }
        guard current!.hasSamples == false else { fail("metadata after samples for \(name)"); return }
        switch kind {
        case "TYPE":
            guard current!.type == nil else { fail("second TYPE for \(name)"); return }
            let types: Set<String> = ["counter", "gauge", "histogram", "gaugehistogram", "stateset", "info", "summary", "unknown"]
            guard let t = rest, types.contains(t) else { fail("bad type \(rest ?? "nil")"); return }
            current!.type = t
        case "UNIT":
            guard !current!.hasUnit else { fail("second UNIT for \(name)"); return }
            current!.hasUnit = true
            let unit = rest ?? ""
            if !unit.unicodeScalars.allSatisfy({ isNameChar($0, colon: true) || ("0"..."9").contains($0) }) {
                fail("bad unit \(unit)")
            }
            if !unit.isEmpty && !name.hasSuffix("_" + unit) { fail("unit \(unit) not a suffix of \(name)") }
        case "HELP":
            guard !current!.hasHelp else { fail("second HELP for \(name)"); return }
            current!.hasHelp = true
            var s = Substring(rest ?? "")
            if !escapedString(&s, until: nil) || !s.isEmpty { fail("bad HELP escaping: \(rest ?? "")") }
        default:
            fail("unknown metadata \(kind)")
        }
    }

    // MARK: samples

    mutating func sample(_ l: String) {
        var s = Substring(l)
        var nameEnd = s.startIndex
        while nameEnd < s.endIndex, isNameChar(s.unicodeScalars[nameEnd], colon: true)
                || (nameEnd != s.startIndex && ("0"..."9").contains(s.unicodeScalars[nameEnd])) {
            nameEnd = s.unicodeScalars.index(after: nameEnd)
        }
        let name = String(s[..<nameEnd])
        guard isMetricName(name) else { fail("bad sample name in \(l)"); return }
        s = s[nameEnd...]
        var labels: [(String, String)] = []
        if s.first == "{" {
            s = s.dropFirst()
            guard parseLabels(&s, into: &labels) else { fail("bad labels in \(l)"); return }
        }
        guard s.first == " " else { fail("no space before value in \(l)"); return }
        s = s.dropFirst()
        // An exemplar: ` # {labels} value [timestamp]`, only on a bucket or a counter's `_total`,
        // its label text at most 128 characters (OpenMetrics 1.0).
        var exemplar = false
        if let hash = s.range(of: " # ") {
            exemplar = true
            var e = s[hash.upperBound...]
            s = s[..<hash.lowerBound]
            var exLabels: [(String, String)] = []
            guard e.first == "{" else { fail("bad exemplar in \(l)"); return }
            e = e.dropFirst()
            guard parseLabels(&e, into: &exLabels) else { fail("bad exemplar labels in \(l)"); return }
            if exLabels.reduce(0, { $0 + $1.0.count + $1.1.count }) > 128 { fail("exemplar labels over 128 characters in \(l)") }
            let parts = e.split(separator: " ", omittingEmptySubsequences: false)
            guard (parts.count == 2 || parts.count == 3), parts[0].isEmpty, parseNumber(String(parts[1])) != nil,
                  parts.count == 2 || parseNumber(String(parts[2])) != nil else {
                fail("bad exemplar value/timestamp in \(l)"); return
            }
        }
        guard !s.contains(" ") else { fail("timestamp/extra text not expected: \(l)"); return }
        if exemplar, !(name.hasSuffix("_bucket") || name.hasSuffix("_total")) { fail("exemplar on \(name): only buckets and counters carry them") }
        guard let value = parseNumber(String(s)) else { fail("bad number \(s)"); return }
        var seen = Set<String>()
        for (n, _) in labels where !seen.insert(n).inserted { fail("duplicate label \(n)") }

        guard var fam = current, let type = fam.type else { fail("sample \(name) without TYPE"); return }
        fam.hasSamples = true
        let base = fam.name
        var suffix: String
        if name == base { suffix = "" } else if name.hasPrefix(base + "_") {
            suffix = String(name.dropFirst(base.count))
        } else {
            fail("sample \(name) outside family \(base)")
            return
        }
        let allowed: [String: Set<String>] = [
            "counter": ["_total", "_created"], "gauge": [""], "unknown": [""],
            "histogram": ["_bucket", "_sum", "_count", "_created"],
            "summary": ["", "_sum", "_count", "_created"],
        ]
        guard let ok = allowed[type], ok.contains(suffix) else {
            fail("sample \(name) not allowed in \(type) family \(base)")
            return
        }
        // The metric (series) this sample belongs to: labels minus le/quantile.
        let metricLabels = labels.filter { $0.0 != "le" && $0.0 != "quantile" }
        let key = metricLabels.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
        if fam.currentMetric != key {
            if let previous = fam.currentMetric {
                finishPoint(&fam)
                fam.finishedMetrics.insert(previous)
            }
            if fam.finishedMetrics.contains(key) { fail("metric {\(key)} of \(base) interleaved") }
            fam.currentMetric = key
            fam.point = Point()
        }
        let le = labels.first { $0.0 == "le" }?.1
        let quantile = labels.first { $0.0 == "quantile" }?.1
        switch (type, suffix) {
        case ("counter", "_total"):
            if value.isNaN || value < 0 { fail("counter \(name) value \(value)") }
        case ("histogram", "_bucket"):
            guard let le, let bound = parseNumber(le), !bound.isNaN else { fail("bucket without a numeric le: \(l)"); break }
            if le != "+Inf" && !(le.contains(".") || le.contains("e")) { fail("le=\"\(le)\" is not a float rendering") }
            if bound <= fam.point.lastLe { fail("le \(le) not increasing") }
            if value < fam.point.lastBucketValue { fail("bucket counts decrease at le=\(le)") }
            if value != value.rounded() || value < 0 { fail("bucket count \(value) not a non-negative integer") }
            fam.point.lastLe = bound
            fam.point.lastBucketValue = value
            fam.point.buckets += 1
            if bound == .infinity { fam.point.infValue = value }
        case ("histogram", "_sum"), ("summary", "_sum"):
            if value.isNaN || value < 0 { fail("\(name) \(value) negative or NaN") }
            fam.point.sum = value
        case ("histogram", "_count"), ("summary", "_count"):
            if value != value.rounded() || value < 0 { fail("\(name) \(value) not a non-negative integer") }
            fam.point.count = value
        case ("summary", ""):
            guard let quantile, let q = parseNumber(quantile), q >= 0, q <= 1 else { fail("bad quantile in \(l)"); break }
            if !(quantile.contains(".") || quantile.contains("e")) { fail("quantile=\"\(quantile)\" is not a float rendering") }
            if value < 0 { fail("quantile value \(value) negative") }
        default:
            break
        }
        if type != "histogram" && le != nil { fail("le label outside a histogram") }
        if type != "summary" && quantile != nil { fail("quantile label outside a summary") }
        current = fam
    }

    mutating func finishPoint(_ fam: inout Family) {
        guard fam.type == "histogram" else { return }
        let p = fam.point
        if p.buckets == 0 { fail("histogram metric of \(fam.name) without buckets") }
        guard let inf = p.infValue else { fail("histogram metric of \(fam.name) without +Inf bucket"); return }
        if (p.sum != nil) != (p.count != nil) { fail("histogram \(fam.name): _sum and _count must come together") }
        if let c = p.count, c != inf { fail("histogram \(fam.name): _count \(c) != +Inf bucket \(inf)") }
    }

    mutating func finishFamily() {
        guard var fam = current else { return }
        if fam.currentMetric != nil { finishPoint(&fam) }
        current = nil
    }

    // MARK: lexical pieces

    func isNameChar(_ c: Unicode.Scalar, colon: Bool) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" || (colon && c == ":")
    }

    func isMetricName(_ s: String) -> Bool {
        guard let f = s.unicodeScalars.first, isNameChar(f, colon: true) else { return false }
        return s.unicodeScalars.allSatisfy { isNameChar($0, colon: true) || ("0"..."9").contains($0) }
    }

    func isLabelName(_ s: Substring) -> Bool {
        guard let f = s.unicodeScalars.first, isNameChar(f, colon: false) else { return false }
        return s.unicodeScalars.allSatisfy { isNameChar($0, colon: false) || ("0"..."9").contains($0) }
    }

    /// Consumes an escaped string up to (not including) `until`, or to the end.
    func escapedString(_ s: inout Substring, until: Character?) -> Bool {
        while let c = s.first {
            if let until, c == until { return true }
            if c == "\n" { return false }
            if c == "\"" { return false }
            if c == "\\" {
                s = s.dropFirst()
                guard let e = s.first, e == "n" || e == "\\" || e == "\"" else { return false }
            }
            s = s.dropFirst()
        }
        return until == nil
    }

    func parseLabels(_ s: inout Substring, into labels: inout [(String, String)]) -> Bool {
        if s.first == "}" { s = s.dropFirst(); return true }
        while true {
            guard let eq = s.firstIndex(of: "=") else { return false }
            let name = s[..<eq]
            guard isLabelName(name) else { return false }
            s = s[s.index(after: eq)...]
            guard s.first == "\"" else { return false }
            s = s.dropFirst()
            let value = s
            guard escapedString(&s, until: "\"") else { return false }
            labels.append((String(name), String(value[value.startIndex..<s.startIndex])))
            s = s.dropFirst() // closing quote
            if s.first == "," { s = s.dropFirst(); continue }
            if s.first == "}" { s = s.dropFirst(); return true }
            return false
        }
    }

    /// The ABNF's number: realnumber, [sign] inf/infinity, nan (case-insensitive).
    func parseNumber(_ s: String) -> Double? {
        let lower = s.lowercased()
        switch lower {
        case "nan": return .nan
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: break
        }
        // [sign] digits [. digits] [e [sign] digits], at least one digit in the mantissa.
        var chars = Substring(lower)
        if chars.first == "+" || chars.first == "-" { chars = chars.dropFirst() }
        var mantissaDigits = 0
        while let c = chars.first, c.isASCII, c.isNumber { mantissaDigits += 1; chars = chars.dropFirst() }
        if chars.first == "." {
            chars = chars.dropFirst()
            while let c = chars.first, c.isASCII, c.isNumber { mantissaDigits += 1; chars = chars.dropFirst() }
        }
        guard mantissaDigits > 0 else { return nil }
        if chars.first == "e" {
            chars = chars.dropFirst()
            if chars.first == "+" || chars.first == "-" { chars = chars.dropFirst() }
            var expDigits = 0
            while let c = chars.first, c.isASCII, c.isNumber { expDigits += 1; chars = chars.dropFirst() }
            guard expDigits > 0 else { return nil }
        }
        guard chars.isEmpty else { return nil }
        return Double(s)
    }
}
