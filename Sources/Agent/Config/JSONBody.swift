import Foundation
import KalmSupport
import Yams

/// Turns a YAML mapping or list written as a request body into compact JSON, keys in the order written.
///
/// `{brand: Louis Vuitton, price: 12, used: true}` becomes
/// `{"brand":"Louis Vuitton","price":12,"used":true}`. Unquoted values that read as
/// JSON numbers, `true`/`false` or null become those; everything else (and any quoted value)
/// is a string. `${...}` expands in values, not keys.
enum JSONBody {
    /// - Returns: nil when a value could not be expanded (the error is recorded on `node`'s context).
    static func serialize(_ node: StrictNode) -> String? {
        var out = ""
        return write(node, into: &out) ? out : nil
    }

    private static func write(_ node: StrictNode, into out: inout String) -> Bool {
        switch node.node {
        case .mapping(let m):
            out += "{"
            var ok = true
            for (i, (k, v)) in m.enumerated() {
                guard let key = k.scalar?.string else {
                    node.context.error("a JSON body's keys must be strings", at: k.mark, path: node.path)
                    ok = false
                    continue
                }
                if i > 0 { out += "," }
                out += JSONText.quoted(key) + ":"
                ok = write(node.child(key, v), into: &out) && ok
            }
            out += "}"
            return ok
        case .sequence:
            out += "["
            var ok = true
            for (i, item) in (node.sequence() ?? []).enumerated() {
                if i > 0 { out += "," }
                ok = write(item, into: &out) && ok
            }
            out += "]"
            return ok
        case .alias:
            node.fail("aliases are not supported in a body")
            return false
        case .scalar:
            if node.isNull {
                out += "null"
                return true
            }
            guard let text = node.string() else { return false }
            out += node.isQuoted ? JSONText.quoted(text) : literal(text)
            return true
        }
    }

    /// An unquoted YAML scalar as JSON: number, boolean or string.
    private static func literal(_ text: String) -> String {
        switch text {
        case "true", "True", "TRUE": return "true"
        case "false", "False", "FALSE": return "false"
        case "null", "Null", "NULL", "~": return "null"
        default: break
        }
        if text.range(of: #"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil {
            return text
        }
        return JSONText.quoted(text)
    }

}
