import Foundation
import Testing

/// The module graph ARCHITECTURE.md draws: engine → measurements → exporter → agent →
/// executable, shared helpers in KalmSupport. The compiler already refuses an import that
/// Package.swift does not declare; this keeps anyone from declaring one that points the
/// wrong way.
@Suite struct PackageGraphTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// Which of kalm's own modules each module may import.
    static let allowed: [String: Set<String>] = [
        "KalmSupport": [],
        "Probes": ["CCurl", "KalmSupport"],
        "Measurements": ["Probes", "KalmSupport"],
        "Exporter": ["Measurements", "Probes", "KalmSupport", "CZlib", "CCrypt"],
        "Agent": ["Exporter", "Measurements", "Probes", "KalmSupport", "CKalm"],
        "kalm": ["Agent"],
        "TestServer": ["CZlib", "KalmSupport"],
    ]
    static let ours: Set<String> = Set(allowed.keys).union(["CCurl", "CZlib", "CKalm", "CCrypt"])

    @Test func everyImportPointsDownTheGraph() throws {
        let modules = try FileManager.default.contentsOfDirectory(atPath: Self.sources.path)
            .filter { !$0.hasPrefix("C") || $0 == "CKalm" }
        #expect(Set(modules.filter { $0 != "CKalm" }) == Set(Self.allowed.keys), "a module is missing from the graph")
        var checked = 0
        for module in modules where Self.allowed[module] != nil {
            let dir = Self.sources.appendingPathComponent(module)
            let files = FileManager.default.enumerator(atPath: dir.path)?.compactMap { $0 as? String }
                .filter { $0.hasSuffix(".swift") } ?? []
            for file in files {
                let text = try String(contentsOfFile: dir.appendingPathComponent(file).path, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ").map(String.init)
                    guard let at = words.firstIndex(of: "import"), at + 1 < words.count,
                          words[..<at].allSatisfy({ $0.hasPrefix("@") || ["public", "internal", "private"].contains($0) })
                    else { continue }
                    let imported = String(words[words.count - 1].split(separator: ".")[0])
                    guard Self.ours.contains(imported) else { continue }
                    checked += 1
                    #expect(Self.allowed[module]!.contains(imported), "\(module)/\(file) imports \(imported)")
                }
            }
        }
        #expect(checked > 50)
    }
}
