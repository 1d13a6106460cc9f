import Foundation
import Measurements
import Probes
import Testing
@testable import Exporter

/// The catalogue is the one definition of every family: what exposition builds matches it,
/// and docs/metrics.md documents exactly it (name, type, labels), so neither can drift.
@Suite struct MetricCatalogueTests {
    static let docs = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/metrics.md")

    /// The rows of every `| metric | type | labels | meaning |` table: name, type, labels.
    static func documentedRows() throws -> [(name: String, type: String, labels: [String])] {
        let text = try String(contentsOf: docs, encoding: .utf8)
        var rows: [(String, String, [String])] = []
        var inTable = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if cells == ["metric", "type", "labels", "meaning"] { inTable = true; continue }
            guard inTable, line.hasPrefix("|") else { inTable = false; continue }
            if cells.first?.hasPrefix("---") == true { continue }
            guard cells.count == 4 else { continue }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let labels = cells[2] == "—" ? [] : cells[2].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            rows.append((name, cells[1], labels))
        }
        return rows
    }

    /// The labels docs/metrics.md lists for a descriptor: the scope's leading ones, then its own.
    static func documentedLabels(_ d: MetricDescriptor) -> [String] {
        switch d.scope {
        case .probe: return ["probe", "scenario"] + d.labels
        case .scenario: return ["scenario"] + d.labels
        case .agent: return d.labels
        }
    }

    @Test func docsListEveryFamilyOnceWithItsTypeAndLabels() throws {
        let rows = try Self.documentedRows()
        #expect(rows.count == MetricCatalogue.all.count, "\(rows.map(\.name))")
        #expect(Set(rows.map(\.name)).count == rows.count, "a family is documented twice")
        for d in MetricCatalogue.all {
            guard let row = rows.first(where: { $0.name == d.name }) else {
                Issue.record("\(d.name) is missing from docs/metrics.md")
                continue
            }
            #expect(row.type == d.type.textName, "\(d.name)")
            #expect(row.labels == Self.documentedLabels(d), "\(d.name)")
        }
        for row in rows where MetricCatalogue.descriptor(named: row.name) == nil {
            Issue.record("docs/metrics.md documents \(row.name), which kalm does not expose")
        }
    }

    @Test func catalogueNamesAreValidAndUnique() {
        let names = MetricCatalogue.all.map(\.name)
        #expect(Set(names).count == names.count)
        for d in MetricCatalogue.all {
            #expect(d.name.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression) != nil, "\(d.name)")
            #expect((d.type == .counter) == d.name.hasSuffix("_total"), "\(d.name): counters and only counters end in _total")
            if let unit = d.unit {
                #expect(d.name.replacingOccurrences(of: "_total", with: "").hasSuffix("_" + unit), "\(d.name) unit \(unit)")
            }
            #expect(!d.help.isEmpty)
        }
    }

    @Test func probeFamiliesAreBuiltFromTheCatalogue() throws {
        let layout = StatsLayout()
        let recorder = ProbeRecorder(checkCount: 1, layout: layout, windows: [WindowSpec(name: "1m", seconds: 60)])
        let probe = ProbeSource(name: "api", labels: [("team", "a")], checkNames: ["ok"], isHTTPS: false, recorder: recorder)
        let scenario = ScenarioSource(name: "smoke", probes: [probe], openModel: true, activeVUs: [1], maxVUs: 1)
        let families = ProbeFamilies(agentLabels: [("region", "eu")], buckets: layout.buckets, phaseBuckets: layout.phaseBuckets,
                                     quantiles: [0.5])
            .collect([scenario], windows: WindowSnapshotMemo(now: MonotonicClock.now()))
            + ProcessMetrics.collect(labels: [])
        for family in families {
            let d = try #require(MetricCatalogue.descriptor(named: family.name), "\(family.name) is not in the catalogue")
            #expect(family.type == d.type && family.help == d.help && family.unit == d.unit, "\(family.name)")
            for sample in family.samples {
                let names = sample.labels.map(\.name)
                let leading = Self.documentedLabels(d)
                #expect(Array(names.prefix(leading.count)) == leading, "\(family.name): \(names)")
            }
        }
    }
}
