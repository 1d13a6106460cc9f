import Foundation

/// `AGGREGATION OPERATOR VALUE`, k6's threshold grammar: `p(95)<200`, `rate<0.01`, `count>=10`.
public struct ThresholdExpression: Sendable, Equatable, Hashable {
    /// The left-hand side: what is computed from the metric (`avg`, `p(95)`, `rate`, ...).
    public enum Aggregation: Sendable, Equatable, Hashable, CustomStringConvertible {
        case avg, min, max, med
        case percentile(Double)
        case rate, count, value

        /// The aggregation as written in k6: `avg`, `p(95)`, `rate`, ...
        public var description: String {
            switch self {
            case .avg: return "avg"
            case .min: return "min"
            case .max: return "max"
            case .med: return "med"
            case .percentile(let p): return "p(\(ThresholdExpression.format(p)))"
            case .rate: return "rate"
            case .count: return "count"
            case .value: return "value"
            }
        }
    }

    /// The comparison; `===` and `==` both mean equal.
    public enum Operator: String, Sendable, CaseIterable {
        case lessOrEqual = "<=", greaterOrEqual = ">=", strictEqual = "===", equal = "==", notEqual = "!="
        case less = "<", greater = ">"

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            case .greaterOrEqual: return a >= b
            case .equal, .strictEqual: return a == b
            case .notEqual: return a != b
            }
        }
    }

    /// What is computed from the metric.
    public let aggregation: Aggregation
    /// How the computed value is compared with `value`.
    public let op: Operator
    /// The number compared against, in k6's units (trends in ms, rates 0–1).
    public let value: Double

    /// Parses `text` for a metric of `metric`'s kind. Throws `ThresholdError`.
    public static func parse(_ text: String, for metric: ThresholdMetric) throws -> ThresholdExpression {
        let t = text.filter { !$0.isWhitespace }
        // Longest operators first so "<=" is not read as "<".
        let ops: [Operator] = [.strictEqual, .lessOrEqual, .greaterOrEqual, .equal, .notEqual, .less, .greater]
        var found: (Operator, Range<String.Index>)?
        for op in ops {
            if let r = t.range(of: op.rawValue) {
                if found == nil || r.lowerBound < found!.1.lowerBound { found = (op, r) }
            }
        }
        guard let (op, range) = found else {
            throw ThresholdError("\"\(text)\" has no comparison; write AGGREGATION OPERATOR VALUE, e.g. \"p(95)<200\"")
        }
        let lhs = String(t[..<range.lowerBound])
        let rhs = String(t[range.upperBound...])
        guard let value = Double(rhs), value.isFinite else {
            throw ThresholdError("\"\(text)\": \"\(rhs)\" is not a number")
        }
        let agg: Aggregation
        switch lhs {
        case "avg": agg = .avg
        case "min": agg = .min
        case "max": agg = .max
        case "med": agg = .med
        case "rate": agg = .rate
        case "count": agg = .count
        case "value": agg = .value
        default:
            guard lhs.hasPrefix("p("), lhs.hasSuffix(")"), let p = Double(lhs.dropFirst(2).dropLast()), p >= 0, p <= 100 else {
                throw ThresholdError("\"\(text)\": unknown aggregation \"\(lhs)\"; a \(metric.kindName) allows \(metric.allowedAggregations)")
            }
            agg = .percentile(p)
        }
        let allowed: Bool
        switch (metric, agg) {
        case (.trend, .avg), (.trend, .min), (.trend, .max), (.trend, .med), (.trend, .percentile): allowed = true
        case (.rate, .rate): allowed = true
        case (.counter, .count), (.counter, .rate): allowed = true
        case (.gauge, .value): allowed = true
        default: allowed = false
        }
        guard allowed else {
            throw ThresholdError("\"\(text)\": \(agg) does not apply to \(metric.name), a \(metric.kindName); use \(metric.allowedAggregations)")
        }
        return ThresholdExpression(aggregation: agg, op: op, value: value)
    }

    static func format(_ v: Double) -> String {
        v.rounded() == v && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }
}
