import Foundation
import KalmTestSupport
import TestServer
import Testing

/// A probe's `trace:` end to end: the target receives a W3C traceparent with a fresh id per
/// request (and the configured tracestate), the ids come back as `trace_id` exemplars in
/// OpenMetrics (accepted by prometheus_client's strict parser) and protobuf, never in text
/// 0.0.4 (promtool stays silent), and the status page links the slowest through `agent.trace_url`.
@Suite("Trace context and exemplars", .serialized, .timeLimit(.minutes(2)),
       .enabled(if: ExpositionDecoder.available && FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"),
                "needs protoc, Python's protobuf and prometheus_client, and promtool (scripts/test installs them)"))
final class TraceExemplarTests {
    static let traceState = "kalm=t1,rojo=00f067aa0ba902b7"
    let server: FaultServer
    let agent: AgentProcess

    init() throws {
        server = try FaultServer.start(threads: 1)
        agent = try AgentProcess(yaml: """
            agent:
              trace_url: "http://tempo.example:3200/trace/{{ trace_id }}?x=<&y>"
            probes:
              - name: traced
                trace: {tracestate: "\(Self.traceState)"}
                request: {url: "${BASE}/latency?mean_ms=3&sigma=0.8&tag=traced"}
              - name: templated
                trace: true
                request:
                  url: "${BASE}/latency?mean_ms=2&sigma=0.1&tag=templated"
                  headers: {X-Run: "{{ uuid }}"}
              - name: plain
                request: {url: "${BASE}/latency?mean_ms=1&sigma=0.1&tag=plain"}
            scenarios:
              steady: {vus: 2, continuous: true, think_time: 20ms}
            """, args: ["-e", "BASE=\(server.baseURL)", "--threads", "1"])
    }

    deinit {
        agent.child.forceStop()
        server.shutdown()
    }

    /// Waits until every probe has answered requests; the target's log then.
    func warm() throws -> [LatencyLogEntry] {
        let ok = try poll(timeout: 20, interval: 0.1) {
            let log = server.latencyLog
            return ["traced", "templated", "plain"].allSatisfy { tag in log.filter { $0.tag == tag }.count >= 40 }
        }
        #expect(ok, "the probes did not run: \(agent.output)")
        return server.latencyLog
    }

    static func traceID(_ traceparent: String) -> String? {
        let parts = traceparent.split(separator: "-")
        return parts.count == 4 ? String(parts[1]) : nil
    }

    @Test func targetsReceiveFreshW3CTraceparents() throws {
        let log = try warm()
        let pattern = #"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$"#
        for tag in ["traced", "templated"] {
            let headers = log.filter { $0.tag == tag }.compactMap(\.traceparent)
            #expect(headers.count == log.filter { $0.tag == tag }.count, "\(tag): every request carries a traceparent")
            #expect(headers.allSatisfy { $0.range(of: pattern, options: .regularExpression) != nil }, "\(headers.prefix(3))")
            let ids = headers.compactMap(Self.traceID)
            #expect(Set(ids).count == ids.count, "\(tag): a fresh trace id per request")
            #expect(!ids.contains(String(repeating: "0", count: 32)))
        }
        #expect(log.filter { $0.tag == "traced" }.allSatisfy { $0.tracestate == Self.traceState })
        #expect(log.filter { $0.tag == "templated" }.allSatisfy { $0.tracestate == nil })
        #expect(log.filter { $0.tag == "plain" }.allSatisfy { $0.traceparent == nil && $0.tracestate == nil })
    }

