import Foundation

/// Evaluates a probe's checks against one response.
public enum CheckEvaluator {
    /// What a check sees of a response.
    public struct Response {
        /// HTTP status of the last response, or 0 when none arrived.
        public var status: Int
        /// False when no complete response arrived (transport error): every check fails.
        public var completed: Bool
        /// Request duration (send + wait + receive), in microseconds.
        public var durationMicros: Int64
        /// The response body.
        public var body: [UInt8]
        /// Raw header block of the last response (`Name: value\r\n` lines).
        public var rawHeaders: [UInt8]

        /// A response as checks see it; body and headers default to empty.
        public init(status: Int, completed: Bool, durationMicros: Int64, body: [UInt8] = [], rawHeaders: [UInt8] = []) {
            self.status = status
            self.completed = completed
            self.durationMicros = durationMicros
            self.body = body
            self.rawHeaders = rawHeaders
        }
    }

    /// The body as text, decoded at most once per response, shared by checks and captures.
    struct ParsedBody {
        private var text: String? = nil

        mutating func text(_ body: [UInt8]) -> String {
            if text == nil { text = String(decoding: body, as: UTF8.self) }
            return text!
        }
    }

    /// Bit i of the result is set when check i passed.
    public static func evaluate(_ checks: [CheckSpec], on r: Response) -> UInt64 {
        var parsed = ParsedBody()
        return evaluate(checks, on: r, parsed: &parsed, values: { _ in nil })
    }

    /// Bit i of the result is set when check i passed; `values` resolves run-time references.
    static func evaluate(_ checks: [CheckSpec], on r: Response, parsed: inout ParsedBody,
                         values: (ValueRef) -> String?) -> UInt64 {
        guard r.completed, !checks.isEmpty else { return 0 }
        var mask: UInt64 = 0
        for (i, c) in checks.enumerated() {
            let ok: Bool
            switch c.kind {
            case .status(let m):
                ok = m.matches(r.status)
            case .maxDuration(let us):
                ok = r.durationMicros <= us
            case .jsonPath(let path, let pred):
                guard let result = JSONScanner.find(path.components, in: r.body), let found = result else { ok = false; break }
                switch pred {
                case .exists: ok = true
                case .equals(let want): ok = JSONScanner.text(found, in: r.body) == want
                case .equalsValue(let t): ok = t.render(values).map { JSONScanner.text(found, in: r.body) == $0 } ?? false
                case .matches(let p): ok = p.matches(JSONScanner.text(found, in: r.body))
                }
            case .bodyMatches(let p):
                ok = p.matches(parsed.text(r.body))
            case .bodyNotMatches(let p):
                ok = !p.matches(parsed.text(r.body))
            case .header(let name, let p):
                ok = headerValues(named: name, in: r.rawHeaders).contains { p.matches($0) }
            }
            if ok { mask |= 1 << UInt64(i) }
        }
        return mask
    }

    /// The value `source` takes from a response; nil when it finds nothing.
    static func capture(_ source: CaptureSource, on r: Response, parsed: inout ParsedBody) -> String? {
        switch source {
        case .status:
            return r.status > 0 ? String(r.status) : nil
        case .header(let name):
            return headerValues(named: name, in: r.rawHeaders).first
        case .jsonPath(let path):
            guard let result = JSONScanner.find(path.components, in: r.body), let found = result, found != .null else { return nil }
            return JSONScanner.text(found, in: r.body)
        case .regex(let p):
            let text = parsed.text(r.body)
            guard let m = p.regex.firstMatch(in: text, options: [], range: NSRange(text.startIndex..., in: text)) else { return nil }
            let group = m.numberOfRanges > 1 ? m.range(at: 1) : m.range
            guard group.location != NSNotFound, let range = Range(group, in: text) else { return nil }
            return String(text[range])
        }
    }

    /// Values of the headers named `name` (case-insensitive) in a raw header block.
    static func headerValues(named name: String, in raw: [UInt8]) -> [String] {
        let wanted = name.lowercased()
        var values: [String] = []
        for line in String(decoding: raw, as: UTF8.self).split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == wanted {
                values.append(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return values
    }
}
