import KalmSupport

/// A string with run-time references, `{{ name }}`, resolved per iteration
/// (docs/configuration.md, "Journeys"). `${...}` expands earlier, when the config loads.
///
/// `{{ "text" }}` is a literal: `{{ "{{" }}` writes `{{`.
public struct Template: Sendable, Equatable {
    /// A piece of the string: text as written, or a reference.
    public enum Part: Sendable, Equatable {
        case literal(String)
        case value(ValueRef)
    }

    /// How a value is escaped where it is inserted.
    public enum Escaping: Sendable, Equatable {
        /// As is (header values lose CR and LF, which would start a new header line).
        case none
        /// Inside a JSON string: `"`, `\` and control characters escaped.
        case json
        /// In a URL: characters that are never valid in one (space, controls, `"<>\^`{|}`, non-ASCII) percent-encoded.
        case url
    }

    /// The text as written.
    public var source: String
    /// The parts in order.
    public var parts: [Part]
    /// How values are escaped.
    public var escaping: Escaping

    /// A template of `parts` (written as `source`), escaping values as `escaping` says.
    public init(source: String, parts: [Part], escaping: Escaping) {
        self.source = source
        self.parts = parts
        self.escaping = escaping
    }

    /// The references in order of appearance.
    public var references: [ValueRef] {
        parts.compactMap { if case .value(let v) = $0 { return v } else { return nil } }
    }

    /// A reference found while parsing, with its place in the text (for error messages).
    public struct Reference: Sendable, Equatable {
        /// The text between the braces, trimmed.
        public var name: String
        /// Offset of the opening `{{` in the text, in characters.
        public var offset: Int
    }

    /// Why a template does not parse.
    public struct ParseError: Error, Sendable, Equatable {
        /// What is wrong and how to fix it.
        public var message: String
        /// Offset of the problem in the text, in characters.
        public var offset: Int

