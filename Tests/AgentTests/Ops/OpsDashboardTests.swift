import Exporter
import Foundation
import KalmTestSupport
import Testing

/// dashboards/: provisionable Grafana JSON (no `__inputs`, a `datasource` variable every
/// panel and target uses, job/instance/probe variables, a unit on every panel,
/// `$__rate_interval` in every rate and increase), every PromQL expression parses
/// (promtool), and every metric it reads is one a running agent exposes or one the
/// recording rules in rules/ produce.
@Suite("Ops: Grafana dashboards", .serialized, .timeLimit(.minutes(3)))
struct OpsDashboardTests {
    struct Query {
        var dashboard: String
        var place: String
        var expr: String
    }

    /// Panels, with the panels of collapsed rows.
    static func panels(_ dashboard: [String: Any]) -> [[String: Any]] {
        let top = (dashboard["panels"] as? [[String: Any]]) ?? []
        return top + top.flatMap { ($0["panels"] as? [[String: Any]]) ?? [] }
    }

    static func variables(_ dashboard: [String: Any]) -> [[String: Any]] {
        ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
    }

    static func variableQuery(_ v: [String: Any]) -> String? {
        if let q = v["query"] as? String { return q }
        return (v["query"] as? [String: Any])?["query"] as? String
    }

    /// Every PromQL expression of every dashboard: panel targets and query variables.
    static func queries() throws -> [Query] {
        var out: [Query] = []
        for file in OpsPaths.dashboardFiles {
            let d = try OpsYAML.json(file)
            let name = file.lastPathComponent
            for p in panels(d) {
                for t in (p["targets"] as? [[String: Any]]) ?? [] {
                    if let e = t["expr"] as? String {
                        out.append(Query(dashboard: name, place: "panel \"\(p["title"] ?? "?")\" \(t["refId"] ?? "?")", expr: e))
                    }
                }
            }
            for v in variables(d) where v["type"] as? String == "query" {
                if let q = variableQuery(v), let e = PromQL.variableQueryExpression(q) {
                    out.append(Query(dashboard: name, place: "variable \(v["name"] ?? "?")", expr: e))
                }
            }
        }
        return out
    }

    static let datasourceRef = "${datasource}"

    static func usesDatasourceVariable(_ ds: Any?) -> Bool {
        if let s = ds as? String { return s == datasourceRef || s == "$datasource" }
        if let d = ds as? [String: Any] { return (d["uid"] as? String).map { $0 == datasourceRef || $0 == "$datasource" } ?? false }
        return false
    }

