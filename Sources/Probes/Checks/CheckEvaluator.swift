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

    /// Bit i of the result is set when check i passed.
    public static func evaluate(_ checks: [CheckSpec], on r: Response) -> UInt64 {
        guard r.completed, !checks.isEmpty else { return 0 }
        var mask: UInt64 = 0
        var json: Any?? = nil  // parsed lazily, once
        var text: String? = nil
        for (i, c) in checks.enumerated() {
            let ok: Bool
            switch c.kind {
            case .status(let m):
                ok = m.matches(r.status)
            case .maxDuration(let us):
                ok = r.durationMicros <= us
            case .jsonPath(let path, let pred):
                if json == nil {
                    json = .some(try? JSONSerialization.jsonObject(with: Data(r.body), options: [.fragmentsAllowed]))
                }
                guard let doc = json!, let v = path.evaluate(doc) else { ok = false; break }
                switch pred {
                case .exists: ok = true
                case .equals(let want): ok = JSONPath.text(of: v) == want
                case .matches(let p): ok = p.matches(JSONPath.text(of: v))
                }
            case .bodyMatches(let p):
                if text == nil { text = String(decoding: r.body, as: UTF8.self) }
                ok = p.matches(text!)
            case .bodyNotMatches(let p):
                if text == nil { text = String(decoding: r.body, as: UTF8.self) }
                ok = !p.matches(text!)
            case .header(let name, let p):
                ok = headerValues(named: name, in: r.rawHeaders).contains { p.matches($0) }
            }
            if ok { mask |= 1 << UInt64(i) }
        }
        return mask
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
