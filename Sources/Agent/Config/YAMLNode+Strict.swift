import Exporter
import Foundation
import KalmSupport
import Measurements
import Yams

/// A YAML node with its key path, for strict decoding.
///
/// Every accessor records a `ConfigError` (at the node's line and column,
/// under its key path) in the shared `DecodeContext` and returns nil when the
/// node is not what was asked for, so decoding goes on and every problem in a
/// file is reported in one pass.
struct StrictNode {
    let node: Node
    /// `probes[0].request.timeout`; empty for the document root.
    let path: String
    let context: DecodeContext

    var mark: Mark? { node.mark }

    /// Records an error at this node.
    func fail(_ message: String) {
        context.error(message, at: mark, path: path)
    }

    // MARK: Structure

    /// The child at `key` of this mapping node (path only; the node is given).
    func child(_ key: String, _ value: Node) -> StrictNode {
        StrictNode(node: value, path: Self.join(path, key), context: context)
    }

    /// Appends `key` to a key path, bracketing keys that are not plain identifiers.
    static func join(_ path: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        let part = plain ? key : "[\"\(key.replacingOccurrences(of: "\"", with: "\\\""))\"]"
        if path.isEmpty { return part }
        return plain ? "\(path).\(part)" : "\(path)\(part)"
    }

    /// YAML null: an empty plain value, `~` or `null`.
    var isNull: Bool {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    /// "a mapping", "a list", "a string \"x\"", "nothing": for "expected X, got Y" messages.
    var kindDescription: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            if isNull { return "nothing (null)" }
            return "\(quoteRaw(s.string))"
        }
    }

    /// This mapping's entries, with unknown keys reported.
    ///
    /// - Parameters:
    ///   - keys: the keys allowed here.
    ///   - planned: keys the spec marks *(planned)*: rejected with "not supported yet".
    ///   - hints: messages for known mistakes, by key (e.g. a request key written at probe level).
    /// - Returns: nil (with an error recorded) when the node is not a mapping; an empty mapping for null.
    func mapping(keys: [String], planned: [String] = [], hints: [String: String] = [:], what: String = "a mapping") -> StrictMapping? {
        if isNull { return StrictMapping(owner: self, entries: [], suggested: []) }
        guard case .mapping(let m) = node else {
            fail("expected \(what), got \(kindDescription)")
            return nil
        }
        var entries: [StrictMapping.Entry] = []
        var suggested: [String] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                context.error("keys must be plain names, got \(StrictNode(node: k, path: path, context: context).kindDescription)",
                              at: k.mark, path: path)
                continue
            }
            let key = ks.string
            let keyPath = Self.join(path, key)
            if keys.contains(key) {
                entries.append(.init(key: key, keyMark: k.mark, value: child(key, v)))
            } else if planned.contains(key) {
                context.error("\"\(key)\" is not supported yet; remove it", at: k.mark, path: keyPath)
            } else if let hint = hints[key] {
                context.error("unknown key \"\(key)\"; \(hint)", at: k.mark, path: keyPath)
            } else if key == "<<" {
                context.error("YAML merge keys (<<) are not supported; write the keys out", at: k.mark, path: keyPath)
            } else if let s = EditDistance.suggest(key, from: keys) {
                suggested.append(s)
                context.error("unknown key \"\(key)\"; did you mean \"\(s)\"?", at: k.mark, path: keyPath)
            } else {
                context.error("unknown key \"\(key)\"; valid keys here: \(keys.joined(separator: ", "))", at: k.mark, path: keyPath)
            }
        }
        return StrictMapping(owner: self, entries: entries, suggested: suggested)
    }

    /// A mapping whose keys are free-form (labels, headers, scenarios, thresholds), in file order.
    func freeMapping(what: String) -> [StrictMapping.Entry]? {
        if isNull { return [] }
        guard case .mapping(let m) = node else {
            fail("expected \(what), got \(kindDescription)")
            return nil
        }
        var entries: [StrictMapping.Entry] = []
        for (k, v) in m {
            guard case .scalar(let ks) = k else {
                context.error("keys must be plain names, got \(StrictNode(node: k, path: path, context: context).kindDescription)",
                              at: k.mark, path: path)
                continue
            }
            entries.append(.init(key: ks.string, keyMark: k.mark, value: child(ks.string, v)))
        }
        return entries
    }

    /// The elements of this list (null is an empty list).
    func sequence(what: String = "a list") -> [StrictNode]? {
        if isNull { return [] }
        guard case .sequence(let s) = node else {
            fail("expected \(what), got \(kindDescription)")
            return nil
        }
        return s.enumerated().map { StrictNode(node: $0.element, path: "\(path)[\($0.offset)]", context: context) }
    }

    /// The elements of this list, or this node alone when it is a scalar (`expected_status: 2xx`).
    func sequenceOrScalar(what: String) -> [StrictNode]? {
        if case .scalar = node, !isNull { return [self] }
        return sequence(what: what)
    }

    // MARK: Scalars

    /// The scalar text exactly as written (before `${...}` expansion).
    var rawText: String? {
        if case .scalar(let s) = node { return s.string }
        return nil
    }

    /// Whether the value was written in quotes (then it is always a string, never a number or bool).
    var isQuoted: Bool {
        if case .scalar(let s) = node { return s.style == .singleQuoted || s.style == .doubleQuoted }
        return false
    }

    /// Whether the scalar contains `${...}`: messages must quote it as written, never its value.
    var hasReferences: Bool {
        rawText.map(VariableExpander.hasReferences) ?? false
    }

    /// `"text"` as written, for messages.
    func quoteRaw(_ s: String) -> String {
        let shown = s.count > 80 ? String(s.prefix(77)) + "..." : s
        return "\"\(shown.replacingOccurrences(of: "\"", with: "\\\""))\""
    }

    /// `"text"` as written, plus "(after expansion)" when it held `${...}`.
    var quoted: String {
        let q = quoteRaw(rawText ?? "")
        return hasReferences ? "\(q) (after expansion)" : q
    }

    /// Records "invalid WHAT "raw": reason; fix", leaving out the reason when it might quote an expanded value.
    func invalid(_ what: String, reason: String?, fix: String) {
        var msg = "invalid \(what) \(quoted)"
        if let reason, !hasReferences { msg += ": \(reason)" }
        fail(msg + "; " + fix)
    }

    /// The scalar's text with `${...}` expanded; nil (error recorded) for a list, mapping, null or failed expansion.
    func string(what: String = "a string") -> String? {
        guard case .scalar(let s) = node, !isNull else {
            fail("expected \(what), got \(kindDescription)")
            return nil
        }
        do {
            return try context.expand(s.string)
        } catch let e as ValueError {
            fail(e.reason)
            return nil
        } catch {
            fail("\(error)")
            return nil
        }
    }

    /// A whole number, with `min` checked.
    func int(min: Int? = nil, what: String = "a whole number") -> Int? {
        guard let text = string(what: what) else { return nil }
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.range(of: #"^[+-]?[0-9]+$"#, options: .regularExpression) != nil, let v = Int(t) else {
            fail("expected \(what), got \(quoted)")
            return nil
        }
        if let min, v < min {
            fail("must be at least \(min), got \(hasReferences ? quoted : String(v))")
            return nil
        }
        return v
    }

    /// A finite number.
    func double(what: String = "a number") -> Double? {
        guard let text = string(what: what) else { return nil }
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.range(of: #"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil,
              let v = Double(t), v.isFinite else {
            fail("expected \(what), got \(quoted)")
            return nil
        }
        return v
    }

    /// `true` or `false`.
    func bool() -> Bool? {
        guard let text = string(what: "true or false") else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            fail("expected true or false, got \(quoted)")
            return nil
        }
    }

    /// A Go-style duration in seconds, not negative (and positive when `positive`).
    func duration(positive: Bool = false) -> Double? {
        guard let text = string(what: "a duration like 10s") else { return nil }
        do {
            let v = try GoDuration.parse(text)
            guard v >= 0, !(positive && v == 0) else {
                fail("duration must be \(positive ? "greater than 0" : "0 or more"), got \(quoted)")
                return nil
            }
            return v
        } catch {
            invalid("duration", reason: (error as? ValueError)?.reason,
                    fix: "write a number with a unit: 500ms, 2s, 10m, 1h30m")
            return nil
        }
    }

    /// A byte size (`10MiB`, `512KiB`, `1000`).
    func byteSize() -> Int? {
        guard let text = string(what: "a size like 10MiB") else { return nil }
        do {
            return try ByteSize.parse(text)
        } catch {
            invalid("size", reason: (error as? ValueError)?.reason, fix: "write e.g. 10MiB, 512KiB, 1GiB, 10MB or a number of bytes")
            return nil
        }
    }

    /// A string, one of `choices`.
    func oneOf(_ choices: [String], what: String) -> String? {
        guard let text = string(what: what) else { return nil }
        if choices.contains(text) { return text }
        var msg = "invalid \(what) \(quoted); use one of \(choices.joined(separator: ", "))"
        if !hasReferences, let s = EditDistance.suggest(text, from: choices) { msg += " (did you mean \"\(s)\"?)" }
        fail(msg)
        return nil
    }
}

/// The checked entries of a YAML mapping, in file order.
struct StrictMapping {
    struct Entry {
        var key: String
        var keyMark: Mark?
        var value: StrictNode
    }

    let owner: StrictNode
    let entries: [Entry]
    /// Keys offered as "did you mean": a missing one of these is not reported a second time.
    let suggested: [String]

    subscript(key: String) -> StrictNode? {
        entries.first { $0.key == key }?.value
    }

    func entry(_ key: String) -> Entry? {
        entries.first { $0.key == key }
    }

    func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// The value at `key`, or nil with "missing required key" recorded at this mapping.
    func required(_ key: String, example: String) -> StrictNode? {
        if let v = self[key] { return v }
        if suggested.contains(key) { return nil }
        owner.context.error("missing required key \"\(key)\"; add e.g. \(example)", at: owner.mark,
                            path: StrictNode.join(owner.path, key))
        return nil
    }
}