    @Test(arguments: OpsPaths.dashboardFiles.map(\.lastPathComponent))
    func provisionableStructure(_ file: String) throws {
        let d = try OpsYAML.json(OpsPaths.dashboards.appendingPathComponent(file))
        #expect(d["__inputs"] == nil, "\(file): __inputs makes it an export for the import UI, not a provisionable file")
        #expect(d["__requires"] == nil)
        #expect(d["id"] == nil || d["id"] is NSNull, "\(file): a fixed id clashes in Grafana's database")
        #expect(((d["uid"] as? String) ?? "").hasPrefix("kalm-"))
        #expect(!((d["title"] as? String) ?? "").isEmpty)
        let schema = (d["schemaVersion"] as? Int) ?? 0
        #expect((36...39).contains(schema), "\(file): schemaVersion \(schema)")

        let vars = Self.variables(d)
        let byName = Dictionary(vars.map { (($0["name"] as? String) ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let ds = byName["datasource"]
        #expect(ds?["type"] as? String == "datasource" && ds?["query"] as? String == "prometheus", "\(file): datasource variable \(String(describing: ds))")
        for name in ["job", "instance", "probe"] {
            guard let v = byName[name] else { Issue.record("\(file): no \(name) variable"); continue }
            #expect(v["type"] as? String == "query")
            #expect(Self.usesDatasourceVariable(v["datasource"]), "\(file): variable \(name) does not use ${datasource}")
            #expect((Self.variableQuery(v) ?? "").hasPrefix("label_values("), "\(file): variable \(name)")
        }

        // Every query variable is used by some panel (or a later variable).
        let exprs = try Self.queries().filter { $0.dashboard == file }.map(\.expr)
        let titles = Self.panels(d).compactMap { $0["title"] as? String }
        for v in vars where v["type"] as? String == "query" {
            let name = v["name"] as! String
            #expect((exprs + titles).contains { $0.contains("$\(name)") || $0.contains("${\(name)}") }, "\(file): variable \(name) is never used")
        }

        let panels = Self.panels(d).filter { $0["type"] as? String != "row" }
        #expect(panels.count >= 8, "\(file): \(panels.count) panels")
        var ids = Set<Int>()
        for p in panels {
            let title = (p["title"] as? String) ?? "?"
            if let id = p["id"] as? Int { #expect(ids.insert(id).inserted, "\(file): duplicate panel id \(id)") }
            #expect(Self.usesDatasourceVariable(p["datasource"]), "\(file): panel \"\(title)\" does not use ${datasource}")
            let unit = ((p["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["unit"] as? String
            #expect(!(unit ?? "").isEmpty && unit != "none", "\(file): panel \"\(title)\" has no unit")
            let targets = (p["targets"] as? [[String: Any]]) ?? []
            #expect(!targets.isEmpty, "\(file): panel \"\(title)\" has no query")
            #expect(Set(targets.compactMap { $0["refId"] as? String }).count == targets.count, "\(file): panel \"\(title)\" refIds")
            for t in targets {
                #expect(Self.usesDatasourceVariable(t["datasource"]), "\(file): a target of \"\(title)\" does not use ${datasource}")
                let expr = (t["expr"] as? String) ?? ""
                #expect(!expr.isEmpty)
                for range in PromQL.rateRanges(expr) {
                    #expect(range == "$__rate_interval", "\(file): \"\(title)\": rate/increase over [\(range)], not [$__rate_interval]: \(expr)")
                }
            }
        }
    }

    /// The panels the issue asks for are there.
    @Test func overviewAndSoakHaveTheAskedForPanels() throws {
        let all = try Self.queries()
        func uses(_ file: String, _ fragment: String) -> Bool {
            all.contains { $0.dashboard == file && $0.expr.contains(fragment) }
        }
        let overview = "kalm-overview.json"
        for fragment in ["kalm_window_latency_seconds", "histogram_quantile(0.95, sum by (probe, le) (rate(kalm_http_request_duration_seconds_bucket",
                         "kalm_window_availability_ratio", "/ 0.001", "kalm_http_request_failures_total", "kalm_checks_total",
                         "rate(kalm_http_requests_total", "kalm_vus", "kalm_threshold_passing"] {
            #expect(uses(overview, fragment), "overview lacks \(fragment)")
        }
        let d = try OpsYAML.json(OpsPaths.dashboards.appendingPathComponent(overview))
        #expect(Self.panels(d).contains { $0["type"] as? String == "heatmap"
            && (($0["targets"] as? [[String: Any]])?.first?["format"] as? String) == "heatmap" })
        let soak = "kalm-soak.json"
        for fragment in ["kalm_soak_latency_drift_ratio", "kalm_soak_latency_slope_seconds_per_hour", "histogram_quantile(0.99",
                         "kalm_http_request_failures_total", "kalm_vus", "kalm_soak_window_start_timestamp_seconds",
                         "kalm_soak_window_end_timestamp_seconds"] {
            #expect(uses(soak, fragment), "soak lacks \(fragment)")
        }
    }

    @Test(.enabled(if: Promtool.available, "needs /usr/bin/promtool"))
    func everyExpressionParses() throws {
        let queries = try Self.queries()
        #expect(queries.count > 30)
        let bad = try Promtool.unparsable(queries.map { PromQL.substituteGrafanaVariables($0.expr) })
        #expect(bad.isEmpty, "\(bad.map { "\($0.expr)\n\($0.error)" }.joined(separator: "\n\n"))")
    }

    @Test func everyMetricIsExposedByAnAgentOrRecorded() throws {
        var used: [String: [String]] = [:]
        for q in try Self.queries() {
            for name in PromQL.metricNames(PromQL.substituteGrafanaVariables(q.expr)) {
                used[name, default: []].append("\(q.dashboard) \(q.place)")
            }
        }
        let recorded = Set(try OpsYAML.rules(OpsPaths.recordingRules).compactMap { $0["record"] as? String })
        let fromAgent = Set(used.keys).subtracting(recorded)
        #expect(fromAgent.count > 20, "\(fromAgent.sorted())")
        let catalogue = try CatalogueAgent()
        let exposed = try catalogue.exposedNames(covering: fromAgent)
        let missing = fromAgent.subtracting(exposed).sorted()
        #expect(missing.isEmpty, """
            dashboards read metrics no agent exposes: \
            \(missing.map { "\($0) (\(used[$0]!.joined(separator: ", ")))" }.joined(separator: "; "))
            """)
        for name in fromAgent.sorted() {
            #expect(MetricCatalogue.descriptor(named: Self.familyName(of: name)) != nil,
                    "dashboards read \(name), which the metric catalogue does not define")
        }
    }

    /// A sample name's family: `_bucket`, `_sum` and `_count` belong to their histogram or summary.
    static func familyName(of sample: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where sample.hasSuffix(suffix) {
            let base = String(sample.dropLast(suffix.count))
            if let d = MetricCatalogue.descriptor(named: base), d.type == .histogram || d.type == .summary { return base }
        }
        return sample
    }

    /// A live agent shaped to expose every family (CatalogueAgent) exposes exactly the
    /// catalogue's families, each with the catalogue's type and help.
    @Test func anAgentExposesExactlyTheCatalogue() throws {
        let catalogue = try CatalogueAgent()
        let wanted = Set(MetricCatalogue.all.map(\.name))
        let (m, complete) = try catalogue.agent.scrape(until: 45) { wanted.isSubset(of: Set($0.types.keys)) }
        #expect(complete, "never exposed: \(wanted.subtracting(m.types.keys).sorted())")
        #expect(Set(m.types.keys).subtracting(wanted).isEmpty, "not in the catalogue: \(Set(m.types.keys).subtracting(wanted).sorted())")
        for d in MetricCatalogue.all {
            if let type = m.types[d.name] { #expect(type == d.type.textName, "\(d.name)") }
        }
        #expect(m.helps == Set(m.types.keys), "every family has a HELP line")
    }
}
