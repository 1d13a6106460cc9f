import ArgumentParser
import Foundation
import Probes

/// `kalm run`'s flags for a part of a distributed run (docs/configuration.md, "Distributed
/// runs"): which part (k6's execution segments, or a part count for an Indexed Job), when
/// to start, and whether the part judges itself.
struct DistributedOptions: ParsableArguments {
    @Option(name: .customLong("execution-segment"),
            help: ArgumentHelp("Run this part of the load (k6's): A:B, or B for 0:B, e.g. 1/4:2/4.", valueName: "segment"))
    var segment: String?

    @Option(name: .customLong("execution-segment-sequence"),
            help: ArgumentHelp("The whole run's parts (k6's): 0,A,B,...,1, e.g. 0,1/4,2/4,3/4,1.", valueName: "sequence"))
    var sequence: String?

    @Option(name: .customLong("execution-parts"),
            help: ArgumentHelp("Split the run into N equal parts and run one (--execution-part, or $JOB_COMPLETION_INDEX).", valueName: "N"))
    var parts: Int?

    @Option(name: .customLong("execution-part"),
            help: ArgumentHelp("With --execution-parts: which part, from 0 (default: $JOB_COMPLETION_INDEX, as a Kubernetes Indexed Job sets).", valueName: "I"))
    var part: Int?

    @Option(name: .customLong("start-at"),
            help: ArgumentHelp("Start the executor at this instant (RFC 3339, e.g. 2026-12-01T10:00:00Z), so parts started apart begin together.", valueName: "time"))
    var startAt: String?

    @Flag(name: .customLong("allow-late-start"), help: "With --start-at: start at once if the instant has passed (else it is an error).")
    var allowLateStart = false

    @Flag(name: .customLong("no-thresholds"), help: "Exit 0 whatever the thresholds (a part of a distributed run; kalm merge judges the whole).")
    var noThresholds = false

    /// The segment to run; `.whole` without these flags.
    func executionSegment(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ExecutionSegment {
        if let parts {
            guard segment == nil, sequence == nil else {
                throw UsageError(.conflictingFlags, "--execution-parts names the part itself: drop --execution-segment and --execution-segment-sequence, or use those alone")
            }
            guard (1...10_000).contains(parts) else { throw UsageError(.invalidValue, "--execution-parts must be between 1 and 10000, got \(parts)") }
            let index: Int
            if let part {
                index = part
            } else if let env = environment["JOB_COMPLETION_INDEX"] {
                guard let i = Int(env) else {
                    throw UsageError(.invalidValue, "JOB_COMPLETION_INDEX is \"\(env)\", not a number; pass --execution-part I")
                }
                index = i
            } else {
                throw UsageError(.invalidValue, "--execution-parts \(parts) needs the part: pass --execution-part I (0 to \(parts - 1)) or set JOB_COMPLETION_INDEX (a Kubernetes Indexed Job sets it)")
            }
            guard (0..<parts).contains(index) else {
                throw UsageError(.invalidValue, "part \(index) is not one of --execution-parts \(parts) (0 to \(parts - 1))")
            }
            let seq = (0...parts).map { Fraction($0, parts) }
            return try ExecutionSegment(from: seq[index], to: seq[index + 1], sequence: seq)
        }
        if part != nil { throw UsageError(.conflictingFlags, "--execution-part needs --execution-parts N") }
        guard let text = segment else {
            if sequence != nil { throw UsageError(.conflictingFlags, "--execution-segment-sequence needs --execution-segment A:B (this part)") }
            return .whole
        }
        let bounds = text.split(separator: ":", omittingEmptySubsequences: false)
        guard bounds.count <= 2, let last = bounds.last, let to = Fraction(parsing: last),
              let from = bounds.count == 2 ? Fraction(parsing: bounds[0]) : .zero else {
            throw UsageError(.invalidValue, "--execution-segment \"\(text)\": write A:B with fractions, decimals or percentages between 0 and 1, e.g. 1/4:2/4, 0.25:0.5 or 25%:50%")
        }
        var seq: [Fraction]?
        if let s = sequence {
            var values: [Fraction] = []
            for item in s.split(separator: ",", omittingEmptySubsequences: false) {
                guard let f = Fraction(parsing: item) else {
                    throw UsageError(.invalidValue, "--execution-segment-sequence \"\(s)\": \"\(item)\" is not a fraction between 0 and 1; write e.g. 0,1/4,2/4,3/4,1")
                }
                values.append(f)
            }
            seq = values
        }
        do {
            return try ExecutionSegment(from: from, to: to, sequence: seq)
        } catch let e as SegmentError {
            throw UsageError(.invalidValue, "--execution-segment \(text): \(e.description)")
        }
    }

    /// Unix seconds at which the executor starts; nil: at once. Throws for a bad time, or
    /// one already past without `--allow-late-start`.
    func startInstant(now: Double = Date().timeIntervalSince1970) throws -> Double? {
        guard let text = startAt else {
            if allowLateStart { throw UsageError(.conflictingFlags, "--allow-late-start needs --start-at TIME") }
            return nil
        }
        guard let t = Self.parseRFC3339(text) else {
            throw UsageError(.invalidValue, "--start-at \"\(text)\": write an RFC 3339 time with its offset, e.g. 2026-12-01T10:00:00Z or 2026-12-01T11:00:00.5+01:00")
        }
        if t < now, !allowLateStart {
            throw UsageError(.invalidValue, "--start-at \(text) is \(String(format: "%.1f", now - t)) s in the past; pick a later time, or pass --allow-late-start to start at once")
        }
        return t
    }

    /// RFC 3339 (`2026-12-01T10:00:00Z`, fractional seconds and `+hh:mm` allowed).
    static func parseRFC3339(_ s: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d.timeIntervalSince1970 }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)?.timeIntervalSince1970
    }
}
