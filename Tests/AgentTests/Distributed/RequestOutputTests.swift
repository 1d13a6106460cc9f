import Foundation
import KalmTestSupport
import TestServer
import Testing

/// `--out csv=FILE` and `--out json=FILE`: a header and exactly one row per request (the
/// summary's count), gzip when the name ends in `.gz`, and no secret or captured value in it.
@Suite("Raw results: --out csv and json", .timeLimit(.minutes(2)))
final class RequestOutputTests {
    let server: FaultServer
    let dir: URL

    init() throws {
        server = try FaultServer.start(threads: 1)
        dir = try tempDirectory()
    }

    deinit {
        server.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func oneRowPerRequestAndNothingSecret() throws {
        let base = server.baseURL.replacingOccurrences(of: "http://", with: "http://scott:tiger-secret@")
        let config = dir.appendingPathComponent("kalm.yml").path
        try """
            probes:
              - name: flow
                steps:
                  - name: create
                    request: {method: POST, url: "\(base)/valuations?api_key=${KEY}&mode=fast", body: "{}"}
                    capture: {id: {json_path: $.id}}
                  - name: read
                    request: {url: "\(server.baseURL)/latency?mean_ms=1&sigma=0.1&item={{ id }}"}
            scenarios:
              s: {executor: constant-vus, vus: 2, duration: 2s}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let csv = dir.appendingPathComponent("rows.csv").path, json = dir.appendingPathComponent("rows.json.gz").path
        let summary = dir.appendingPathComponent("summary.json").path
        let r = try KalmProcess.run(["run", "-c", config, "-e", "KEY=sk_live_topsecret", "--out", "csv=\(csv)", "--out", "json=\(json)",
                                     "--summary-export", summary, "--threads", "1"], timeout: 60)
        #expect(r.status == 0, "\(r.output)")
        let export = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any])
        let count = Int(((export["metrics"] as? [String: Any])?["http_reqs"] as? [String: Any])?["count"] as? Double ?? -1)
        #expect(count > 20)

        let text = try String(contentsOfFile: csv, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first.map(String.init) == RequestOutputColumns.all.joined(separator: ","))
        #expect(lines.count - 1 == count, "\(lines.count - 1) rows for \(count) requests")
        let unzipped = try runTool("/usr/bin/gzip", ["-dc", json])
        #expect(unzipped.status == 0)
        let objects = unzipped.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == count)
        #expect(Set(objects.compactMap { $0["step"] as? String }) == ["create", "read"])
        #expect(objects.allSatisfy { ($0["status"] as? Int) == 200 || ($0["status"] as? Int) == 201 })
        // Secrets and captured values never appear; the places they were are marked.
        for body in [text, unzipped.stdout] {
            #expect(!body.contains("tiger-secret") && !body.contains("scott") && !body.contains("sk_live_topsecret"))
            #expect(body.contains("api_key=REDACTED&mode=REDACTED"))
            #expect(body.contains("item={{ id }}"))
        }
        // Timestamps are this run's.
        let stamps = objects.compactMap { $0["timestamp"] as? Double }
        #expect(stamps.allSatisfy { abs($0 - Date().timeIntervalSince1970) < 60 })
    }

    @Test func anUnknownOutputIsA104() throws {
        let r = try KalmProcess.run(["run", "--out", "influxdb=http://x", "--duration", "1s", "-c", "/dev/null"], timeout: 20)
        #expect(r.status == 104)
        #expect(r.stderr.contains("write csv=FILE or json=FILE"))
    }
}
