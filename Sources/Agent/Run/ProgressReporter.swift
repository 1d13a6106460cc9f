import Exporter
import Foundation
import KalmSupport
import Measurements

/// `kalm run`'s live progress: one line rewritten in place on a terminal, plain lines
/// every `plainInterval` seconds otherwise (CI logs).
final class ProgressReporter {
    let total: Double
    let isTTY: Bool
    let plainInterval: Double
    private var lastPlain = 0.0
    private var lastRequests: UInt64 = 0
    private var lastElapsed = 0.0

    init(totalSeconds: Double, isTTY: Bool = isatty(1) == 1, plainInterval: Double = 10) {
        total = totalSeconds
        self.isTTY = isTTY
        self.plainInterval = plainInterval
    }

    /// Called once a second with the run so far and the last-10-seconds window.
    func tick(elapsed: Double, stats: [ProbeStats], recent: [WindowSnapshot], vus: Int) {
        let requests = stats.reduce(0) { $0 + $1.requests }
        let failed = stats.reduce(0) { $0 + $1.failedRequests }
        let dt = max(1e-3, elapsed - lastElapsed)
        let rps = Double(requests - lastRequests) / dt
        lastRequests = requests
        lastElapsed = elapsed
        var latency = LogLinearHistogram(bits: 7)
        for w in recent { latency.merge(w.data.latency) }
        let p95 = latency.quantile(0.95).map { K6Format.duration(ms: $0 / 1000) } ?? "-"
        let errors = requests == 0 ? 0 : Double(failed) / Double(requests)
        let line = "running (\(Self.clock(elapsed))/\(total.isFinite ? Self.clock(total) : "∞")), \(vus) VUs, "
            + String(format: "%.1f req/s", rps) + ", p95 \(p95), errors \(SummaryFormat.percent(errors)), \(requests) requests"
        if isTTY {
            FileHandle.standardOutput.write("\r\u{1B}[2K\(line)".data(using: .utf8)!)
        } else if elapsed - lastPlain >= plainInterval {
            lastPlain = elapsed
            print(line)
        }
    }

    /// Ends the live line so the summary starts on a clean one.
    func finish() {
        if isTTY { FileHandle.standardOutput.write("\r\u{1B}[2K".data(using: .utf8)!) }
    }

    static func clock(_ s: Double) -> String {
        let m = Int(s) / 60
        return String(format: "%dm%04.1fs", m, s - Double(m * 60))
    }
}