    @Test func openMetricsExemplarsAreReceivedTraces() throws {
        _ = try warm()
        let reply = Curl.request(agent.url("/metrics"), headers: ["Accept: application/openmetrics-text; version=1.0.0"])
        #expect(reply.status == 200)
        // Read after the scrape: the target logs a request before kalm sees its answer.
        let received = Set(server.latencyLog.compactMap { $0.traceparent.flatMap(Self.traceID) })
        let families = try ExpositionDecoder.decode(reply.body, format: "openmetrics")
        let duration = try #require(families.first { $0["name"] as? String == "kalm_http_request_duration_seconds" })
        var exemplars: [String: [[String: Any]]] = [:]
        for s in duration["samples"] as? [[String: Any]] ?? [] {
            guard let e = s["exemplar"] as? [String: Any], let probe = (s["labels"] as? [String: String])?["probe"] else { continue }
            exemplars[probe, default: []].append(e)
            // The exemplar sits in the bucket its value falls into.
            let le = (s["labels"] as? [String: String])?["le"].flatMap { $0 == "+Inf" ? .infinity : Double($0) } ?? 0
            #expect((e["value"] as? Double ?? .infinity) <= le)
            #expect(abs((e["timestamp"] as? Double ?? 0) - Date().timeIntervalSince1970) < 60)
        }
        #expect(Set(exemplars.keys) == ["traced", "templated"], "exemplars only for traced probes: \(exemplars.keys)")
        let ids = exemplars.values.flatMap { $0 }.compactMap { ($0["labels"] as? [String: String])?["trace_id"] }
        #expect(!ids.isEmpty && ids.allSatisfy { received.contains($0) }, "\(ids) not all received")
        // Exemplars only on the request-duration histogram.
        let others = families.filter { $0["name"] as? String != "kalm_http_request_duration_seconds" }
            .flatMap { $0["samples"] as? [[String: Any]] ?? [] }.filter { $0["exemplar"] != nil }
        #expect(others.isEmpty)
    }

    @Test func textHasNoExemplarsAndPassesPromtool() throws {
        _ = try warm()
        let reply = Curl.request(agent.url("/metrics"))
        #expect(!reply.text.contains(" # {"))
        let r = try runTool("/usr/bin/promtool", ["check", "metrics"], stdin: reply.body)
        #expect(r.status == 0 && r.stdout.isEmpty && r.stderr.isEmpty, "promtool says:\n\(r.stdout)\(r.stderr)")
    }

    @Test func protobufHasEveryTextFamilyAndSeries() throws {
        _ = try warm()
        let text = try agent.scrape()
        let reply = Curl.request(agent.url("/metrics"), headers: [
            "Accept: application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
        ])
        #expect(reply.headers["content-type"] == "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited")
        let decoded = try ExpositionDecoder.decode(reply.body)
        #expect(Set(decoded.compactMap { $0["name"] as? String }) == Set(text.types.keys))
        // Series identities: text's (name without suffix, labels without le/quantile) per family.
        var textSeries = Set<String>()
        for s in text.samples {
            var name = s.name
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && text.types[name] == nil {
                name = String(name.dropLast(suffix.count))
            }
            let labels = s.labels.filter { $0.key != "le" && $0.key != "quantile" }.sorted { $0.key < $1.key }
            textSeries.insert(name + "{" + labels.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}")
        }
        var pbSeries = Set<String>()
        for f in decoded {
            for m in f["metric"] as? [[String: Any]] ?? [] {
                let labels = (m["label"] as? [[String: Any]] ?? []).map { ($0["name"] as? String ?? "", $0["value"] as? String ?? "") }
                    .sorted { $0.0 < $1.0 }
                pbSeries.insert((f["name"] as? String ?? "") + "{" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}")
            }
        }
        #expect(pbSeries == textSeries, "only in text: \(textSeries.subtracting(pbSeries).sorted().prefix(5)); only in protobuf: \(pbSeries.subtracting(textSeries).sorted().prefix(5))")
        // Every request-duration series is native, the untraced one included.
        let duration = try #require(decoded.first { $0["name"] as? String == "kalm_http_request_duration_seconds" })
        for m in duration["metric"] as? [[String: Any]] ?? [] {
            let h = m["histogram"] as? [String: Any] ?? [:]
            #expect(h["schema"] as? Int == 4 && (h["zero_threshold"] as? Double ?? 0) > 0)
        }
    }

    @Test func statusPageLinksTheSlowestTraces() throws {
        _ = try warm()
        let page = Curl.request(agent.url("/")).text
        let received = Set(server.latencyLog.compactMap { $0.traceparent.flatMap(Self.traceID) })
        let links = page.components(separatedBy: "href=\"http://tempo.example:3200/trace/").dropFirst()
            .map { String($0.prefix(32)) }
        #expect(!links.isEmpty, "no trace links on the status page")
        #expect(links.allSatisfy { received.contains($0) })
        #expect(page.contains("?x=&lt;&amp;y&gt;"), "the template's own characters are escaped")
        #expect(page.contains("slowest traced requests"))
    }
}
