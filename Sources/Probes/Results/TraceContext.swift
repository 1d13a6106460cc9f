/// A W3C trace id (128 bits), as sent in a probe's `traceparent` header (docs/configuration.md,
/// "Tracing"). Zero means "no trace": the W3C format forbids an all-zero id.
public struct TraceID: Sendable, Equatable, Hashable {
    /// The first 64 bits (the first 16 hex digits).
    public var high: UInt64
    /// The last 64 bits.
    public var low: UInt64

    /// The id made of `high` and `low`.
    @inlinable public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// No trace.
    public static let none = TraceID(high: 0, low: 0)

    /// Whether this is a real id (not all zeros).
    @inlinable public var isSet: Bool { high != 0 || low != 0 }

    /// 32 lowercase hex digits, as in `traceparent` and the `trace_id` exemplar label.
    public var hex: String {
        var bytes = [UInt8](repeating: 0, count: 32)
        TraceContext.writeHex(high, into: &bytes, at: 0)
        TraceContext.writeHex(low, into: &bytes, at: 16)
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Building W3C Trace Context headers (https://www.w3.org/TR/trace-context/, version 00).
public enum TraceContext {
    /// `traceparent: 00-` — the trace id starts after this prefix in a header line.
    public static let traceIDOffset = "traceparent: 00-".utf8.count
    /// The header line with a placeholder id: `traceparent: 00-<32>-<16>-01` (sampled).
    public static let templateLine = "traceparent: 00-" + String(repeating: "0", count: 32) + "-" + String(repeating: "0", count: 16) + "-01"

    /// Writes `trace` and `span` as hex into a `templateLine`-shaped buffer (e.g. the bytes of a
    /// libcurl header list entry), in place.
    public static func fill(_ line: UnsafeMutablePointer<UInt8>, trace: TraceID, span: UInt64) {
        let p = line + traceIDOffset
        writeHex(trace.high, to: p)
        writeHex(trace.low, to: p + 16)
        writeHex(span, to: p + 33)
    }

    /// A fresh trace id and span id from `next` (neither all zeros, as W3C requires).
    @inlinable
    public static func fresh(_ next: () -> UInt64) -> (TraceID, UInt64) {
        var t = TraceID(high: next(), low: next())
        if !t.isSet { t.low = 1 }
        var span = next()
        if span == 0 { span = 1 }
        return (t, span)
    }

    /// Whether `s` is a valid `tracestate` value: 1–32 comma-separated `key=value` members,
    /// keys `[a-z0-9][a-z0-9_\-*/@]{0,255}` (a tenant `@` form included), values of printable
    /// ASCII other than `,` and `=`, not ending in a space, at most 256 characters.
    public static func isValidTraceState(_ s: String) -> Bool {
        let members = s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpaces() }
        guard (1...32).contains(members.count), s.utf8.count <= 512 else { return false }
        var keys = Set<Substring>()
        for m in members {
            guard let eq = m.firstIndex(of: "=") else { return false }
            let key = m[..<eq], value = m[m.index(after: eq)...]
            guard (1...256).contains(key.utf8.count), (1...256).contains(value.utf8.count) else { return false }
            guard let first = key.utf8.first, (first >= 0x61 && first <= 0x7A) || (first >= 0x30 && first <= 0x39) else { return false }
            for b in key.utf8 {
                let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D || b == 0x2A || b == 0x2F || b == 0x40
                if !ok { return false }
            }
            for b in value.utf8 where b < 0x20 || b > 0x7E || b == 0x2C || b == 0x3D { return false }
            if value.utf8.last == 0x20 { return false }
            guard keys.insert(key).inserted else { return false }
        }
        return true
    }

    static func writeHex(_ v: UInt64, into bytes: inout [UInt8], at offset: Int) {
        bytes.withUnsafeMutableBufferPointer { writeHex(v, to: $0.baseAddress! + offset) }
    }

    @inline(__always)
    static func writeHex(_ v: UInt64, to p: UnsafeMutablePointer<UInt8>) {
        for i in 0..<16 {
            let nibble = UInt8(truncatingIfNeeded: v >> UInt64(60 - 4 * i)) & 0xF
            p[i] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
        }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return s
    }
}
