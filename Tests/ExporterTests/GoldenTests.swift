import Foundation
import KalmTestSupport
import Measurements
import Testing
@testable import Exporter

/// Golden files live beside this file (found through #filePath, so the test
/// target needs no resources). Regenerate with KALM_UPDATE_GOLDEN=1 and
/// review the diff.
enum Golden {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden")

    static func check(_ rendered: [UInt8], file: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(file)
        let text = String(decoding: rendered, as: UTF8.self)
        if ProcessInfo.processInfo.environment["KALM_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(rendered).write(to: url)
            return
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "\(file) differs; rerun with KALM_UPDATE_GOLDEN=1 to see the diff", sourceLocation: sourceLocation)
    }
}

@Suite struct GoldenTests {
    @Test func textFormatMatchesGolden() throws {
        try Golden.check(TextFormatWriter.render(ExpositionFixtures.families()), file: "kalm.txt")
    }

    @Test func openMetricsMatchesGolden() throws {
        try Golden.check(OpenMetricsWriter.render(ExpositionFixtures.families()), file: "kalm.om.txt")
    }

    @Test func openMetricsGoldenPassesTheLint() throws {
        let text = try String(contentsOf: Golden.directory.appendingPathComponent("kalm.om.txt"), encoding: .utf8)
        #expect(OpenMetricsLint.problems(text) == [])
    }

    /// Input order must not matter: shuffled families and samples render the same bytes.
    @Test func outputIsIndependentOfInputOrder() {
        let families = ExpositionFixtures.families()
        var rng = SplitMix(seed: 42)
        for _ in 0..<20 {
            var shuffled = families.shuffled(using: &rng)
            for i in shuffled.indices { shuffled[i].samples.shuffle(using: &rng) }
            #expect(TextFormatWriter.render(shuffled) == TextFormatWriter.render(families))
            #expect(OpenMetricsWriter.render(shuffled) == OpenMetricsWriter.render(families))
        }
    }

    /// A writer that is reused (scratch buffers kept) gives the same bytes.
    @Test func reusedWriterIsDeterministic() {
        let families = ExpositionFixtures.families()
        var writer = ExpositionWriter()
        var first: [UInt8] = []
        writer.write(families, format: .text, into: &first)
        var buffer: [UInt8] = []
        for _ in 0..<3 {
            buffer.removeAll(keepingCapacity: true)
            writer.write(families, format: .text, into: &buffer)
            #expect(buffer == first)
            buffer.removeAll(keepingCapacity: true)
            writer.write(families, format: .openMetrics, into: &buffer)
            #expect(buffer == OpenMetricsWriter.render(families))
        }
    }
}

@Suite struct WriterBufferTests {
    @Test func withRenderedLendsTheSameBytesAsWrite() throws {
        let families = ExpositionFixtures.families()
        var writer = ExpositionWriter()
        for format in [ExpositionFormat.text, .openMetrics] {
            var written: [UInt8] = []
            writer.write(families, format: format, into: &written)
            let lent = writer.withRendered(families, format: format) { Array($0) }
            #expect(lent == written)
            // Straight from the writer's buffer into gzip, no intermediate array.
            let gzip = GzipCompressor()
            let gz = try writer.withRendered(families, format: format) { bytes in
                try gzip.withCompressed(bytes) { Array($0) }
            }
            #expect(try Gzip.decompress(gz) == written)
        }
    }

    /// Writers are values: a copy gets its own buffers, so rendering with the
    /// copy does not disturb bytes the original has lent out.
    @Test func copiedWritersDoNotShareBuffers() {
        let big = ExpositionFixtures.families()
        var small = MetricFamily(name: "x", help: "h", type: .gauge)
        small.add(1)
        var a = TextFormatWriter()
        var b = a
        let fromA = a.withRendered(big) { bytesA -> [UInt8] in
            let copyBefore = Array(bytesA)
            _ = b.withRendered([small]) { _ in 0 }
            #expect(Array(bytesA) == copyBefore)
            return copyBefore
        }
        #expect(fromA == TextFormatWriter.render(big))
        #expect(b.withRendered([small]) { Array($0) } == TextFormatWriter.render([small]))
    }

    @Test func appendsWithoutClearing() {
        var f = MetricFamily(name: "x", help: "h", type: .gauge)
        f.add(1)
        var buffer = Array("prefix\n".utf8)
        var writer = TextFormatWriter()
        writer.write([f], into: &buffer)
        #expect(String(decoding: buffer, as: UTF8.self) == "prefix\n# HELP x h\n# TYPE x gauge\nx 1\n")
    }
}
