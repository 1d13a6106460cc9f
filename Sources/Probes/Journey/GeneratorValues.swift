#if canImport(Glibc)
import Glibc
#endif

/// The values of the built-in generators (docs/configuration.md, "Generators").
enum GeneratorValues {
    static func make(_ g: Generator, vu: Int, iteration: Int, rng: inout FastRandom) -> String {
        switch g {
        case .uuid: return uuid(&rng)
        case .randomInt(let lo, let hi):
            let span = UInt64(bitPattern: Int64(hi) &- Int64(lo)) &+ 1
            let offset = span == 0 ? rng.next() : rng.next() % span
            return String(Int64(lo) &+ Int64(bitPattern: offset))
        case .pick(let items): return items[Int(rng.next() % UInt64(items.count))]
        case .timestamp: return String(Int64(MonotonicClock.wallSeconds()))
        case .timestampMillis: return String(Int64(MonotonicClock.wallSeconds() * 1000))
        case .now: return rfc3339(MonotonicClock.wallSeconds())
        case .vu: return String(vu)
        case .iteration: return String(iteration)
        }
    }

    /// A random (version 4, RFC 9562) UUID in lower case.
    static func uuid(_ rng: inout FastRandom) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        let a = rng.next(), b = rng.next()
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: a >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: b >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `2026-11-30T04:12:52.123Z`.
    static func rfc3339(_ seconds: Double) -> String {
        var t = time_t(seconds.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        let ms = Int((seconds - seconds.rounded(.down)) * 1000)
        func pad(_ v: Int32, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2)).\(pad(Int32(ms), 3))Z"
    }
}
