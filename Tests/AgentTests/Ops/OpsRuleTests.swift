import Foundation
import KalmTestSupport
import Testing

/// rules/: promtool accepts both files without a word of complaint, the unit tests in
/// rules/tests pass and cover every alert firing and not firing, every alert carries the
/// labels and annotations an on-call person needs, and every metric the rules read is one
/// a running agent exposes.
@Suite("Ops: Prometheus rules", .serialized, .timeLimit(.minutes(3)),
       .enabled(if: Promtool.available, "needs /usr/bin/promtool (Debian package `prometheus`; scripts/test installs it)"))
struct OpsRuleTests {
    @Test func promtoolCheckRulesIsSilent() throws {
        for file in [OpsPaths.recordingRules, OpsPaths.alertRules] {
            let r = try Promtool.run(["check", "rules", file.path])
            #expect(r.status == 0, "promtool check rules \(file.lastPathComponent):\n\(r.stdout)\(r.stderr)")
            // Its only output is "Checking FILE" and "SUCCESS: N rules found": no warnings.
            let lines = (r.stdout + r.stderr).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            let unexpected = lines.filter { !$0.isEmpty && !$0.hasPrefix("Checking ") && !$0.hasPrefix("SUCCESS: ") }
            #expect(unexpected.isEmpty, "promtool check rules \(file.lastPathComponent) said: \(unexpected)")
        }
    }

