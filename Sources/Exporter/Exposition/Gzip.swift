// gzip through the system zlib (CZlib). The compressor keeps its z_stream
// (≈ 256 KiB of deflate state) and output buffer between scrapes and resets
// the stream instead of re-initialising it.

import CZlib

/// A zlib call that failed, or input that could not be inflated.
public struct GzipError: Error, CustomStringConvertible, Sendable {
    /// The zlib return code (`Z_BUF_ERROR`, `Z_DATA_ERROR`, ...).
    public let code: Int32
    /// What failed, e.g. `deflateReset failed` or `truncated input`.
    public let message: String
    /// `zlib error <code>: <message>`.
    public var description: String { "zlib error \(code): \(message)" }
}

/// A reusable gzip compressor. Not thread-safe: keep one per thread / event
/// loop (or guard it).
public final class GzipCompressor {
    /// zlib level 1...9 (default 1, `Z_BEST_SPEED`: metrics text compresses
    /// about 10× even so, and a scrape should cost little CPU).
    public let level: Int32
    // zlib keeps a pointer back to its z_stream, so the stream needs a stable address.
    private let stream: UnsafeMutablePointer<z_stream>
    private var initialised = false
    private var output: [UInt8] = []

    /// A compressor at zlib `level` (1...9); zlib state is set up on the first compression.
    public init(level: Int32 = 1) {
        self.level = level
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
    }

    deinit {
        if initialised { deflateEnd(stream) }
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Compresses `input` into one gzip member and returns it.
    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { raw in
            try withCompressed(raw) { Array($0) }
        }
    }

    /// Compresses `input` and lends the gzip bytes to `body` (valid only
    /// inside it): no copy, the compressor's buffer is reused next time.
    public func withCompressed<R>(_ input: UnsafeRawBufferPointer,
                                  _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        if initialised {
            let rc = deflateReset(stream)
            guard rc == Z_OK else { throw GzipError(code: rc, message: "deflateReset failed") }
        } else {
            let rc = kalm_deflate_init_gzip(stream, level)
            guard rc == Z_OK else { throw GzipError(code: rc, message: "deflateInit2 failed") }
            initialised = true
        }
        // Metrics text shrinks about 10× even at level 1: start from a quarter of the input and
        // grow only when deflate runs out of room (a buffer of deflateBound bytes, kept between
        // scrapes, would hold the whole uncompressed size resident for nothing).
        let wanted = max(64 * 1024, input.count / 4)
        if output.count < wanted { output = Self.uninitialized(wanted) }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        defer { stream.pointee.next_in = nil; stream.pointee.next_out = nil }
        var produced = 0
        while true {
            let rc: Int32 = output.withUnsafeMutableBytes { out in
                stream.pointee.next_out = (out.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(out.count - produced)
                let rc = deflate(stream, Z_FINISH)
                produced = out.count - Int(stream.pointee.avail_out)
                return rc
            }
            if rc == Z_STREAM_END { break }
            guard rc == Z_OK || rc == Z_BUF_ERROR, produced == output.count else {
                throw GzipError(code: rc, message: "deflate did not finish")
            }
            var bigger = Self.uninitialized(output.count * 2)
            bigger.withUnsafeMutableBytes { dst in output.withUnsafeBytes { dst.copyMemory(from: $0) } }
            output = bigger
        }
        return try output.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<produced])) }
    }
}

extension GzipCompressor {
    /// `count` bytes whose pages are touched only when written.
    fileprivate static func uninitialized(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, n in n = count }
    }
}

/// One-shot gzip compression and decompression.
public enum Gzip {
    /// One-shot gzip of `input` (allocates a compressor: prefer a kept
    /// `GzipCompressor` on hot paths).
    public static func compress(_ input: [UInt8], level: Int32 = 1) throws -> [UInt8] {
        try GzipCompressor(level: level).compress(input)
    }

    /// Inflates gzip or zlib data (all concatenated gzip members). Throws on
    /// corrupt or truncated input, or when the output would exceed `limit`.
    public static func decompress(_ input: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deinitialize(count: 1); stream.deallocate() }
        var rc = kalm_inflate_init_auto(stream)
        guard rc == Z_OK else { throw GzipError(code: rc, message: "inflateInit2 failed") }
        defer { inflateEnd(stream) }

        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(4096, min(input.count * 8, 1 << 20)))
        try input.withUnsafeBytes { inRaw in
            stream.pointee.next_in = UnsafeMutablePointer(
                mutating: inRaw.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.pointee.avail_in = uInt(inRaw.count)
            while true {
                let n: Int = chunk.withUnsafeMutableBytes { out in
                    stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.pointee.avail_out = uInt(out.count)
                    rc = inflate(stream, Z_NO_FLUSH)
                    return out.count - Int(stream.pointee.avail_out)
                }
                result.append(contentsOf: chunk[0..<n])
                if result.count > limit { throw GzipError(code: Z_BUF_ERROR, message: "output exceeds \(limit) bytes") }
                if rc == Z_STREAM_END {
                    // Another gzip member may follow.
                    if stream.pointee.avail_in == 0 { return }
                    rc = inflateReset(stream)
                    guard rc == Z_OK else { throw GzipError(code: rc, message: "inflateReset failed") }
                    continue
                }
                if rc == Z_BUF_ERROR && stream.pointee.avail_in == 0 {
                    throw GzipError(code: rc, message: "truncated input")
                }
                guard rc == Z_OK else { throw GzipError(code: rc, message: "corrupt input") }
            }
        }
        return result
    }
}
