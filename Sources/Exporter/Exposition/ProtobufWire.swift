// Protocol Buffers wire encoding (https://protobuf.dev/programming-guides/encoding/), just
// what io.prometheus.client.MetricFamily needs: varints, zigzag, doubles, strings and nested
// messages. Written straight from kalm's exposition model into a ByteSink, so a scrape
// builds no message objects (docs/metrics.md, "Protobuf exposition", says why not a library).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ByteSink {
    /// Wire types.
    static let varint: UInt8 = 0, fixed64: UInt8 = 1, lengthDelimited: UInt8 = 2

    @inline(__always)
    mutating func putVarint(_ v: UInt64) {
        reserve(10)
        var v = v
        while v >= 0x80 {
            put(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        put(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    mutating func putTag(_ field: UInt32, _ wireType: UInt8) {
        putVarint(UInt64(field << 3 | UInt32(wireType)))
    }

    /// A `uint64`/enum field (written even when 0: kalm's fields are proto2 `optional`).
    @inline(__always)
    mutating func putUInt(_ field: UInt32, _ v: UInt64) {
        putTag(field, Self.varint)
        putVarint(v)
    }

    /// A `sint32`/`sint64` field: zigzag.
    @inline(__always)
    mutating func putSInt(_ field: UInt32, _ v: Int64) {
        putTag(field, Self.varint)
        putVarint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
    }

    /// A `double` field: 8 bytes, little-endian.
    @inline(__always)
    mutating func putDouble(_ field: UInt32, _ v: Double) {
        putTag(field, Self.fixed64)
        reserve(8)
        var bits = v.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { copy($0.baseAddress!.assumingMemoryBound(to: UInt8.self), 8) }
    }

    /// A `string` field.
    @inline(__always)
    mutating func putString(_ field: UInt32, _ s: String) {
        var s = s
        s.withUTF8 { b in
            putTag(field, Self.lengthDelimited)
            putVarint(UInt64(b.count))
            append(b)
        }
    }

    /// Opens a length-delimited field (a message, or the exposition's length prefix when
    /// `field` is nil): a one-byte length is reserved; `endMessage` fills it in.
    @inline(__always)
    mutating func beginMessage(_ field: UInt32?) -> Int {
        if let field { putTag(field, Self.lengthDelimited) }
        append(0)
        return count
    }

    /// Closes what `beginMessage` opened: writes its length, moving the body when the
    /// length needs more than one byte.
    @inline(__always)
    mutating func endMessage(_ start: Int) {
        let length = count - start
        if length < 0x80 {
            base[start - 1] = UInt8(length)
            return
        }
        var n = 1
        var v = length >> 7
        while v > 0 { n += 1; v >>= 7 }
        reserve(n - 1)
        memmove(base + start + n - 1, base + start, length) // the regions overlap
        count += n - 1
        var at = start - 1
        var l = UInt64(length)
        while l >= 0x80 {
            base[at] = UInt8(truncatingIfNeeded: l) | 0x80
            l >>= 7
            at += 1
        }
        base[at] = UInt8(l)
    }
}
