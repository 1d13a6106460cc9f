import Foundation

/// The JSONPath subset checks use: `$`, `.name`, `['any name']`, `["any name"]`, `[0]`.
public struct JSONPath: Sendable, Equatable, CustomStringConvertible {
    /// One step of a path: an object key or an array index.
    public enum Component: Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    /// The path as written.
    public let source: String
    /// The steps after `$`, in order.
    public let components: [Component]

    /// Why a path failed to parse, with the character offset.
    public struct ParseError: Error, CustomStringConvertible {
        /// What is wrong, where, and the supported forms.
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// - Throws: `ParseError` naming the offending position.
    public init(_ source: String) throws {
        self.source = source
        var comps: [Component] = []
        let chars = Array(source)
        guard chars.first == "$" else {
            throw ParseError(message: "JSONPath must start with '$' (got \"\(source)\"); write e.g. $.id or $.items[0]")
        }
        var i = 1
        func fail(_ what: String) -> ParseError {
            ParseError(message: "JSONPath \"\(source)\": \(what) at offset \(i); supported forms are $.a.b, $.a[0], $['a b']")
        }
        while i < chars.count {
            switch chars[i] {
            case ".":
                i += 1
                let start = i
                while i < chars.count, chars[i] != ".", chars[i] != "[" { i += 1 }
                guard i > start else { throw fail("empty name after '.'") }
                let name = String(chars[start..<i])
                if name == "*" { throw fail("wildcards are not supported") }
                comps.append(.key(name))
            case "[":
                i += 1
                guard i < chars.count else { throw fail("unterminated '['") }
                if chars[i] == "'" || chars[i] == "\"" {
                    let quote = chars[i]
                    i += 1
                    var name = ""
                    while i < chars.count, chars[i] != quote {
                        if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                        name.append(chars[i])
                        i += 1
                    }
                    guard i < chars.count else { throw fail("unterminated quoted name") }
                    i += 1
                    guard i < chars.count, chars[i] == "]" else { throw fail("expected ']'") }
                    i += 1
                    comps.append(.key(name))
                } else {
                    let start = i
                    while i < chars.count, chars[i] != "]" { i += 1 }
                    guard i < chars.count else { throw fail("unterminated '['") }
                    let text = String(chars[start..<i]).trimmingCharacters(in: .whitespaces)
                    guard let n = Int(text), n >= 0 else { throw fail("expected an index or a quoted name in [...]") }
                    i += 1
                    comps.append(.index(n))
                }
            default:
                throw fail("unexpected '\(chars[i])'")
            }
        }
        self.components = comps
    }

    /// The path as written.
    public var description: String { source }

    /// The value at this path in a document from `JSONSerialization`, or nil when absent.
    /// A JSON `null` counts as present (k6's `!== undefined`).
    public func evaluate(_ document: Any) -> Any? {
        var current: Any = document
        for c in components {
            switch c {
            case .key(let k):
                guard let obj = current as? [String: Any], let v = obj[k] else { return nil }
                current = v
            case .index(let n):
                guard let arr = current as? [Any], n < arr.count else { return nil }
                current = arr[n]
            }
        }
        return current
    }

    /// Renders a JSON value as text for `equals`/`matches`: strings bare, others as JSON writes them.
    public static func text(of value: Any) -> String {
        if let s = value as? String { return s }
        if value is NSNull { return "null" }
        if let n = value as? NSNumber {
            // JSONSerialization gives booleans as NSNumber; tell them apart by type.
            if CFGetTypeIDIsBool(n) { return n.boolValue ? "true" : "false" }
            let d = n.doubleValue
            if d.rounded() == d, abs(d) < 1e15 { return String(Int64(d)) }
            return String(d)
        }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]),
           let s = String(data: data, encoding: .utf8) {
            return s
        }
        return String(describing: value)
    }
}

@inline(__always)
private func CFGetTypeIDIsBool(_ n: NSNumber) -> Bool {
    // On Linux Foundation, JSON booleans decode as NSNumber with objCType "c" (Bool).
    let t = String(cString: n.objCType)
    return t == "c" || t == "B"
}
