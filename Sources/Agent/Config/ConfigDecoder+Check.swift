import Foundation
import Measurements
import Probes

extension ConfigDecoder {
    static let checkKindKeys = ["status", "json_path", "body_matches", "body_not_matches", "header", "max_duration"]
    static let checkKeys = ["name"] + checkKindKeys + ["equals", "matches"]

    /// `checks:`: at most `ProbeSpec.maxChecks`, names unique within the probe.
    func decodeChecks(_ node: StrictNode) -> [CheckSpec]? {
        guard let items = node.sequence(what: "a list of checks") else { return nil }
        if items.count > ProbeSpec.maxChecks {
            items[ProbeSpec.maxChecks].fail("a probe may have at most \(ProbeSpec.maxChecks) checks and this one has \(items.count); split the probe or drop checks")
        }
        var checks: [CheckSpec] = []
        var seen: [String: Int] = [:]
        for item in items {
            guard let (check, nameNode) = decodeCheck(item) else { continue }
            if let line = seen[check.name] {
                (nameNode ?? item).fail("check name \"\(check.name)\" is used twice in this probe (first at line \(line)); give each check its own name:")
                continue
            }
            seen[check.name] = (nameNode ?? item).mark?.line ?? 0
            checks.append(check)
        }
        return checks
    }

    /// One check and its `name` node (nil when the name is the default).
    func decodeCheck(_ node: StrictNode) -> (CheckSpec, StrictNode?)? {
        guard let m = node.mapping(keys: Self.checkKeys, what: "a check mapping, e.g. {name: ok, status: [200]}") else {
            return nil
        }
        let kinds = m.entries.filter { Self.checkKindKeys.contains($0.key) }
        guard let kindEntry = kinds.first else {
            node.fail("a check needs one of \(Self.checkKindKeys.joined(separator: ", "))")
            return nil
        }
        for extra in kinds.dropFirst() {
            context.error("a check has one kind, but \"\(kindEntry.key)\" and \"\(extra.key)\" are both set; make them two checks",
                          at: extra.keyMark, path: extra.value.path)
        }
        for key in ["equals", "matches"] {
            if let e = m.entry(key), kindEntry.key != "json_path" {
                context.error("\"\(key)\" only goes with json_path; remove it or add json_path:", at: e.keyMark, path: e.value.path)
            }
        }
        if let e = m.entry("matches"), m.has("equals") {
            context.error("\"equals\" and \"matches\" cannot both be set; keep one", at: e.keyMark, path: e.value.path)
        }
        guard kinds.count == 1 else { return nil }
        let v = kindEntry.value
        let kind: CheckKind?
        switch kindEntry.key {
        case "status":
            kind = decodeStatusList(v).map(CheckKind.status)
        case "json_path":
            kind = decodeJSONPathCheck(v, m)
        case "body_matches":
            kind = decodePattern(v).map(CheckKind.bodyMatches)
        case "body_not_matches":
            kind = decodePattern(v).map(CheckKind.bodyNotMatches)
        case "header":
            kind = decodeHeaderCheck(v)
        default:
            kind = v.duration(positive: true).map { .maxDuration(micros: Int64(($0 * 1e6).rounded())) }
        }
        var name: String?
        let nameNode = m["name"]
        if let n = nameNode, let s = n.string(what: "a check name") {
            if s.trimmingCharacters(in: .whitespaces).isEmpty { n.fail("empty check name; give a name or remove the key") }
            else { name = s }
        }
        guard let kind else { return nil }
        return (CheckSpec(name: name, kind: kind), name == nil ? nil : nameNode)
    }

    /// `json_path: $.id` with optional `equals:` or `matches:`.
    func decodeJSONPathCheck(_ v: StrictNode, _ m: StrictMapping) -> CheckKind? {
        guard let text = v.string(what: "a JSONPath like $.id") else { return nil }
        let path: JSONPath
        do {
            path = try JSONPath(text)
        } catch {
            let reason = (error as? JSONPath.ParseError)?.message
                .replacingOccurrences(of: "JSONPath \"\(text)\": ", with: "")
                .components(separatedBy: "; supported forms").first
            v.invalid("JSONPath", reason: reason,
                      fix: "write e.g. $.id, $.items[0].price or $['a key']")
            return nil
        }
        if let e = m["equals"] {
            if e.isNull { return .jsonPath(path, .equals("null")) }
            guard let s = e.string(what: "a value to compare with") else { return nil }
            return .jsonPath(path, .equals(s))
        }
        if let r = m["matches"] {
            return decodePattern(r).map { .jsonPath(path, .matches($0)) }
        }
        return .jsonPath(path, .exists)
    }

    /// `header: {name: Content-Type, matches: json}`.
    func decodeHeaderCheck(_ v: StrictNode) -> CheckKind? {
        guard let hm = v.mapping(keys: ["name", "matches"], what: "a mapping {name: HEADER, matches: REGEX}") else { return nil }
        let name = hm.required("name", example: "name: Content-Type").flatMap { n -> String? in
            guard let s = n.string(what: "a header name") else { return nil }
            guard Self.isToken(s) else {
                n.invalid("header name", reason: nil, fix: "use letters, digits and -, e.g. Content-Type")
                return nil
            }
            return s
        }
        let pattern = hm.required("matches", example: "matches: application/json").flatMap(decodePattern)
        guard let name, let pattern else { return nil }
        return .header(name: name, matches: pattern)
    }

    /// A regular expression (ICU syntax; `(?i)` works).
    func decodePattern(_ node: StrictNode) -> Pattern? {
        guard let text = node.string(what: "a regular expression") else { return nil }
        do {
            return try Pattern(text)
        } catch {
            node.invalid("regular expression", reason: nil, fix: "check brackets, parentheses and escapes (write \\\\. for a literal dot in double quotes, or use single quotes)")
            return nil
        }
    }
}
