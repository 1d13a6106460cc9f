import Foundation
import KalmTestSupport
import TestServer
import Testing

/// `kalm agent`'s `/metrics` as Prometheus sees it: the real binary probing a real
/// server, scraped with the real curl and checked with the real promtool (docs/metrics.md).
@Suite("kalm agent /metrics", .serialized, .timeLimit(.minutes(2)))
final class AgentMetricsTests {
    let server: FaultServer
    let agent: AgentProcess
    let closedPort: Int
    let started = Date().timeIntervalSince1970

    static let reasons: Set<String> = ["dns", "connect", "tls", "timeout", "status", "body_limit", "other"]
    static let phases: Set<String> = ["dns", "connect", "tls", "send", "wait", "receive"]

    /// Four probes: `api` answers 200 and passes its checks, `unavailable` answers 503,
    /// `closed` points at a port nobody listens on, `pending` never finishes a request
    /// while the test runs (its windows stay empty).
    init() throws {
        server = try FaultServer.start()
        closedPort = try freeLoopbackPort()
        agent = try AgentProcess(yaml: """
            agent:
              labels: {region: it-1}
              windows: [1m, 5m]
            probes:
              - name: api
                labels: {team: pricing}
                request:
                  url: ${BASE}/json
                checks:
                  - {name: status is 200, status: [200]}
                  - {name: has id, json_path: $.id}
              - name: unavailable
                request:
                  url: ${BASE}/status?code=503
              - name: closed
                request:
                  url: http://127.0.0.1:\(closedPort)/
                  timeout: 2s
              - name: pending
                request:
                  url: ${BASE}/sleep?ms=60000
                  timeout: 90s
            thresholds:
              "http_req_duration{probe:api}": ["p(95)<2000"]
              "http_req_failed{probe:unavailable}": ["rate<0.5"]
            scenarios:
              smoke:
                vus: 2
                think_time: 100ms
                continuous: true
            """, args: ["-e", "BASE=\(server.baseURL)", "--threads", "1"])
    }

    deinit {
        agent.child.forceStop()
        server.shutdown()
    }

    /// Scrapes until every probe has finished a few iterations.
    func warmScrape() throws -> Exposition {
        let (m, ok) = try agent.scrape(until: 15) { m in
            m.sum("kalm_iterations_total", ["probe": "api"]) >= 4
                && m.sum("kalm_iterations_total", ["probe": "unavailable"]) >= 2
                && m.sum("kalm_iterations_total", ["probe": "closed"]) >= 2
        }
        #expect(ok, "probes did not run: \(agent.output)")
        return m
    }

