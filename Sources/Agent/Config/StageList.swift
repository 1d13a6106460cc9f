import Foundation
import Measurements
import Probes

/// The command-line form of ramping stages: `30s:10,1m:50,30s:0` (duration:target pairs).
enum StageList {
    /// Parses `30s:10,1m:50` into stages.
    /// - Throws: `ValueError` naming the offending element and the expected form.
    static func parse(_ text: String) throws -> [Stage] {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ValueError("no stages; write e.g. 30s:10,1m:50,30s:0") }
        var stages: [Stage] = []
        for (i, raw) in trimmed.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let item = raw.trimmingCharacters(in: .whitespaces)
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw ValueError("stage \(i + 1) \"\(item)\" is not DURATION:TARGET; write e.g. 30s:10,1m:50,30s:0")
            }
            let duration: Double
            do {
                duration = try GoDuration.parse(String(parts[0]))
            } catch let e as ValueError {
                throw ValueError("stage \(i + 1) \"\(item)\": bad duration (\(e.reason))")
            }
            guard duration >= 0 else { throw ValueError("stage \(i + 1) \"\(item)\": duration must not be negative") }
            guard let target = Double(parts[1].trimmingCharacters(in: .whitespaces)), target >= 0, target.isFinite else {
                throw ValueError("stage \(i + 1) \"\(item)\": target must be a number >= 0")
            }
            stages.append(Stage(duration: duration, target: target))
        }
        return stages
    }

    /// Formats stages back into the command-line form.
    static func format(_ stages: [Stage]) -> String {
        stages.map { s in
            let t = s.target == s.target.rounded() ? String(Int64(s.target)) : String(s.target)
            return "\(GoDuration.format(seconds: s.duration)):\(t)"
        }.joined(separator: ",")
    }
}
