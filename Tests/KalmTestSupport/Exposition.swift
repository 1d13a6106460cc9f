import Foundation

/// One sample of a scrape: name, labels, value.
public struct ScrapedSample: Sendable {
    /// The sample's name (with `_bucket`, `_sum`, ... suffixes).
    public var name: String
    /// Its labels.
    public var labels: [String: String]
    /// Its value.
    public var value: Double

    /// Whether every label in `subset` has the given value.
    public func has(_ subset: [String: String]) -> Bool {
        subset.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// A parsed `/metrics` answer (text 0.0.4 or OpenMetrics).
public struct Exposition: Sendable {
    /// The text as scraped.
    public let text: String
    /// Every sample, in order.
    public let samples: [ScrapedSample]
    /// Family name → TYPE.
    public let types: [String: String]
    /// Families with a HELP line.
    public let helps: Set<String>

    /// Parses `text`; throws on a sample line it cannot read.
    public init(_ text: String) throws {
        self.text = text
        var samples: [ScrapedSample] = []
        var types: [String: String] = [:]
        var helps = Set<String>()
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line.hasPrefix("# TYPE ") {
                let f = line.split(separator: " ")
                if f.count >= 4 { types[String(f[2])] = String(f[3]) }
                continue
            }
            if line.hasPrefix("# HELP ") {
                let f = line.split(separator: " ", maxSplits: 3)
                if f.count >= 3 { helps.insert(String(f[2])) }
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.parseSample(line))
        }
        self.samples = samples
        self.types = types
        self.helps = helps
    }

    /// One sample line.
    public static func parseSample(_ line: String) throws -> ScrapedSample {
        let chars = Array(line.unicodeScalars)
        var i = 0
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " " { name.unicodeScalars.append(chars[i]); i += 1 }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var key = ""
                while i < chars.count, chars[i] != "=" { key.unicodeScalars.append(chars[i]); i += 1 }
                guard i + 1 < chars.count, chars[i + 1] == "\"" else { throw TestFailure("bad label in: \(line)") }
                i += 2
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        switch chars[i] {
                        case "n": value += "\n"
                        default: value.unicodeScalars.append(chars[i])
                        }
                    } else {
                        value.unicodeScalars.append(chars[i])
                    }
                    i += 1
                }
                i += 1  // closing quote
                labels[key.trimmingCharacters(in: .whitespaces)] = value
                if i < chars.count, chars[i] == "," { i += 1 }
            }
            i += 1  // }
        }
        let rest = String(String.UnicodeScalarView(chars[min(i, chars.count)...])).trimmingCharacters(in: .whitespaces)
        guard let first = rest.split(separator: " ").first, let value = parseValue(String(first)) else {
            throw TestFailure("bad sample value in: \(line)")
        }
        return ScrapedSample(name: name, labels: labels, value: value)
    }

    /// A sample value, `+Inf`, `-Inf` and `NaN` included.
    public static func parseValue(_ s: String) -> Double? {
        switch s {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(s)
        }
    }

    /// Samples named `name` whose labels include `labels`.
    public func all(_ name: String, _ labels: [String: String] = [:]) -> [ScrapedSample] {
        samples.filter { $0.name == name && $0.has(labels) }
    }

    /// The value of the one sample named `name` with `labels` (nil if none; the first if several).
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        all(name, labels).first?.value
    }

    /// The sum over every sample named `name` with `labels`.
    public func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        all(name, labels).reduce(0) { $0 + $1.value }
    }

    /// Every distinct value of `label` among samples named `name` with `labels`.
    public func labelValues(_ name: String, _ label: String, _ labels: [String: String] = [:]) -> Set<String> {
        Set(all(name, labels).compactMap { $0.labels[label] })
    }
}