    @Test func everyFamilyWithItsTypeAndLabels() throws {
        let m = try warmScrape()
        let api = ["probe": "api", "scenario": "smoke"]
        let down = ["probe": "unavailable", "scenario": "smoke"]
        let closed = ["probe": "closed", "scenario": "smoke"]
        let pending = ["probe": "pending", "scenario": "smoke"]

        // Every family has HELP and TYPE, with the catalogue's type.
        let expectedTypes = [
            "kalm_http_requests_total": "counter", "kalm_http_request_failures_total": "counter",
            "kalm_http_request_duration_seconds": "histogram", "kalm_http_request_phase_seconds": "histogram",
            "kalm_iterations_total": "counter", "kalm_checks_total": "counter",
            "kalm_data_sent_bytes_total": "counter", "kalm_data_received_bytes_total": "counter",
            "kalm_probe_success": "gauge", "kalm_probe_last_success_timestamp_seconds": "gauge",
            "kalm_window_latency_seconds": "summary", "kalm_window_availability_ratio": "gauge",
            "kalm_window_error_ratio": "gauge", "kalm_window_requests_per_second": "gauge",
            "kalm_build_info": "gauge", "kalm_config_last_reload_successful": "gauge",
            "kalm_config_last_reload_success_timestamp_seconds": "gauge",
            "process_resident_memory_bytes": "gauge", "process_cpu_seconds_total": "counter",
            "process_open_fds": "gauge", "process_max_fds": "gauge", "process_start_time_seconds": "gauge",
        ]
        for (family, type) in expectedTypes.sorted(by: { $0.key < $1.key }) {
            #expect(m.types[family] == type, "TYPE of \(family): \(m.types[family] ?? "missing")")
            #expect(m.helps.contains(family), "no HELP for \(family)")
        }
        for s in m.samples {
            let family = Self.family(of: s.name, types: m.types)
            #expect(m.types[family] != nil && m.helps.contains(family), "\(s.name) has no TYPE/HELP")
        }

        // kalm_http_requests_total: the status code, or 0 for a transport error.
        #expect((m.value("kalm_http_requests_total", api.merging(["code": "200"]) { $1 }) ?? 0) > 0)
        #expect((m.value("kalm_http_requests_total", down.merging(["code": "503"]) { $1 }) ?? 0) > 0)
        #expect((m.value("kalm_http_requests_total", closed.merging(["code": "0"]) { $1 }) ?? 0) > 0)
        #expect(m.labelValues("kalm_http_requests_total", "code", api) == ["200"])

        // Failures: all seven reasons on every probe; 503 → status, refused → connect.
        for probe in [api, down, closed, pending] {
            #expect(m.labelValues("kalm_http_request_failures_total", "reason", probe) == Self.reasons,
                    "reasons of \(probe["probe"]!)")
        }
        #expect(m.sum("kalm_http_request_failures_total", api) == 0)
        #expect((m.value("kalm_http_request_failures_total", down.merging(["reason": "status"]) { $1 }) ?? 0) > 0)
        #expect(m.sum("kalm_http_request_failures_total", down)
                == m.value("kalm_http_request_failures_total", down.merging(["reason": "status"]) { $1 }))
        #expect((m.value("kalm_http_request_failures_total", closed.merging(["reason": "connect"]) { $1 }) ?? 0) > 0)

        // Duration histogram: buckets with the SLO bounds, +Inf = _count; only expected responses.
        let les = m.labelValues("kalm_http_request_duration_seconds_bucket", "le", api)
        #expect(les.isSuperset(of: ["0.2", "0.5", "+Inf"]), "buckets: \(les.sorted())")
        let apiCount = m.value("kalm_http_request_duration_seconds_count", api) ?? -1
        #expect(apiCount > 0)
        #expect(m.value("kalm_http_request_duration_seconds_bucket", api.merging(["le": "+Inf"]) { $1 }) == apiCount)
        #expect((m.value("kalm_http_request_duration_seconds_sum", api) ?? 0) > 0)
        #expect(m.value("kalm_http_request_duration_seconds_count", down) == 0,
                "a 503 outside expected_status is not an answered request")
        let le02 = m.value("kalm_http_request_duration_seconds_bucket", api.merging(["le": "0.2"]) { $1 }) ?? -1
        let le05 = m.value("kalm_http_request_duration_seconds_bucket", api.merging(["le": "0.5"]) { $1 }) ?? -1
        #expect(le02 >= 0 && le02 <= le05 && le05 <= apiCount, "buckets are cumulative")

        // Phases: every phase has its histogram.
        #expect(m.labelValues("kalm_http_request_phase_seconds_bucket", "phase", api) == Self.phases)
        #expect(m.labelValues("kalm_http_request_phase_seconds_count", "phase", api) == Self.phases)
        #expect((m.value("kalm_http_request_phase_seconds_count", api.merging(["phase": "wait"]) { $1 }) ?? 0) > 0)

        // Iterations, checks, bytes.
        #expect((m.value("kalm_iterations_total", api.merging(["result": "success"]) { $1 }) ?? 0) > 0)
        #expect(m.value("kalm_iterations_total", api.merging(["result": "failure"]) { $1 }) == 0)
        #expect(m.value("kalm_iterations_total", down.merging(["result": "success"]) { $1 }) == 0)
        #expect((m.value("kalm_iterations_total", down.merging(["result": "failure"]) { $1 }) ?? 0) > 0)
        for check in ["status is 200", "has id"] {
            #expect((m.value("kalm_checks_total", api.merging(["check": check, "result": "pass"]) { $1 }) ?? 0) > 0)
            #expect(m.value("kalm_checks_total", api.merging(["check": check, "result": "fail"]) { $1 }) == 0)
        }
        #expect((m.value("kalm_data_sent_bytes_total", api) ?? 0) > 0)
        #expect((m.value("kalm_data_received_bytes_total", api) ?? 0) > 0)
        #expect(m.all("kalm_dropped_iterations_total").isEmpty, "only arrival-rate executors drop iterations")

        // Last result.
        #expect(m.value("kalm_probe_success", api) == 1)
        #expect(m.value("kalm_probe_success", down) == 0)
        #expect(m.value("kalm_probe_success", closed) == 0)
        let lastOK = m.value("kalm_probe_last_success_timestamp_seconds", api) ?? 0
        #expect(lastOK >= started - 1 && lastOK <= Date().timeIntervalSince1970 + 1, "last success \(lastOK)")
        #expect(m.all("kalm_probe_last_success_timestamp_seconds", down).isEmpty, "never succeeded: no timestamp")

        // Windows: quantile samples only; none for a window without answered requests.
        #expect(m.all("kalm_window_latency_seconds_sum").isEmpty && m.all("kalm_window_latency_seconds_count").isEmpty)
        for window in ["1m", "5m"] {
            let w = ["window": window]
            #expect(m.labelValues("kalm_window_latency_seconds", "quantile", api.merging(w) { $1 })
                    == ["0.5", "0.9", "0.95", "0.99"])
            #expect(m.all("kalm_window_latency_seconds", closed.merging(w) { $1 }).isEmpty)
            #expect(m.all("kalm_window_latency_seconds", down.merging(w) { $1 }).isEmpty)
            #expect(m.value("kalm_window_availability_ratio", api.merging(w) { $1 }) == 1)
            #expect(m.value("kalm_window_availability_ratio", down.merging(w) { $1 }) == 0)
            #expect(m.value("kalm_window_availability_ratio", closed.merging(w) { $1 }) == 0)
            #expect(m.value("kalm_window_error_ratio", api.merging(w) { $1 }) == 0)
            #expect(m.value("kalm_window_error_ratio", down.merging(w) { $1 }) == 1)
            #expect(m.value("kalm_window_error_ratio", closed.merging(w) { $1 }) == 1)
            #expect((m.value("kalm_window_requests_per_second", api.merging(w) { $1 }) ?? 0) > 0)
        }
        // A window with no samples yields no samples: not 0, not stale data.
        for family in ["kalm_window_latency_seconds", "kalm_window_availability_ratio", "kalm_window_error_ratio",
                       "kalm_window_requests_per_second", "kalm_probe_success", "kalm_probe_last_success_timestamp_seconds"] {
            #expect(m.all(family, pending).isEmpty, "\(family) has samples for a probe that never finished a request")
        }
        #expect(m.sum("kalm_iterations_total", pending) == 0 && m.sum("kalm_http_requests_total", pending) == 0)
        #expect(m.value("kalm_vus", pending) == 2, "both of pending's VUs are busy")
        #expect(m.labelValues("kalm_http_request_failures_total", "reason", pending) == Self.reasons)
        let p50 = m.value("kalm_window_latency_seconds", api.merging(["window": "1m", "quantile": "0.5"]) { $1 }) ?? -1
        let p99 = m.value("kalm_window_latency_seconds", api.merging(["window": "1m", "quantile": "0.99"]) { $1 }) ?? -1
        #expect(p50 > 0 && p50 <= p99 && p99 < 1, "p50 \(p50) p99 \(p99)")

        // Thresholds over each window, with the key and expression as written.
        #expect(m.types["kalm_threshold_passing"] == "gauge")
        for window in ["1m", "5m"] {
            #expect(m.value("kalm_threshold_passing", ["metric": "http_req_duration{probe:api}", "threshold": "p(95)<2000",
                                                       "window": window]) == 1)
            #expect(m.value("kalm_threshold_passing", ["metric": "http_req_failed{probe:unavailable}", "threshold": "rate<0.5",
                                                       "window": window]) == 0)
        }

        // The agent itself.
        let build = m.all("kalm_build_info")
        #expect(build.count == 1 && build.first?.value == 1)
        #expect(build.first?.labels["version"]?.isEmpty == false && build.first?.labels["revision"]?.isEmpty == false)
        #expect(m.value("kalm_config_last_reload_successful") == 1)
        let reloadAt = m.value("kalm_config_last_reload_success_timestamp_seconds") ?? 0
        #expect(reloadAt >= started - 1 && reloadAt <= Date().timeIntervalSince1970 + 1)
        #expect((m.value("process_resident_memory_bytes") ?? 0) > 1_000_000)
        #expect((m.value("process_cpu_seconds_total") ?? -1) > 0)
        #expect((m.value("process_open_fds") ?? 0) > 3)
        #expect((m.value("process_max_fds") ?? 0) >= (m.value("process_open_fds") ?? 0))
        let startTime = m.value("process_start_time_seconds") ?? 0
        #expect(abs(startTime - started) < 10, "process_start_time_seconds \(startTime) vs test start \(started)")
        #expect(m.value("kalm_scenario_active", ["scenario": "smoke"]) == 1)
        #expect(m.value("kalm_vus", api) == 2)
        #expect(m.value("kalm_vus_max", api) == 2)

        // Labels: probe series carry probe + scenario (+ the probe's labels); agent labels everywhere;
        // no URL in any label.
        for s in m.samples {
            #expect(s.labels["region"] == "it-1", "\(s.name)\(s.labels) lacks the agent label")
            if let probe = s.labels["probe"] {
                #expect(s.labels["scenario"] == "smoke" || s.name == "kalm_tls_cert_expiry_timestamp_seconds",
                        "\(s.name) lacks scenario")
                #expect((s.labels["team"] == "pricing") == (probe == "api"), "\(s.name)\(s.labels): probe labels")
            }
            for value in s.labels.values {
                #expect(!value.contains("://") && !value.contains("127.0.0.1"), "\(s.name) has a URL in a label")
            }
        }
    }

    @Test func textFormatPassesPromtool() throws {
        _ = try warmScrape()
        let reply = Curl.request(agent.url("/metrics"))
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(reply.headers["content-encoding"] == nil)
        let r = try runTool("/usr/bin/promtool", ["check", "metrics"], stdin: reply.body)
        #expect(r.status == 0, "promtool exit \(r.status)")
        #expect(r.stdout.isEmpty && r.stderr.isEmpty, "promtool says:\n\(r.stdout)\(r.stderr)")
    }

    @Test func openMetricsWhenAsked() throws {
        _ = try warmScrape()
        let reply = Curl.request(agent.url("/metrics"),
                                     headers: ["Accept: application/openmetrics-text; version=1.0.0"])
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"]?.hasPrefix("application/openmetrics-text; version=1.0.0") == true,
                "content-type \(reply.headers["content-type"] ?? "-")")
        #expect(reply.text.hasSuffix("# EOF\n"), "ends with: \(reply.text.suffix(40))")
        #expect(reply.text.components(separatedBy: "# EOF").count == 2, "exactly one # EOF")
        let m = try Exposition(reply.text)
        let counters = m.types.filter { $0.value == "counter" }.keys.sorted()
        #expect(counters.contains("kalm_http_requests"), "counters: \(counters)")
        for family in counters {
            #expect(!family.hasSuffix("_total"), "OpenMetrics counter TYPE \(family) must not end in _total")
            #expect(!m.all(family + "_total").isEmpty, "no \(family)_total samples")
        }
        #expect(m.types["kalm_window_latency_seconds"] == "summary")
        #expect(m.all("kalm_window_latency_seconds", ["probe": "api", "window": "1m"]).count == 4)
        // OpenMetrics also wants UNIT where the name ends in one.
        #expect(reply.text.contains("# UNIT kalm_http_request_duration_seconds seconds"))
    }

    @Test func gzipWhenAllowed() throws {
        _ = try warmScrape()
        // curl --compressed: asks for gzip and inflates.
        let inflated = Curl.request(agent.url("/metrics"), extra: ["--compressed"])
        #expect(inflated.status == 200)
        #expect(inflated.headers["content-encoding"] == "gzip")
        #expect(inflated.headers["vary"]?.contains("Accept-Encoding") == true)
        let m = try Exposition(inflated.text)
        #expect(m.value("kalm_build_info") == 1)

        // The raw bytes are a gzip stream that inflates to the text format.
        let raw = Curl.request(agent.url("/metrics"), headers: ["Accept-Encoding: gzip"])
        #expect(raw.status == 200)
        #expect(Array(raw.body.prefix(2)) == [0x1f, 0x8b], "first bytes \(Array(raw.body.prefix(2)))")
        let gunzip = try runTool("/bin/gzip", ["-dc"], stdin: raw.body)
        #expect(gunzip.status == 0, "\(gunzip.stderr)")
        #expect(gunzip.stdout.contains("# TYPE kalm_http_requests_total counter"))

        // Without Accept-Encoding: identity.
        let plain = Curl.request(agent.url("/metrics"))
        #expect(plain.headers["content-encoding"] == nil)
        #expect(plain.text.hasPrefix("# HELP "))
    }

    /// The family a sample belongs to: histogram/summary suffixes stripped when the base is typed.
    static func family(of name: String, types: [String: String]) -> String {
        if types[name] != nil { return name }
        for suffix in ["_bucket", "_sum", "_count", "_total", "_created"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] != nil { return base }
        }
        return name
    }
}

