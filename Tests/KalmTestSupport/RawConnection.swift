import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP client on a plain socket, for what curl cannot show: exact bytes,
/// pipelining, RSTs, abrupt hang-ups, and a thousand connections at once.
///
/// Unchecked Sendable: one thread uses it at a time; async tests hand it to `offPool` so
/// that its blocking reads never hold a cooperative thread the server under test needs.
public final class RawConnection: @unchecked Sendable {
    /// Why a read failed.
    public enum ReadError: Error, Equatable {
        case closed          // orderly EOF before a complete response
        case errno(Int32)    // recv failed, e.g. ECONNRESET
    }

    private let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to `127.0.0.1:port` with a receive timeout of `timeoutSeconds`.
    public init(port: Int, timeoutSeconds: Int = 15) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReadError.errno(errno) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            close(fd)
            throw ReadError.errno(code)
        }
    }

    deinit { close(fd) }

    /// Sends all of `text`.
    public func send(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            bytes = bytes.dropFirst(sent)
        }
    }

    /// Reads one response. `bodyless` for HEAD answers; bodies framed by Content-Length or chunked.
    public func readResponse(bodyless: Bool = false) throws -> (head: String, body: [UInt8]) {
        let headEnd = try readUntil(Array("\r\n\r\n".utf8))
        let head = String(decoding: take(headEnd), as: UTF8.self)
        let lower = head.lowercased()
        if bodyless { return (head, []) }
        if let line = lower.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
           let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) {
            try fill(length)
            return (head, take(length))
        }
        guard lower.contains("transfer-encoding: chunked") else { return (head, []) }
        var body: [UInt8] = []
        while true {
            let sizeLine = String(decoding: take(try readUntil(Array("\r\n".utf8))), as: UTF8.self)
            let size = Int(sizeLine.trimmingCharacters(in: .whitespacesAndNewlines), radix: 16) ?? 0
            try fill(size + 2)
            body += take(size + 2).dropLast(2)
            if size == 0 { return (head, body) }
        }
    }

    /// Reads until the peer closes; returns everything, or throws the recv error.
    public func readToEnd() throws -> [UInt8] {
        while try receive() > 0 {}
        return take(buffer.count)
    }

    /// Waits up to `seconds` for more bytes or EOF; returns the bytes that arrived.
    public func drain(for seconds: Double) -> [UInt8] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        if poll(&pfd, 1, Int32(seconds * 1000)) > 0 { _ = try? receive() }
        return take(buffer.count)
    }

    /// Everything the server sends until it closes the connection (or resets it) or
    /// `seconds` pass; never throws.
    public func readToEnd(seconds: Double) -> [UInt8] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            guard let n = try? receive(), n > 0 else { break }
        }
        return take(buffer.count)
    }

    /// Whether the server closed the connection (EOF or reset) within `seconds`; bytes
    /// that arrive first are discarded.
    public func waitForClose(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            guard let n = try? receive(), n > 0 else { return true }
            buffer.removeAll()
        }
        return false
    }

    // MARK: - Buffering

    private func receive() throws -> Int {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        let n = recv(fd, &chunk, chunk.count, 0)
        if n < 0 { throw ReadError.errno(errno) }
        buffer += chunk[0..<n]
        return n
    }

    private func fill(_ count: Int) throws {
        while buffer.count < count {
            if try receive() == 0 { throw ReadError.closed }
        }
    }

    /// Returns the count of bytes up to and including `marker`.
    private func readUntil(_ marker: [UInt8]) throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= marker.count {
                for i in searchFrom...(buffer.count - marker.count) where buffer[i..<(i + marker.count)].elementsEqual(marker) {
                    return i + marker.count
                }
                searchFrom = buffer.count - marker.count + 1
            }
            if try receive() == 0 { throw ReadError.closed }
        }
    }

    private func take(_ count: Int) -> [UInt8] {
        let taken = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return taken
    }
}
