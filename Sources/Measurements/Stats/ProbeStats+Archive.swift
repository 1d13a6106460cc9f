import Probes

// What `--summary-export` keeps of a probe's stats so `kalm merge` can add parts exactly
// (docs/configuration.md, "Distributed runs"): every counter and every trend's histogram.
// The Prometheus histograms and exemplars are the agent's, not the summary's: not kept.

extension ProbeStats {
    /// The summary's counters and trends as JSON-ready values.
    public var archive: [String: Any] {
        [
            "requests_by_code": requestsByCode.byCode.flatMap { [UInt64($0.code), $0.count] },
            "failures_by_reason": Dictionary(uniqueKeysWithValues: FailureReason.allCases.compactMap { r -> (String, UInt64)? in
                let n = failuresByReason[Int(r.rawValue)]
                return n > 0 ? (r.description, n) : nil
            }),
            "iterations_succeeded": iterationsSucceeded, "iterations_failed": iterationsFailed,
            "iterations_ended": iterationsEnded, "dropped_iterations": droppedIterations,
            "check_passes": checkPasses, "check_fails": checkFails,
            "bytes_sent": bytesSent, "bytes_received": bytesReceived,
            "trends": Dictionary(uniqueKeysWithValues: Trend.allCases.map { ($0.metricName, trends[$0.rawValue].archive) }),
            "status_trends": statusDurations.map { ["status": $0.status, "trend": $0.trend.archive] as [String: Any] },
        ]
    }

    /// Stats shaped by `layout` filled from `archive`; nil (with the reason) when it does not fit.
    public init(archive a: [String: Any], checkCount: Int, layout: StatsLayout) throws(ArchiveError) {
        self.init(checkCount: checkCount, layout: layout)
        func count(_ key: String) throws(ArchiveError) -> UInt64 {
            guard let v = ArchiveValue.uint64(a[key]) else { throw ArchiveError("\(key) is missing or not a count") }
            return v
        }
        guard let codes = a["requests_by_code"] as? [Any], codes.count % 2 == 0 else { throw ArchiveError("requests_by_code is not a list of code, count pairs") }
        for k in stride(from: 0, to: codes.count, by: 2) {
            guard let code = ArchiveValue.int(codes[k]), let n = ArchiveValue.uint64(codes[k + 1]) else { throw ArchiveError("requests_by_code has a bad pair") }
            requestsByCode.add(code, times: n)
        }
        for (name, v) in a["failures_by_reason"] as? [String: Any] ?? [:] {
            guard let r = FailureReason.allCases.first(where: { $0.description == name }), let n = ArchiveValue.uint64(v) else {
                throw ArchiveError("failures_by_reason has an unknown reason \"\(name)\"")
            }
            failuresByReason[Int(r.rawValue)] = n
        }
        iterationsSucceeded = try count("iterations_succeeded")
        iterationsFailed = try count("iterations_failed")
        iterationsEnded = try count("iterations_ended")
        droppedIterations = try count("dropped_iterations")
        bytesSent = try count("bytes_sent")
        bytesReceived = try count("bytes_received")
        let passes = (a["check_passes"] as? [Any] ?? []).compactMap(ArchiveValue.uint64)
        let fails = (a["check_fails"] as? [Any] ?? []).compactMap(ArchiveValue.uint64)
        guard passes.count == checkCount, fails.count == checkCount else {
            throw ArchiveError("the part has \(passes.count) checks, the scenario \(checkCount)")
        }
        checkPasses = passes
        checkFails = fails
        let trendArchives = a["trends"] as? [String: Any] ?? [:]
        for t in Trend.allCases {
            guard let ta = trendArchives[t.metricName] as? [String: Any], let h = LogLinearHistogram(archive: ta), h.bits == layout.trendBits else {
                throw ArchiveError("trend \(t.metricName) is missing or malformed")
            }
            trends[t.rawValue] = h
        }
        for (i, s) in (a["status_trends"] as? [[String: Any]] ?? []).enumerated() {
            guard i < statusDurations.count, ArchiveValue.int(s["status"]) == statusDurations[i].status,
                  let ta = s["trend"] as? [String: Any], let h = LogLinearHistogram(archive: ta) else {
                throw ArchiveError("status_trends do not match the thresholds' statuses")
            }
            statusDurations[i].trend = h
        }
    }
}

/// An archive that does not make the stats it should.
public struct ArchiveError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
