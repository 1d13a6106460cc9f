import Exporter
import Foundation
import KalmSupport
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
    /// Per probe and step, the row's fixed middle: `scenario,probe,step,url,` (CSV) and
    /// `"scenario":…,"status":` (JSON), made once.
    private let prefixes: [[(csv: [UInt8], json: [UInt8])]]
    private let failureCSV: [[UInt8]]
    private let failureJSON: [[UInt8]]
    /// Unix microseconds at monotonic 0, to stamp rows from `finishedAt`.
    private let unixMicrosAtMonotonicZero: Int64
    private let condition = NSCondition()
    private var pending: [RequestResult] = []
    private var finished = false
    private var writer: Thread?
    private var failure: String?
    /// Signalled by the writer thread once everything queued is written.
    private let drained = DispatchSemaphore(value: 0)

    /// Opens every `--out` file (throws `UsageError` naming one that cannot be written) and
    /// starts the writer.
    init(specs: [(Format, String)], scenario: ScenarioSpec, forwardingTo next: ResultSink) throws {
        self.next = next
        let name = scenario.name
        prefixes = scenario.probes.map { p in
            p.steps.map { step in
                let fields = [name, p.name, step.name, Self.redacted(step.request.url)]
                let csv = Array((fields.map(Self.csvField).joined(separator: ",") + ",").utf8)
                let json = Array(zip(["scenario", "probe", "step", "url"], fields).map { "\"\($0.0)\":\(JSONText.quoted($0.1))" }
                    .joined(separator: ",").utf8) + Array(",\"status\":".utf8)
                return (csv, json)
            }
        }
        failureCSV = FailureReason.allCases.map { Array(Self.csvField($0.description).utf8) }
        failureJSON = FailureReason.allCases.map { Array(JSONText.quoted($0.description).utf8) }
        unixMicrosAtMonotonicZero = Int64((MonotonicClock.wallSeconds() * 1e6).rounded()) - Int64(MonotonicClock.now() / 1000)
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
        drained.wait()
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
            // Write when 1024 rows are queued, or at least every 100 ms.
            if pending.count < 1024 && !finished { _ = condition.wait(until: Date().addingTimeInterval(0.1)) }
            swap(&batch, &pending)
            let done = finished && batch.isEmpty
            condition.broadcast()
            condition.unlock()
            if done {
                drained.signal()
                return
            }
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

    /// One row, written byte by byte (a `String(format:)` per field cost as much as the request).
    private func append(_ r: RequestResult, format: Format, to out: inout [UInt8]) {
        let json = format == .json
        let probe = r.probe < prefixes.count ? prefixes[r.probe] : []
        let prefix = r.step < probe.count ? probe[r.step] : (csv: [], json: [])
        if json { out += Self.jsonOpen }
        // timestamp
        Self.fixed(unixMicrosAtMonotonicZero + Int64(r.finishedAt / 1000), decimals: 6, to: &out)
        out.append(0x2C)
        out += json ? prefix.json : prefix.csv  // scenario, probe, step, url, and the next key
        Self.integer(Int64(r.status), to: &out)
        Self.separator(0, json: json, to: &out)
        if let f = r.failure {
            out += json ? failureJSON[Int(f.rawValue)] : failureCSV[Int(f.rawValue)]
        } else if json {
            out += [0x22, 0x22]
        }
        // The seven timings, one at a time: no array per row.
        func timing(_ key: Int, _ v: Int64) {
            Self.separator(key, json: json, to: &out)
            Self.fixed(v, decimals: 3, to: &out)
        }
        timing(1, r.duration); timing(2, r.blocked); timing(3, r.connect); timing(4, r.tls)
        timing(5, r.send); timing(6, r.wait); timing(7, r.receive)
        Self.separator(8, json: json, to: &out)
        Self.integer(r.bytesSent, to: &out)
        Self.separator(9, json: json, to: &out)
        Self.integer(r.bytesReceived, to: &out)
        let passed = (r.checksPassed & (r.checkCount >= 64 ? ~0 : (UInt64(1) << UInt64(r.checkCount)) - 1)).nonzeroBitCount
        Self.separator(10, json: json, to: &out)
        Self.integer(Int64(passed), to: &out)
        Self.separator(11, json: json, to: &out)
        Self.integer(Int64(r.checkCount - passed), to: &out)
        Self.separator(12, json: json, to: &out)
        out += r.endsIteration ? Self.trueBytes : Self.falseBytes
        Self.separator(13, json: json, to: &out)
        if json { out.append(0x22) }
        if r.trace.isSet { out += Array(r.trace.hex.utf8) }
        if json { out += [0x22, 0x7D] }
        out.append(0x0A)
    }

    static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8)

    /// Before a column after `status`: `,` in CSV, `,"key":` in JSON.
    @inline(__always)
    static func separator(_ key: Int, json: Bool, to out: inout [UInt8]) {
        if json { out += jsonKeys[key] } else { out.append(0x2C) }
    }

    /// `{"timestamp":`
    static let jsonOpen = Array("{\"timestamp\":".utf8)
    /// `,"key":` for the columns after `status`.
    static let jsonKeys: [[UInt8]] = ["failure", "duration_ms", "blocked_ms", "connecting_ms", "tls_handshaking_ms", "sending_ms",
                                      "waiting_ms", "receiving_ms", "bytes_sent", "bytes_received", "checks_passed", "checks_failed",
                                      "iteration_end", "trace_id"].map { Array(",\"\($0)\":".utf8) }

    /// A non-negative integer's digits.
    @inline(__always)
    static func integer(_ v: Int64, to out: inout [UInt8]) {
        var v = v
        if v < 0 { out.append(0x2D); v = -v }
        if v < 10 { out.append(0x30 + UInt8(v)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 { d[n] = 0x30 + UInt8(v % 10); v /= 10; n += 1 }
            for k in stride(from: n - 1, through: 0, by: -1) { out.append(d[k]) }
        }
    }

    /// `v` / 10^decimals with exactly `decimals` digits after the point (`1234` µs, 3: `1.234`).
    @inline(__always)
    static func fixed(_ v: Int64, decimals: Int, to out: inout [UInt8]) {
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let v = max(0, v)
        integer(v / scale, to: &out)
        out.append(0x2E)
        var frac = v % scale
        var div = scale / 10
        while div > 0 {
            out.append(0x30 + UInt8(frac / div))
            frac %= div
            div /= 10
        }
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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
