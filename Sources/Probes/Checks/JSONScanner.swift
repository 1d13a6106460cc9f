import Foundation

/// Finds the value at a `JSONPath` in a JSON document by scanning its bytes once, without
/// building the document's objects: Foundation's `JSONSerialization` costs tens of
/// microseconds per small response on Linux, more than the request itself
/// (BENCHMARKS.md, "Journeys"). The whole document is still validated, so an invalid
/// body fails its checks as before.
struct JSONScanner {
    /// What the path points at.
    enum Found: Equatable {
        /// A string, unescaped.
        case string(String)
        /// A number, as written.
        case number(String)
        case bool(Bool)
        case null
        /// An object or an array: its bytes.
        case composite(Range<Int>)
    }

    /// Nesting deeper than this is refused (a hostile body must not exhaust the stack).
    static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private let path: [JSONPath.Component]
    private var i = 0
    private(set) var found: Found?

    private init(_ bytes: UnsafeBufferPointer<UInt8>, path: [JSONPath.Component]) {
        self.bytes = bytes
        self.path = path
    }

    struct Invalid: Error {}

    /// The value at `path` in `body`: `.some(nil)` when the document is valid but has no such
    /// value, nil when the body is not JSON.
    static func find(_ path: [JSONPath.Component], in body: [UInt8]) -> Found?? {
        body.withUnsafeBufferPointer { buf -> Found?? in
            var s = JSONScanner(buf, path: path)
            // A UTF-8 byte order mark before the document is allowed, as Foundation allows it.
            if buf.count >= 3, buf[0] == 0xEF, buf[1] == 0xBB, buf[2] == 0xBF { s.i = 3 }
            do {
                s.skipSpace()
                try s.value(depth: 0, onPath: true)
                s.skipSpace()
                guard s.i == buf.count else { return nil }
                return .some(s.found)
            } catch {
                return nil
            }
        }
    }

    /// The text checks compare and captures keep, as `JSONPath.text(of:)` renders the same value.
    static func text(_ f: Found, in body: [UInt8]) -> String {
        switch f {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .number(let n):
            // An integer is kept as written: a 19-digit id must not come back as 1.2345678901234568e+18.
            if !n.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return n == "-0" ? "0" : n }
            guard let d = Double(n) else { return n }
            if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        case .composite(let r):
            guard let v = try? JSONSerialization.jsonObject(with: Data(body[r]), options: []) else { return "" }
            return JSONPath.text(of: v)
        }
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int, onPath: Bool) throws {
        guard depth < Self.maxDepth, i < bytes.count else { throw Invalid() }
        let target = onPath && depth == path.count
        let start = i
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; break }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Invalid() }
                var wanted = false
                if onPath, depth < path.count, case .key(let k) = path[depth] {
                    wanted = try string() == k
                } else {
                    try skipString()
                }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw Invalid() }
                i += 1
                skipSpace()
                // A repeated key replaces the earlier value, as in a parsed object.
                if wanted { found = nil }
                try value(depth: depth + 1, onPath: wanted)
                skipSpace()
                guard i < bytes.count else { throw Invalid() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "}") else { throw Invalid() }
                i += 1
                break
            }
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; break }
            var index = 0
            while true {
                skipSpace()
                var wanted = false
                if onPath, depth < path.count, case .index(let n) = path[depth] { wanted = n == index }
                try value(depth: depth + 1, onPath: wanted)
                index += 1
                skipSpace()
                guard i < bytes.count else { throw Invalid() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                guard bytes[i] == UInt8(ascii: "]") else { throw Invalid() }
                i += 1
                break
            }
        case UInt8(ascii: "\""):
            if target { found = .string(try string()); return }
            try skipString()
            return
        case UInt8(ascii: "t"):
            try literal("true")
            if target { found = .bool(true) }
            return
        case UInt8(ascii: "f"):
            try literal("false")
            if target { found = .bool(false) }
            return
        case UInt8(ascii: "n"):
            try literal("null")
            if target { found = .null }
            return
        default:
            try number()
            if target { found = .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)) }
            return
        }
        if target { found = .composite(start..<i) }
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count else { throw Invalid() }
        for k in 0..<n where bytes[i + k] != word.utf8Start[k] { throw Invalid() }
        i += n
    }

    private mutating func number() throws {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        let digits = i
        while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
        guard i > digits, !(bytes[digits] == 0x30 && i - digits > 1) else { throw Invalid() }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let f = i
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
            guard i > f else { throw Invalid() }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            let e = i
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1 }
            guard i > e else { throw Invalid() }
        }
        guard i > start else { throw Invalid() }
    }

    /// Skips a string starting at its opening quote.
    private mutating func skipString() throws {
        i += 1
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; return }
            if c < 0x20 { throw Invalid() }
            i += c == UInt8(ascii: "\\") ? 2 : 1
        }
        throw Invalid()
    }

    /// Reads a string starting at its opening quote, unescaped.
    private mutating func string() throws -> String {
        i += 1
        let start = i
        // The common case: no escapes, the bytes are the string.
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
            if bytes[i] < 0x20 { throw Invalid() }
            i += 1
        }
        guard i < bytes.count else { throw Invalid() }
        var out = [UInt8](UnsafeBufferPointer(rebasing: bytes[start..<i]))
        while bytes[i] != UInt8(ascii: "\"") {
            // bytes[i] is a backslash.
            i += 1
            guard i < bytes.count else { throw Invalid() }
            switch bytes[i] {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar), i + 2 < bytes.count, bytes[i + 1] == UInt8(ascii: "\\"), bytes[i + 2] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw Invalid() }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw Invalid() }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default: throw Invalid()
            }
            i += 1
            while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\") {
                if bytes[i] < 0x20 { throw Invalid() }
                out.append(bytes[i])
                i += 1
            }
            guard i < bytes.count else { throw Invalid() }
        }
        i += 1
        return String(decoding: out, as: UTF8.self)
    }

    /// The 4 hex digits after `\u` (i is at the `u`; left at the last digit).
    private mutating func hex4() throws -> UInt32 {
        guard i + 4 < bytes.count else { throw Invalid() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            i += 1
            let c = bytes[i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x61...0x66: d = c - 0x61 + 10
            case 0x41...0x46: d = c - 0x41 + 10
            default: throw Invalid()
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }
}
