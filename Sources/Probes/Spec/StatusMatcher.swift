/// A set of HTTP status codes: `[200]`, `"2xx"`, `"200-299"` and lists of those.
public struct StatusMatcher: Sendable, Equatable, CustomStringConvertible {
    /// The statuses matched, as inclusive ranges.
    public var ranges: [ClosedRange<Int>]

    /// A matcher for the statuses in `ranges`.
    public init(ranges: [ClosedRange<Int>]) {
        self.ranges = ranges
    }

    /// k6's default `expected_status`: 200–399.
    public static let k6Default = StatusMatcher(ranges: [200...399])

    /// Whether `status` is in one of the ranges.
    @inlinable
    public func matches(_ status: Int) -> Bool {
        for r in ranges where r.contains(status) { return true }
        return false
    }

    /// Parses one element of a status list: `200`, `"2xx"`, `"200-299"`. Nil when malformed.
    public static func parseElement(_ text: String) -> ClosedRange<Int>? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.count == 3, t.hasSuffix("xx"), let d = Int(t.prefix(1)), (1...5).contains(d) {
            return (d * 100)...(d * 100 + 99)
        }
        if let dash = t.firstIndex(of: "-") {
            guard let lo = Int(t[..<dash]), let hi = Int(t[t.index(after: dash)...]),
                  (100...599).contains(lo), (100...599).contains(hi), lo <= hi else { return nil }
            return lo...hi
        }
        if let v = Int(t), (100...599).contains(v) { return v...v }
        return nil
    }

    /// The ranges as written in the config: `200`, `2xx`, `200-250`, comma-separated.
    public var description: String {
        ranges.map { r in
            if r.lowerBound == r.upperBound { return String(r.lowerBound) }
            if r.lowerBound % 100 == 0, r.upperBound == r.lowerBound + 99 { return "\(r.lowerBound / 100)xx" }
            return "\(r.lowerBound)-\(r.upperBound)"
        }.joined(separator: ",")
    }
}

import Foundation
