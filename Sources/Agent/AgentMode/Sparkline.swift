import Foundation

/// An inline SVG sparkline: no scripts, no external assets.
enum Sparkline {
    /// `values` oldest first; nil is a gap. `floor`/`ceiling` fix the scale (else the data's range).
    static func svg(_ values: [Double?], width: Int = 160, height: Int = 32, stroke: String = "#2563eb",
                    floor: Double? = nil, ceiling: Double? = nil, label: String) -> String {
        let present = values.compactMap { $0 }
        guard !present.isEmpty else {
            return "<svg class=\"spark\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(label): no data\"><text x=\"4\" y=\"\(height / 2 + 4)\" font-size=\"10\" fill=\"#999\">no data</text></svg>"
        }
        let lo = floor ?? (present.min() ?? 0)
        var hi = ceiling ?? (present.max() ?? 1)
        if hi <= lo { hi = lo + 1 }
        let step = values.count > 1 ? Double(width - 4) / Double(values.count - 1) : 0
        var paths: [String] = []
        var current: [String] = []
        var dots = ""
        for (i, v) in values.enumerated() {
            guard let v else {
                if !current.isEmpty { paths.append(current.joined(separator: " ")); current = [] }
                continue
            }
            let x = 2 + Double(i) * step
            let y = 2 + (1 - (v - lo) / (hi - lo)) * Double(height - 4)
            current.append(String(format: "%.1f,%.1f", x, y))
            if i == values.count - 1 || values[i + 1] == nil {
                dots += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"1.8\" fill=\"%@\"/>", x, y, stroke)
            }
        }
        if !current.isEmpty { paths.append(current.joined(separator: " ")) }
        let lines = paths.map { "<polyline fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.5\" points=\"\($0)\"/>" }.joined()
        return "<svg class=\"spark\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(label)\">\(lines)\(dots)</svg>"
    }
}
