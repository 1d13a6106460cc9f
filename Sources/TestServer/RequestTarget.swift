/// The parsed request target of an HTTP request: the path (without query or fragment)
/// and the percent-decoded query parameters.
struct RequestTarget {
    /// The path part, e.g. `/sleep`. Never empty: an empty path becomes `/`.
    let path: String
    /// Query parameters; when a name repeats, the last value wins.
    let query: [String: String]

    /// Splits `uri` (origin-form `/p?a=b`, or absolute-form `http://h/p?a=b`) into path and query.
    init(uri: String) {
        var rest = Substring(uri)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        // Absolute-form (proxy style): drop scheme and authority.
        if let scheme = rest.range(of: "://") {
            let afterAuthority = rest[scheme.upperBound...]
            rest = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterAuthority[$0...] } ?? ""
        }
        let pathPart: Substring
        var params: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            pathPart = rest[..<mark]
            params = Self.formFields(rest[rest.index(after: mark)...])
        } else {
            pathPart = rest
        }
        self.path = pathPart.isEmpty ? "/" : Self.percentDecode(pathPart, plusIsSpace: false)
        self.query = params
    }

    /// Decodes `a=b&c=d`, a query string or an `application/x-www-form-urlencoded` body
    /// (the same encoding, which is why `/oauth/token` shares it): `+` is a space, a name
    /// without `=` gets an empty value, and when a name repeats the last value wins.
    static func formFields(_ text: Substring) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            fields[percentDecode(kv[0])] = kv.count > 1 ? percentDecode(kv[1]) : ""
        }
        return fields
    }

    /// The integer parameter `name` clamped to `range`, or `defaultValue` when absent or malformed.
    func int(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) -> Int {
        guard let raw = query[name], let value = Int(raw) else { return defaultValue }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// The floating-point parameter `name` clamped to `range`, or `defaultValue` when absent or malformed.
    func double(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>) -> Double {
        guard let raw = query[name], let value = Double(raw), value.isFinite else { return defaultValue }
        return min(max(value, range.lowerBound), range.upperBound)
    }

    /// Decodes `%XX` escapes (and `+` as space in query components); malformed escapes are kept verbatim.
    static func percentDecode(_ text: Substring, plusIsSpace: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
               let hi = hexValue(iterator[iterator.startIndex]),
               let lo = hexValue(iterator[iterator.startIndex + 1]) {
                bytes.append(hi << 4 | lo)
                iterator = iterator.dropFirst(2)
            } else if byte == UInt8(ascii: "+"), plusIsSpace {
                bytes.append(UInt8(ascii: " "))
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Encodes everything but RFC 3986 unreserved characters and `/` as `%XX`.
    static func percentEncode(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.append(byte)
            default:
                out.append(contentsOf: [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
