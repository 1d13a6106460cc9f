import Foundation

/// One check on a response. All checks of a probe must pass for its iteration to succeed.
public struct CheckSpec: Sendable, Equatable {
    /// Shown in the summary and used as the `check` label.
    public var name: String
    /// What the check looks at and requires.
    public var kind: CheckKind

    /// A check of `kind`, named `name` or, without one, `kind.defaultName`.
    public init(name: String? = nil, kind: CheckKind) {
        self.kind = kind
        self.name = name ?? kind.defaultName
    }
}

/// What a check looks at.
public enum CheckKind: Sendable, Equatable {
    case status(StatusMatcher)
    case jsonPath(JSONPath, JSONPathPredicate)
    case bodyMatches(Pattern)
    case bodyNotMatches(Pattern)
    case header(name: String, matches: Pattern)
    /// Fails when `http_req_duration` exceeds this many microseconds.
    case maxDuration(micros: Int64)

    /// A readable description, used when the config gives no `name`.
    public var defaultName: String {
        switch self {
        case .status(let m): return "status is \(m)"
        case .jsonPath(let p, .exists): return "\(p.source) exists"
        case .jsonPath(let p, .equals(let v)): return "\(p.source) equals \(v)"
        case .jsonPath(let p, .equalsValue(let t)): return "\(p.source) equals \(t.source)"
        case .jsonPath(let p, .matches(let r)): return "\(p.source) matches \(r.source)"
        case .bodyMatches(let r): return "body matches \(r.source)"
        case .bodyNotMatches(let r): return "body does not match \(r.source)"
        case .header(let n, let r): return "header \(n) matches \(r.source)"
        case .maxDuration(let us): return "duration <= \(formatMicros(us))"
        }
    }

    /// Whether evaluating this check needs the response body kept.
    public var needsBody: Bool {
        switch self {
        case .jsonPath, .bodyMatches, .bodyNotMatches: return true
        default: return false
        }
    }

    /// Whether the check reads run-time values (`equals: "{{ id }}"`).
    public var usesValues: Bool {
        if case .jsonPath(_, .equalsValue) = self { return true }
        return false
    }

    /// Whether evaluating this check needs the response headers kept.
    public var needsHeaders: Bool {
        if case .header = self { return true }
        return false
    }
}

/// What a `json_path` check requires of the value it finds.
public enum JSONPathPredicate: Sendable, Equatable {
    case exists
    /// The value, rendered as text (strings unquoted, numbers as JSON writes them), equals this.
    case equals(String)
    /// Equals a run-time value: `equals: "{{ id }}"`.
    case equalsValue(Template)
    case matches(Pattern)
}

/// A compiled regular expression with its source text.
public struct Pattern: Sendable, Equatable {
    /// The regular expression as written.
    public let source: String
    /// The compiled expression.
    public let regex: NSRegularExpression

    /// - Throws: when `source` is not a valid regular expression.
    public init(_ source: String) throws {
        self.source = source
        // `(?i)` and friends are understood by ICU, as in Go's RE2 syntax.
        self.regex = try NSRegularExpression(pattern: source, options: [])
    }

    /// Whether the expression matches anywhere in `text`.
    public func matches(_ text: String) -> Bool {
        regex.firstMatch(in: text, options: [], range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Patterns are equal when their sources are.
    public static func == (a: Pattern, b: Pattern) -> Bool { a.source == b.source }
}

func formatMicros(_ us: Int64) -> String {
    if us % 1_000_000 == 0 { return "\(us / 1_000_000)s" }
    if us % 1000 == 0 { return "\(us / 1000)ms" }
    return "\(us)µs"
}
