import CZlib
import NIOCore

/// Response bodies for `/bytes` and `/gzip`, built once per size and reused. Not
/// thread-safe by itself: `ServerState` guards it with its lock.
struct BodyCache {
    /// Keep at most this many sizes per kind; the cache is cleared when it would grow past it.
    static let maxEntries = 16
    private var plainBodies: [Int: ByteBuffer] = [:]
    private var gzipBodies: [Int: ByteBuffer] = [:]

    /// `size` bytes of `a`.
    mutating func plain(size: Int) -> ByteBuffer {
        if let body = plainBodies[size] { return body }
        if plainBodies.count >= Self.maxEntries { plainBodies.removeAll() }
        let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: size)
        plainBodies[size] = body
        return body
    }

    /// A gzip stream whose decompressed content is `size` zero bytes.
    mutating func gzip(size: Int) -> ByteBuffer {
        if let body = gzipBodies[size] { return body }
        if gzipBodies.count >= Self.maxEntries { gzipBodies.removeAll() }
        let body = Self.gzipZeros(count: size)
        gzipBodies[size] = body
        return body
    }

    /// Compresses `count` zero bytes with zlib (gzip container, or zlib's for
    /// `Content-Encoding: deflate`; best compression), feeding the input from a small
    /// reusable block so `count` bytes are never allocated.
    static func gzipZeros(count: Int, zlibContainer: Bool = false) -> ByteBuffer {
        let block = [UInt8](repeating: 0, count: 64 * 1024)
        var output: [UInt8] = []
        var out = [UInt8](repeating: 0, count: 64 * 1024)
        var stream = z_stream()
        let initialised = zlibContainer ? kalm_deflate_init_zlib(&stream, Z_BEST_COMPRESSION)
                                        : kalm_deflate_init_gzip(&stream, Z_BEST_COMPRESSION)
        guard initialised == Z_OK else {
            fatalError("deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var remaining = count
        block.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { outBuf in
                var finished = false
                while !finished {
                    let chunk = min(remaining, input.count)
                    remaining -= chunk
                    let flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH
                    stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
                    stream.avail_in = UInt32(chunk)
                    repeat {
                        stream.next_out = outBuf.baseAddress!
                        stream.avail_out = UInt32(outBuf.count)
                        let rc = deflate(&stream, flush)
                        precondition(rc != Z_STREAM_ERROR, "deflate failed")
                        output.append(contentsOf: outBuf[0..<(outBuf.count - Int(stream.avail_out))])
                        if rc == Z_STREAM_END { finished = true }
                    } while stream.avail_out == 0
                }
            }
        }
        return ByteBuffer(bytes: output)
    }
}