/// The agent never crashes or stalls on what a target does; each misbehaviour is a
/// counted failure with its reason (status, connect and tls are covered above and in
/// TLSCertificateTests), and `/metrics` keeps answering quickly meanwhile.
@Suite("kalm agent failure reasons", .serialized, .timeLimit(.minutes(2)))
final class AgentFailureReasonTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    @Test func everyMisbehaviourIsCountedWithItsReason() throws {
        let agent = try AgentProcess(yaml: """
            probes:
              - name: garbage
                request: {url: "${BASE}/garbage"}
              - name: reset
                request: {url: "${BASE}/reset"}
              - name: huge
                request: {url: "${BASE}/bytes?n=3000000", body_size_limit: 1MiB}
              - name: slow
                request: {url: "${BASE}/sleep?ms=5000", timeout: 300ms}
              - name: endless
                request: {url: "${BASE}/slowbody?chunks=100000&interval_ms=50", timeout: 400ms}
              - name: nxdomain
                request: {url: "http://kalm-integration-test.invalid/", timeout: 3s}
            scenarios:
              s: {vus: 1, think_time: 100ms, continuous: true}
            """, args: ["-e", "BASE=\(server.baseURL)"])
        let expected = ["garbage": "other", "reset": "other", "huge": "body_limit", "slow": "timeout",
                        "endless": "timeout", "nxdomain": "dns"]
        var slowest = 0.0
        let (m, ok) = try agent.scrape(until: 20) { m in
            expected.allSatisfy { probe, reason in
                (m.value("kalm_http_request_failures_total", ["probe": probe, "reason": reason]) ?? 0) >= 2
            }
        }
        for _ in 0..<5 {
            let t = Date()
            _ = try agent.scrape()
            slowest = max(slowest, Date().timeIntervalSince(t))
        }
        #expect(ok, "\(m.all("kalm_http_request_failures_total").filter { $0.value > 0 }.map { "\($0.labels) \($0.value)" })")
        for (probe, reason) in expected.sorted(by: { $0.key < $1.key }) {
            let p = ["probe": probe, "scenario": "s"]
            let n = m.value("kalm_http_request_failures_total", p.merging(["reason": reason]) { $1 }) ?? 0
            #expect(n >= 2, "\(probe): \(n) failures with reason \(reason)")
            #expect(m.sum("kalm_http_request_failures_total", p) == n, "\(probe): other reasons counted too: \(m.all("kalm_http_request_failures_total", p).filter { $0.value > 0 }.map(\.labels))")
            #expect(m.value("kalm_iterations_total", p.merging(["result": "success"]) { $1 }) == 0)
            #expect(m.value("kalm_probe_success", p) == 0)
        }
        for probe in ["garbage", "reset", "slow", "nxdomain"] {
            #expect(m.labelValues("kalm_http_requests_total", "code", ["probe": probe]) == ["0"], "\(probe): code 0")
        }
        #expect(agent.child.isRunning, "\(agent.output)")
        #expect(slowest < 1.0, "a /metrics scrape took \(slowest) s")
    }
}
