import CZlib
import Foundation
import KalmTestSupport
import Measurements
import Testing
@testable import Exporter

@Suite struct GzipTests {
    static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    static func checkContainer(_ gz: [UInt8], original: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        // RFC 1952: magic, CM=8 (deflate); trailer: CRC32 and ISIZE, little-endian.
        #expect(gz.count >= 18, sourceLocation: sourceLocation)
        #expect(Array(gz.prefix(3)) == [0x1F, 0x8B, 0x08], sourceLocation: sourceLocation)
        let t = gz.count - 8
        let crc = UInt32(gz[t]) | UInt32(gz[t + 1]) << 8 | UInt32(gz[t + 2]) << 16 | UInt32(gz[t + 3]) << 24
        let size = UInt32(gz[t + 4]) | UInt32(gz[t + 5]) << 8 | UInt32(gz[t + 6]) << 16 | UInt32(gz[t + 7]) << 24
        #expect(crc == Self.crc(original), sourceLocation: sourceLocation)
        #expect(size == UInt32(truncatingIfNeeded: original.count), sourceLocation: sourceLocation)
    }

    @Test func exposionRoundTripsThroughInflate() throws {
        let body = TextFormatWriter.render(ExpositionFixtures.families())
        let gz = try Gzip.compress(body)
        Self.checkContainer(gz, original: body)
        #expect(gz.count < body.count / 4)
        #expect(try Gzip.decompress(gz) == body)
    }

    @Test func reusedCompressorMatchesOneShot() throws {
        let compressor = GzipCompressor()
        var rng = SplitMix(seed: 3)
        for size in [0, 1, 100, 65_536, 1_000_003] {
            // Half random (incompressible), half repetitive.
            let input: [UInt8] = (0..<size).map { i in i % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : UInt8(i % 7) }
            let gz = try compressor.compress(input)
            Self.checkContainer(gz, original: input)
            #expect(gz == (try Gzip.compress(input)))
            #expect(try Gzip.decompress(gz) == input)
        }
    }

    @Test func withCompressedLendsTheBytes() throws {
        let compressor = GzipCompressor(level: 6)
        let body = OpenMetricsWriter.render(ExpositionFixtures.families())
        let copy: [UInt8] = try body.withUnsafeBytes { raw in
            try compressor.withCompressed(raw) { Array($0) }
        }
        #expect(try Gzip.decompress(copy) == body)
    }

    /// gzip(1) accepts our output too (a second, independent decoder).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/gzip")))
    func systemGzipAcceptsIt() throws {
        let body = TextFormatWriter.render(ExpositionFixtures.families())
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kalm-gzip-\(getpid()).gz")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(try Gzip.compress(body)).write(to: url)
        let gunzip = try ChildProcess("/bin/gzip", ["-dc", url.path])
        #expect(gunzip.waitForExit(timeout: 30) == 0)
        #expect([UInt8](gunzip.stdoutData) == body)
    }

    @Test func corruptAndTruncatedInputThrow() throws {
        let gz = try Gzip.compress(Array("hello hello hello".utf8))
        #expect(throws: GzipError.self) { try Gzip.decompress(Array(gz.dropLast(5))) }
        var bad = gz
        bad[12] ^= 0xFF
        #expect(throws: GzipError.self) { try Gzip.decompress(bad) }
        #expect(throws: GzipError.self) { try Gzip.decompress([]) }
    }
}
