import Foundation
import KalmTestSupport
import Testing
import Yams

/// docs/deploying.md: every code block marked `<!-- test: KIND -->` is checked —
/// `prometheus-config` with `promtool check config` (with rules/ where it loads rule files), `promql` by promtool's parser, `yaml`
/// by a YAML parser — and the recorded series it names exist in rules/.
@Suite("Ops: docs/deploying.md", .serialized)
struct OpsDocsTests {
    static let doc = OpsPaths.root.appendingPathComponent("docs/deploying.md")

    /// (kind, code) for every fenced block right after a `<!-- test: KIND -->` line.
    static func markedBlocks() throws -> [(kind: String, code: String)] {
        let lines = try String(contentsOf: doc, encoding: .utf8).components(separatedBy: "\n")
        var out: [(String, String)] = []
        var i = 0
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("<!-- test:"), line.hasSuffix("-->") {
                let kind = line.dropFirst("<!-- test:".count).dropLast(3).trimmingCharacters(in: .whitespaces)
                guard i + 1 < lines.count, lines[i + 1].hasPrefix("```") else {
                    throw TestFailure("deploying.md line \(i + 1): a test marker must precede a code block")
                }
                var code: [String] = []
                i += 2
                while i < lines.count, !lines[i].hasPrefix("```") { code.append(lines[i]); i += 1 }
                out.append((kind, code.joined(separator: "\n")))
            }
            i += 1
        }
        return out
    }

    @Test func markedBlocksAreThere() throws {
        let kinds = try Self.markedBlocks().map(\.kind)
        #expect(kinds.filter { $0 == "prometheus-config" }.count >= 4, "\(kinds)")
        #expect(kinds.filter { $0 == "promql" }.count >= 3, "\(kinds)")
        #expect(kinds.filter { $0 == "yaml" }.count >= 2, "\(kinds)")
        #expect(Set(kinds).isSubset(of: ["prometheus-config", "promql", "yaml"]), "\(kinds)")
    }

    @Test(.enabled(if: Promtool.available, "needs /usr/bin/promtool"))
    func prometheusConfigsAreValid() throws {
        for (n, block) in try Self.markedBlocks().enumerated() where block.kind == "prometheus-config" {
            let dir = try tempDirectory()
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("prometheus-\(n).yml")
            // The rule files the page installs in /etc/prometheus/rules are this repository's.
            let code = block.code.replacingOccurrences(of: "/etc/prometheus/rules/", with: OpsPaths.rules.path + "/")
            try code.write(to: file, atomically: true, encoding: .utf8)
            let r = try Promtool.run(["check", "config", file.path])
            #expect(r.status == 0, "promtool check config on block \(n):\n\(block.code)\n\(r.stdout)\(r.stderr)")
        }
    }

    @Test(.enabled(if: Promtool.available, "needs /usr/bin/promtool"))
    func promqlParsesAndNamesRealSeries() throws {
        let exprs = try Self.markedBlocks().filter { $0.kind == "promql" }.map(\.code)
        let bad = try Promtool.unparsable(exprs)
        #expect(bad.isEmpty, "\(bad.map { "\($0.expr)\n\($0.error)" })")
        let recorded = Set(try OpsYAML.rules(OpsPaths.recordingRules).compactMap { $0["record"] as? String })
        for e in exprs {
            for name in PromQL.metricNames(e) where name.contains(":") {
                #expect(recorded.contains(name), "deploying.md uses \(name), which rules/kalm-recording.yml does not record")
            }
        }
        // And the text names the combined series the rules record.
        let text = try String(contentsOf: Self.doc, encoding: .utf8)
        for name in ["probe:kalm_availability:ratio_rate5m", "probe:kalm_http_request_duration_seconds:quantile_rate5m"] {
            #expect(recorded.contains(name) && text.contains(name), "\(name)")
        }
    }

    @Test func yamlBlocksParse() throws {
        for block in try Self.markedBlocks() where block.kind == "yaml" {
            let value = try Yams.load(yaml: block.code)
            #expect((value as? [String: Any])?["apiVersion"] as? Int == 1, "\(block.code)")
        }
    }
}