    @Test func promtoolTestRulesPasses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: OpsPaths.ruleTests.path)
            .filter { $0.hasSuffix(".yml") }.sorted()
            .map { OpsPaths.ruleTests.appendingPathComponent($0).path }
        #expect(!files.isEmpty)
        let r = try Promtool.run(["test", "rules"] + files, timeout: 300)
        #expect(r.status == 0, "promtool test rules:\n\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("SUCCESS"))
        #expect(!(r.stdout + r.stderr).contains("FAILED"))
    }

    /// Every alert in kalm-alerts.yml has an alert_rule_test where it fires (non-empty
    /// exp_alerts) and one where it must not (empty exp_alerts).
    @Test func everyAlertIsTestedFiringAndNotFiring() throws {
        let alerts = try OpsYAML.rules(OpsPaths.alertRules).compactMap { $0["alert"] as? String }
        #expect(alerts.count >= 12, "\(alerts)")
        #expect(Set(alerts).count == alerts.count, "duplicate alert names: \(alerts)")
        var firing = Set<String>(), quiet = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: OpsPaths.ruleTests.path) where name.hasSuffix(".yml") {
            let url = OpsPaths.ruleTests.appendingPathComponent(name)
            guard let doc = try OpsYAML.load(url) as? [String: Any] else { continue }
            // The test files load the real rule files.
            let ruleFiles = (doc["rule_files"] as? [String]) ?? []
            #expect(ruleFiles.contains { $0.hasSuffix("kalm-alerts.yml") }, "\(name) does not load kalm-alerts.yml")
            for test in (doc["tests"] as? [[String: Any]]) ?? [] {
                for case_ in (test["alert_rule_test"] as? [[String: Any]]) ?? [] {
                    guard let alert = case_["alertname"] as? String else { continue }
                    let expected = (case_["exp_alerts"] as? [Any]) ?? []
                    if expected.isEmpty { quiet.insert(alert) } else { firing.insert(alert) }
                }
            }
        }
        for alert in alerts {
            #expect(firing.contains(alert), "\(alert) is never tested firing (no alert_rule_test with exp_alerts)")
            #expect(quiet.contains(alert), "\(alert) is never tested not firing (no alert_rule_test with exp_alerts: [])")
        }
        let unknown = firing.union(quiet).subtracting(alerts)
        #expect(unknown.isEmpty, "tests name alerts that do not exist: \(unknown)")
    }

    @Test func everyAlertHasSeveritySummaryAndDescription() throws {
        for rule in try OpsYAML.rules(OpsPaths.alertRules) {
            guard let name = rule["alert"] as? String else { continue }
            let labels = (rule["labels"] as? [String: Any]) ?? [:]
            let annotations = (rule["annotations"] as? [String: Any]) ?? [:]
            #expect(["critical", "warning"].contains(labels["severity"] as? String), "\(name): severity \(String(describing: labels["severity"]))")
            #expect(((annotations["summary"] as? String) ?? "").count > 10, "\(name) has no summary")
            #expect(((annotations["description"] as? String) ?? "").count > 20, "\(name) has no description")
        }
    }

    /// The SLO alerts are the workbook's three multi-window pairs, for both SLOs, and read the
    /// recording rules of the right windows.
    @Test func burnRateAlertsUseTheWorkbookWindows() throws {
        let rules = try OpsYAML.rules(OpsPaths.alertRules)
        let expr = Dictionary(uniqueKeysWithValues: rules.compactMap { r -> (String, String)? in
            guard let a = r["alert"] as? String, let e = r["expr"] as? String else { return nil }
            return (a, e)
        })
        let pairs: [(String, String, String, String)] = [
            ("Fast", "1h", "5m", "14.4"), ("Medium", "6h", "30m", "6"), ("Slow", "3d", "6h", ""),
        ]
        for (slo, sli, budget) in [("Availability", "availability", "0.001"), ("Latency", "latency_good", "0.05")] {
            for (speed, long, short, factor) in pairs {
                let name = "Kalm\(slo)BurnRate\(speed)"
                guard let e = expr[name] else { Issue.record("missing alert \(name)"); continue }
                #expect(e.contains("instance_probe:kalm_\(sli):ratio_rate\(long))"), "\(name): \(e)")
                #expect(e.contains("instance_probe:kalm_\(sli):ratio_rate\(short))"), "\(name): \(e)")
                #expect(e.contains(factor.isEmpty ? "> \(budget)" : "(\(factor) * \(budget))"), "\(name): \(e)")
            }
        }
        let recorded = Set(try OpsYAML.rules(OpsPaths.recordingRules).compactMap { $0["record"] as? String })
        for sli in ["availability", "latency_good"] {
            for w in ["5m", "30m", "1h", "6h", "3d"] {
                #expect(recorded.contains("instance_probe:kalm_\(sli):ratio_rate\(w)"))
            }
        }
        #expect(recorded.contains("probe:kalm_availability:ratio_rate5m"))
        #expect(recorded.contains("probe:kalm_http_request_duration_seconds:quantile_rate5m"))
    }

    /// The metric-name extraction the dashboard test relies on.
    @Test func metricNameExtraction() {
        #expect(PromQL.metricNames(#"histogram_quantile(0.95, sum by (probe, le) (rate(kalm_http_request_duration_seconds_bucket{job=~"$job", le="0.2"}[5m])))"#)
                == ["kalm_http_request_duration_seconds_bucket"])
        #expect(PromQL.metricNames(#"1 - a:b:rate5m / on (job) group_left (x) foo_total offset 5m > bool 1e-9 unless up == 0"#)
                == ["a:b:rate5m", "foo_total", "up"])
        #expect(PromQL.metricNames(#"kalm_threshold_passing{metric="http_req_duration{probe:x}"} and sum(vector(1)) without (a)"#)
                == ["kalm_threshold_passing"])
        #expect(PromQL.rateRanges("sum(rate(a[$__rate_interval])) / increase(b{c=\"[x]\"}[5m]) + sum_over_time(c[30d:1h])")
                == ["$__rate_interval", "5m"])
        #expect(PromQL.substituteGrafanaVariables(#"rate(a{p=~"$probe", w="${window}"}[$__rate_interval])"#)
                == #"rate(a{p=~".*", w=".*"}[5m])"#)
    }

    /// Every metric the rules read is exposed by a running agent (or is Prometheus's `up`,
    /// or a series the recording rules produce).
    @Test func rulesUseOnlyMetricsTheAgentExposes() throws {
        var used = Set<String>()
        var recorded = Set<String>()
        for file in [OpsPaths.recordingRules, OpsPaths.alertRules] {
            for rule in try OpsYAML.rules(file) {
                if let r = rule["record"] as? String { recorded.insert(r) }
                if let e = rule["expr"] as? String { used.formUnion(PromQL.metricNames(e)) }
            }
        }
        let fromAgent = used.subtracting(recorded).subtracting(["up"])
        let catalogue = try CatalogueAgent()
        let exposed = try catalogue.exposedNames(covering: fromAgent)
        let missing = fromAgent.subtracting(exposed)
        #expect(missing.isEmpty, "the rules use metrics no agent exposes: \(missing.sorted())\nagent:\n\(catalogue.agent.output)")
    }
}
