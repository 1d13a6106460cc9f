import Exporter
import Foundation
import Measurements
import Probes

/// `--out csv=FILE` and `--out json=FILE` (docs/configuration.md, "Raw results"): one row per
/// request, streamed. Engine threads hand results to a bounded queue; a writer thread formats
/// and writes them (each batch one gzip member when the name ends in `.gz`, which gunzip and
/// every gzip reader read as one stream). A full queue makes the engine wait rather than
/// lose a row, so memory stays flat however long the run.
final class RequestOutput: ResultSink, @unchecked Sendable {
    // Unchecked: `pending` is guarded by `condition`; the rest is written once in init or
    // only by the writer thread.
    enum Format: String { case csv, json }

    /// The columns, in order (the CSV header; the JSON keys).
    static let columns = ["timestamp", "scenario", "probe", "step", "url", "status", "failure", "duration_ms", "blocked_ms",
                          "connecting_ms", "tls_handshaking_ms", "sending_ms", "waiting_ms", "receiving_ms", "bytes_sent",
                          "bytes_received", "checks_passed", "checks_failed", "iteration_end", "trace_id"]
    static let capacity = 16_384

    private let next: ResultSink
    private let outputs: [(format: Format, path: String, handle: FileHandle, gzip: GzipCompressor?)]
    private let scenario: String
    private let probes: [(name: String, steps: [(name: String, url: String)])]
    /// Unix seconds at monotonic 0, to stamp rows from `finishedAt`.
    private let unixAtMonotonicZero: Double
    private let condition = NSCondition()
    private var pending: [RequestResult] = []
    private var finished = false
    private var writer: Thread?
    private var failure: String?

    /// Opens every `--out` file (throws `UsageError` naming one that cannot be written) and
    /// starts the writer.
    init(specs: [(Format, String)], scenario: ScenarioSpec, forwardingTo next: ResultSink) throws {
        self.next = next
        self.scenario = scenario.name
        probes = scenario.probes.map { p in (p.name, p.steps.map { ($0.name, Self.redacted($0.request.url)) }) }
        unixAtMonotonicZero = MonotonicClock.wallSeconds() - Double(MonotonicClock.now()) / 1e9
        outputs = try specs.map { format, path in
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw UsageError(.unwritableFile, "--out \(format.rawValue)=\(path): cannot create the file (does the directory exist and is it writable?)")
            }
            return (format, path, h, path.hasSuffix(".gz") ? GzipCompressor(level: 1) : nil)
        }
        pending.reserveCapacity(Self.capacity)
        for o in outputs where o.format == .csv { try write(Array((Self.columns.joined(separator: ",") + "\n").utf8), to: o) }
        let t = Thread { [unowned self] in self.drain() }
        t.name = "kalm-out"
        writer = t
        t.start()
    }

    // MARK: ResultSink

    func record(_ result: RequestResult) {
        condition.lock()
        while pending.count >= Self.capacity && !finished { condition.wait() }
        pending.append(result)
        if pending.count == 1024 { condition.broadcast() }
        condition.unlock()
        next.record(result)
    }

    func recordIteration(probe: Int, duration: Duration) { next.recordIteration(probe: probe, duration: duration) }
    func recordDroppedIteration(probe: Int) { next.recordDroppedIteration(probe: probe) }
    func recordStartLag(probe: Int, lag: Duration) { next.recordStartLag(probe: probe, lag: lag) }
    func recordCertificateExpiry(probe: Int, unixSeconds: Double) { next.recordCertificateExpiry(probe: probe, unixSeconds: unixSeconds) }
    func recordTokenFetch(probe: Int, failure: FailureReason?, duration: Duration) {
        next.recordTokenFetch(probe: probe, failure: failure, duration: duration)
    }

    /// Writes what is queued, closes the files; throws the first write error.
    func finish() throws {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
        while writer?.isFinished == false { Thread.sleep(forTimeInterval: 0.005) }
        for o in outputs { try? o.handle.close() }
        if let failure { throw UsageError(.unwritableFile, failure) }
    }

    // MARK: The writer thread

    private func drain() {
        var batch: [RequestResult] = []
        batch.reserveCapacity(Self.capacity)
        var text: [UInt8] = []
        while true {
            condition.lock()
            while pending.count < 1024 && !finished { _ = condition.wait(until: Date().addingTimeInterval(0.1)) ; if pending.count > 0 { break } }
            swap(&batch, &pending)
            let done = finished && batch.isEmpty
            condition.broadcast()
            condition.unlock()
            if done { return }
            for o in outputs {
                text.removeAll(keepingCapacity: true)
                for r in batch { append(r, format: o.format, to: &text) }
                do { try write(text, to: o) } catch { failure = failure ?? "--out \(o.format.rawValue)=\(o.path): \(error)" }
            }
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func write(_ bytes: [UInt8], to o: (format: Format, path: String, handle: FileHandle, gzip: GzipCompressor?)) throws {
        guard !bytes.isEmpty else { return }
        if let gz = o.gzip {
            try o.handle.write(contentsOf: gz.compress(bytes))
        } else {
            try o.handle.write(contentsOf: bytes)
        }
    }

    private func append(_ r: RequestResult, format: Format, to out: inout [UInt8]) {
        let probe = r.probe < probes.count ? probes[r.probe] : (name: "?", steps: [])
        let step = r.step < probe.steps.count ? probe.steps[r.step] : (name: "", url: "")
        let ms: (Int64) -> String = { String(format: "%.3f", Double($0) / 1000) }
        let stamp = String(format: "%.6f", unixAtMonotonicZero + Double(r.finishedAt) / 1e9)
        let passed = (0..<r.checkCount).filter { r.checkPassed($0) }.count
        let values: [String] = [
            stamp, scenario, probe.name, step.name, step.url, String(r.status), r.failure.map { "\($0)" } ?? "",
            ms(r.duration), ms(r.blocked), ms(r.connect), ms(r.tls), ms(r.send), ms(r.wait), ms(r.receive),
            String(r.bytesSent), String(r.bytesReceived), String(passed), String(r.checkCount - passed),
            r.endsIteration ? "true" : "false", r.trace.isSet ? r.trace.hex : "",
        ]
        switch format {
        case .csv:
            out += Array(values.map(Self.csvField).joined(separator: ",").utf8)
        case .json:
            var fields: [String] = []
            for (k, v) in zip(Self.columns, values) {
                let numeric = k == "timestamp" || k == "status" || k.hasSuffix("_ms") || k.hasPrefix("bytes_") || k.hasPrefix("checks_")
                let literal = numeric ? v : (k == "iteration_end" ? v : Self.jsonString(v))
                fields.append("\"\(k)\":\(literal)")
            }
            out += Array(("{" + fields.joined(separator: ",") + "}").utf8)
        }
        out.append(0x0A)
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// The URL as written in the config, with what may be secret taken out: userinfo, and
    /// every query value (an API key in the query is common); run-time values stay `{{ name }}`.
    static func redacted(_ url: String) -> String {
        var u = url
        if let scheme = u.range(of: "://") {
            let rest = u[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                u = String(u[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
            }
        }
        if let q = u.firstIndex(of: "?") {
            let fragment = u[q...].firstIndex(of: "#")
            let query = u[u.index(after: q)..<(fragment ?? u.endIndex)]
            let redactedQuery = query.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
                guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
                let value = pair[pair.index(after: eq)...]
                return value.hasPrefix("{{") && value.hasSuffix("}}") ? String(pair) : String(pair[...eq]) + "REDACTED"
            }.joined(separator: "&")
            u = String(u[...q]) + redactedQuery
        }
        return u
    }
}
