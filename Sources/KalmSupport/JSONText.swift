/// JSON text helpers shared by config bodies, JSON logs and the demo API.
public enum JSONText {
    /// `s` as a JSON string literal, quotes included; control characters escaped.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        appendEscaped(s, to: &out)
        return out + "\""
    }

    /// Appends `s` escaped for the inside of a JSON string literal (no quotes added).
    public static func appendEscaped(_ s: String, to out: inout String) {
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
    }
}
