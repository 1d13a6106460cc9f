import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 that was free a moment ago (bind :0, read the port, close). A
/// tiny window remains in which another process could take it; tests that can should let
/// the server bind :0 and read its address instead.
public func freeLoopbackPort() throws -> Int {
    try ListeningSocket(listen: false).port
}

/// A socket bound (and by default listening) on 127.0.0.1:<ephemeral> until deinit: a busy
/// address, or with `listen: false` a port nothing answers on.
public final class ListeningSocket {
    /// The socket.
    public let fd: Int32
    /// The bound port.
    public let port: Int

    /// Binds 127.0.0.1:0, and listens unless `listen` is false.
    public init(listen shouldListen: Bool = true) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0, !shouldListen || listen(fd, 16) == 0 else {
            close(fd)
            throw TestFailure("bind/listen on 127.0.0.1:0 failed: errno \(errno)")
        }
        var out = sockaddr_in()
        var len = size
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: out.sin_port))
    }

    deinit { close(fd) }
}
