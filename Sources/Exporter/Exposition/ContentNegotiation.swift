// Choosing the exposition format from `Accept` and the encoding from
// `Accept-Encoding` (RFC 9110 §12.5.1 and §12.5.3). Never an error: a scrape
// that accepts nothing we offer still gets text 0.0.4, uncompressed, as
// Prometheus client libraries do (a 406 would only lose data).

/// Picks a scrape's exposition format from `Accept` and whether to gzip from `Accept-Encoding`.
public enum ContentNegotiation {
    /// The format for a scrape with this `Accept` header (nil when absent).
    ///
    /// Offers: OpenMetrics 1.0.0 (`application/openmetrics-text`, with
    /// `version=1.0.0` or no version) and text 0.0.4 (`text/plain`, with
    /// `version=0.0.4` or no version). Each offer takes the q-value of the
    /// most specific media range that matches it (`type/subtype;version=`
    /// over `type/subtype` over `type/*` over `*/*`); `q=0` excludes it.
    /// OpenMetrics is chosen when its q is higher than text's, or equal and
    /// its range comes earlier in the header; otherwise text. Other
    /// parameters (`charset`, `escaping`, …) are ignored: kalm's names and
    /// label names are valid in every escaping scheme.
    ///
    /// Protobuf (`application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`)
    /// is offered only to a range naming it exactly, with both parameters (never to a
    /// wildcard: a client asking for `*/*` wants text); among the three, the highest q wins,
    /// then the earliest range.
    ///
    /// Prometheus 2.x sends
    /// `application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`
    /// and gets OpenMetrics; with `--enable-feature=native-histograms` it puts protobuf first and
    /// gets protobuf; curl (`*/*`) and an absent header get text.
    public static func format(accept: String?) -> ExpositionFormat {
        guard let accept, !accept.isEmpty else { return .text }
        var om = Match()
        var text = Match()
        var pb = Match()
        var position = 0
        for element in accept.split(separator: ",") {
            guard let range = MediaRange(element) else { continue }
            position += 1
            om.consider(range, position: position,
                        specificity: range.specificity(type: "application", subtype: "openmetrics-text", version: "1.0.0"))
            text.consider(range, position: position,
                          specificity: range.specificity(type: "text", subtype: "plain", version: "0.0.4"))
            if range.namesPrometheusProtobuf { pb.consider(range, position: position, specificity: 3) }
        }
        var best = ExpositionFormat.text, bestMatch = text
        for (format, m) in [(ExpositionFormat.openMetrics, om), (.protobuf, pb)] where m.q > 0 {
            if bestMatch.q <= 0 || m.q > bestMatch.q || (m.q == bestMatch.q && m.position < bestMatch.position) {
                best = format
                bestMatch = m
            }
        }
        return best
    }

    /// Whether to gzip the response for this `Accept-Encoding` header (nil
    /// when absent: no compression).
    ///
    /// gzip's q is that of `gzip` (or `x-gzip`), else of `*`, else 0; `q=0`
    /// refuses it. identity's q is that of `identity`, else of `*`, else it
    /// is acceptable with the lowest preference. gzip is used when its q is
    /// > 0 and not lower than identity's. So `gzip`, `gzip, deflate, br` and
    /// `*` compress; `gzip;q=0`, `identity`, `br` and `gzip;q=0.5, identity`
    /// do not.
    public static func useGzip(acceptEncoding: String?) -> Bool {
        guard let header = acceptEncoding else { return false }
        var qGzip: Double? = nil
        var qIdentity: Double? = nil
        var qAny: Double? = nil
        for element in header.split(separator: ",") {
            var parts = element.split(separator: ";").makeIterator()
            guard let codingPart = parts.next() else { continue }
            let coding = codingPart.trimmingASCIISpaces().lowercased()
            if coding.isEmpty { continue }
            var q = 1.0
            var valid = true
            while let p = parts.next() {
                if let v = Self.qValue(p) { q = v } else if Self.isQParameter(p) { valid = false }
            }
            if !valid { continue }
            switch coding {
            case "gzip", "x-gzip": qGzip = max(qGzip ?? 0, q)
            case "identity": qIdentity = q
            case "*": qAny = q
            default: break
            }
        }
        let g = qGzip ?? qAny ?? 0
        guard g > 0 else { return false }
        if let i = qIdentity ?? qAny { return g >= i }
        return true
    }

    // MARK: parsing

    private struct Match {
        var specificity = -1
        var q = 0.0
        var position = Int.max

        mutating func consider(_ r: MediaRange, position: Int, specificity s: Int) {
            guard s >= 0, s > specificity else { return } // the first of equally specific ranges wins
            specificity = s
            q = r.q
            self.position = position
        }
    }

    private struct MediaRange {
        var type: Substring
        var subtype: Substring
        var version: Substring?
        var proto: Substring?
        var encoding: Substring?
        var q: Double

        init?(_ element: Substring) {
            var parts = element.split(separator: ";").makeIterator()
            guard let mediaType = parts.next()?.trimmingASCIISpaces(), !mediaType.isEmpty else { return nil }
            guard let slash = mediaType.firstIndex(of: "/") else { return nil }
            type = mediaType[..<slash]
            subtype = mediaType[mediaType.index(after: slash)...]
            guard !type.isEmpty, !subtype.isEmpty else { return nil }
            q = 1
            version = nil
            proto = nil
            encoding = nil
            while let p = parts.next() {
                guard let eq = p.firstIndex(of: "=") else { continue }
                let key = p[..<eq].trimmingASCIISpaces()
                var value = p[p.index(after: eq)...].trimmingASCIISpaces()
                if value.count >= 2, value.first == "\"", value.last == "\"" {
                    value = value.dropFirst().dropLast()
                }
                if key.lowercased() == "q" {
                    guard let v = Double(value), v.isFinite else { return nil } // malformed: ignore the range
                    q = min(max(v, 0), 1)
                } else if key.lowercased() == "version" {
                    version = value
                } else if key.lowercased() == "proto" {
                    proto = value
                } else if key.lowercased() == "encoding" {
                    encoding = value
                }
            }
        }

        /// `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`.
        var namesPrometheusProtobuf: Bool {
            type.lowercased() == "application" && subtype.lowercased() == "vnd.google.protobuf"
                && proto == "io.prometheus.client.MetricFamily" && encoding?.lowercased() == "delimited"
        }

        /// -1: no match; 0: `*/*`; 1: `type/*`; 2: `type/subtype`;
        /// 3: `type/subtype;version=<ours>`.
        func specificity(type t: String, subtype st: String, version v: String) -> Int {
            if type == "*" { return subtype == "*" ? 0 : -1 }
            guard type.lowercased() == t else { return -1 }
            if subtype == "*" { return 1 }
            guard subtype.lowercased() == st else { return -1 }
            guard let version else { return 2 }
            return version == v ? 3 : -1
        }
    }

    private static func isQParameter(_ p: Substring) -> Bool {
        guard let eq = p.firstIndex(of: "=") else { return false }
        return p[..<eq].trimmingASCIISpaces().lowercased() == "q"
    }

    /// The value of a `q=` parameter; nil when `p` is not one or is malformed.
    private static func qValue(_ p: Substring) -> Double? {
        guard let eq = p.firstIndex(of: "="), isQParameter(p) else { return nil }
        guard let v = Double(p[p.index(after: eq)...].trimmingASCIISpaces()), v.isFinite else { return nil }
        return min(max(v, 0), 1)
    }
}

extension Substring {
    fileprivate func trimmingASCIISpaces() -> Substring {
        var s = self
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return s
    }
}