        /// An error saying `message` about the text at `offset`.
        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }
    }

    /// Parses `text`, resolving each reference with `resolve` (nil: unknown, which throws).
    /// - Returns: nil when the text holds no `{{`, so the caller keeps it as a plain string.
    public static func parse(
        _ text: String, escaping: Escaping,
        resolve: (Reference) throws(ParseError) -> ValueRef
    ) throws(ParseError) -> Template? {
        guard text.contains("{{") else { return nil }
        var parts: [Part] = []
        var literal = ""
        var i = text.startIndex
        var offset = 0
        while i < text.endIndex {
            if text[i...].hasPrefix("{{") {
                let open = offset
                let bodyStart = text.index(i, offsetBy: 2)
                // A quoted literal may itself hold "}}": look for the end after its closing quote.
                var searchFrom = bodyStart
                let quote = escaping == .json ? "\\\"" : "\""
                let first = text[bodyStart...].firstIndex { $0 != " " } ?? text.endIndex
                if text[first...].hasPrefix(quote),
                   let end = text.range(of: quote, range: text.index(first, offsetBy: quote.count)..<text.endIndex) {
                    searchFrom = end.upperBound
                }
                guard let close = text.range(of: "}}", range: searchFrom..<text.endIndex) else {
                    throw ParseError(message: "\"{{\" is not closed; write {{ name }}, or {{ \"{{\" }} for a literal {{", offset: open)
                }
                var inner = text[bodyStart..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                // In a body written as a mapping the text was JSON-escaped: read the reference as written.
                if escaping == .json { inner = inner.replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\") }
                if inner.count >= 2, inner.hasPrefix("\""), inner.hasSuffix("\"") {
                    Self.append(String(inner.dropFirst().dropLast()), escaping: escaping == .json ? .json : .none, to: &literal)
                } else {
                    guard !inner.isEmpty else {
                        throw ParseError(message: "empty {{ }}; write a capture, a data column (source.column) or a generator such as {{ uuid }}", offset: open)
                    }
                    if !literal.isEmpty { parts.append(.literal(literal)); literal = "" }
                    parts.append(.value(try resolve(Reference(name: inner, offset: open))))
                }
                offset += text.distance(from: i, to: close.upperBound)
                i = close.upperBound
            } else {
                literal.append(text[i])
                i = text.index(after: i)
                offset += 1
            }
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        return Template(source: text, parts: parts, escaping: escaping)
    }

    /// The string with every reference replaced by its value for this iteration.
    /// - Returns: nil when a value is missing (a capture of a step that did not run).
    public func render(_ values: (ValueRef) -> String?) -> String? {
        var out = ""
        for p in parts {
            switch p {
            case .literal(let s): out += s
            case .value(let v):
                guard let s = values(v) else { return nil }
                Self.append(s, escaping: escaping, to: &out)
            }
        }
        return out
    }

    static func append(_ s: String, escaping: Escaping, to out: inout String) {
        switch escaping {
        case .none:
            if s.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) {
                out += s.filter { $0 != "\r" && $0 != "\n" && $0 != "\r\n" }
            } else {
                out += s
            }
        case .json:
            JSONText.appendEscaped(s, to: &out)
        case .url:
            for b in s.utf8 {
                if b <= 0x20 || b >= 0x7F || "\"<>\\^`{|}".utf8.contains(b) {
                    let hex = String(b, radix: 16, uppercase: true)
                    out += "%" + (hex.count == 1 ? "0" : "") + hex
                } else {
                    out.unicodeScalars.append(Unicode.Scalar(b))
                }
            }
        }
    }
}

/// What a `{{ name }}` refers to, resolved when the config loads.
public enum ValueRef: Sendable, Equatable, Hashable {
    /// A value captured by an earlier step: index into the probe's captures.
    case capture(Int)
    /// Column `column` of data source `source` (indexes into `ProbeSpec.data` and its table's columns).
    case data(source: Int, column: Int)
    /// A built-in generator's value, fixed for the iteration.
    case generator(Generator)
    /// `{{ target }}` of a probe with `targets:`: replaced by the target's text when the
    /// probe is bound to one (`ProbeSpec.bound(toTarget:labels:)`), never sent unbound.
    case target
}

/// Built-in generators. Each distinct generator has one value per iteration, so
/// `{{ uuid }}` in a step's body and in a later check is the same id.
public enum Generator: Sendable, Equatable, Hashable {
    /// `uuid`: a random version 4 UUID, lower case.
    case uuid
    /// `random_int(MIN, MAX)`: a uniform integer in MIN...MAX.
    case randomInt(Int, Int)
    /// `pick(A, B, ...)`: one of the items, uniformly.
    case pick([String])
    /// `timestamp`: Unix seconds; `timestamp_ms`: Unix milliseconds.
    case timestamp, timestampMillis
    /// `now`: the time in RFC 3339, UTC, millisecond precision.
    case now
    /// `vu`: the VU's number, 1-based, as k6's `__VU`.
    case vu
    /// `iteration`: the VU's iteration number, 0-based, as k6's `__ITER`.
    case iteration

    /// The generator `text` names, or nil.
    public static func parse(_ text: String) -> Generator? {
        switch text {
        case "uuid": return .uuid
        case "timestamp": return .timestamp
        case "timestamp_ms": return .timestampMillis
        case "now": return .now
        case "vu": return .vu
        case "iteration": return .iteration
        default: break
        }
        guard text.hasSuffix(")"), let open = text.firstIndex(of: "(") else { return nil }
        let fn = text[..<open].trimmingCharacters(in: .whitespaces)
        // Arguments split at commas outside double quotes, so pick("a, b", c) has two items.
        var args: [String] = []
        var current = ""
        var quoted = false
        for ch in text[text.index(after: open)..<text.index(before: text.endIndex)] {
            if ch == "\"" { quoted.toggle() }
            if ch == ",", !quoted {
                args.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(ch)
            }
        }
        args.append(current.trimmingCharacters(in: .whitespaces))
        switch fn {
        case "random_int":
            guard args.count == 2, let lo = Int(args[0]), let hi = Int(args[1]), lo <= hi else { return nil }
            return .randomInt(lo, hi)
        case "pick":
            let items = args.map { a -> String in
                a.count >= 2 && a.hasPrefix("\"") && a.hasSuffix("\"") ? String(a.dropFirst().dropLast()) : a
            }
            guard !items.isEmpty, !items.contains(where: \.isEmpty) else { return nil }
            return .pick(items)
        default:
            return nil
        }
    }

    /// The generators users can write, for error messages.
    public static let help = "uuid, random_int(MIN, MAX), pick(A, B, ...), timestamp, timestamp_ms, now, vu, iteration"
}
