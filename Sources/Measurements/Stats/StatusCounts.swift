/// Requests by HTTP status code (0: no response), kept sparse: a probe sees a handful of
/// codes, and a fleet of thousands of probes should not carry 600 counters each.
public struct StatusCounts: Sendable, Equatable {
    /// (code, count) for each code seen, by code.
    private var entries: [(code: UInt16, count: UInt64)] = []

    /// No requests yet.
    public init() {}

    /// Requests that got `code` (0: no response).
    public subscript(code: Int) -> UInt64 {
        entries.first { Int($0.code) == code }?.count ?? 0
    }

    /// Counts `times` requests with `code` (outside 1...599: no response, code 0).
    public mutating func add(_ code: Int, times: UInt64 = 1) {
        let c = UInt16((code > 0 && code < 600) ? code : 0)
        if let i = entries.firstIndex(where: { $0.code == c }) {
            entries[i].count &+= times
        } else {
            entries.insert((c, times), at: entries.firstIndex { $0.code > c } ?? entries.count)
        }
    }

    /// Every code seen, with its count, by code.
    public var byCode: [(code: Int, count: UInt64)] { entries.map { (Int($0.code), $0.count) } }

    /// Requests over every code, 0 included.
    public var total: UInt64 { entries.reduce(0) { $0 &+ $1.count } }

    /// Adds every count of `other`.
    public mutating func merge(_ other: StatusCounts) {
        for e in other.entries { add(Int(e.code), times: e.count) }
    }

    public static func == (a: StatusCounts, b: StatusCounts) -> Bool {
        a.entries.elementsEqual(b.entries) { $0.code == $1.code && $0.count == $1.count }
    }
}
