import Foundation

/// Sizes: `10MiB`, `512KiB`, `1GiB` (powers of 1024), `10MB`, `1kB` (powers of 1000), `1000` or `1000B` (bytes).
enum ByteSize {
    private static let units: [(String, Double)] = [
        ("b", 1), ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("tb", 1e12),
        ("kib", 1024), ("mib", 1_048_576), ("gib", 1_073_741_824), ("tib", 1_099_511_627_776),
    ]

    /// Parses `text` into a byte count (fractions are rounded down: `1.5KiB` is 1536).
    /// - Throws: `ValueError` saying what is wrong (without repeating the text).
    static func parse(_ text: String) throws -> Int {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { throw ValueError("empty size") }
        let numberEnd = s.firstIndex(where: { !($0.isASCII && ($0.isNumber || $0 == ".")) }) ?? s.endIndex
        let number = s[..<numberEnd]
        guard !number.isEmpty else { throw ValueError("expected a number first") }
        guard let value = Double(number), number.filter({ $0 == "." }).count <= 1 else { throw ValueError("malformed number") }
        let unit = s[numberEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        let scale: Double
        if unit.isEmpty {
            scale = 1
        } else if let u = units.first(where: { $0.0 == unit }) {
            scale = u.1
        } else {
            throw ValueError("unknown unit \"\(s[numberEnd...])\" (use B, KiB, MiB, GiB, kB, MB, GB)")
        }
        let bytes = (value * scale).rounded(.down)
        guard bytes < Double(Int.max / 2) else { throw ValueError("too large") }
        return Int(bytes)
    }

    /// Formats a byte count with the largest exact binary unit: `10MiB`, `512KiB`, `1000B`.
    static func format(_ bytes: Int) -> String {
        for (name, scale) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes != 0 && bytes % scale == 0 {
            return "\(bytes / scale)\(name)"
        }
        return "\(bytes)B"
    }
}
