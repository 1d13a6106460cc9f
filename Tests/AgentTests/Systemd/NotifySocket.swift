import Foundation
import KalmSupport
import KalmTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What systemd's end of `$NOTIFY_SOCKET` is: an `AF_UNIX` `SOCK_DGRAM` socket, here bound
/// by the test, with `SO_PASSCRED` so each datagram carries its sender's pid (systemd's
/// `NotifyAccess=main` accepts only the main process's). A background thread records every
/// datagram with the time it arrived.
final class NotifySocket: Sendable {
    struct Message: Sendable {
        var text: String
        var at: Date
        /// The sender's pid (SCM_CREDENTIALS), or 0 if none came with it.
        var pid: Int32

        /// `KEY=VALUE` lines as a dictionary.
        var fields: [String: String] {
            var out: [String: String] = [:]
            for line in text.split(separator: "\n") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                out[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
            return out
        }

        func has(_ assignment: String) -> Bool { text.split(separator: "\n").contains { $0 == assignment } }
    }

    /// What `$NOTIFY_SOCKET` must say: the path, or `@name` for the abstract namespace.
    let environmentValue: String
    private let fd: Int32
    /// Datagrams received so far, and whether the reader should stop.
    private let state = Locked((received: [Message](), closing: false))
    private let stopped = DispatchSemaphore(value: 0)
    private let directory: URL?

    /// Binds a socket file in a fresh temp directory.
    static func path() throws -> NotifySocket {
        let dir = try tempDirectory()
        return try NotifySocket(address: [UInt8](dir.appendingPathComponent("notify.sock").path.utf8), abstract: false, directory: dir)
    }

    /// Binds `@kalm-test-<uuid>` in the abstract namespace.
    static func abstract() throws -> NotifySocket {
        try NotifySocket(address: [UInt8]("kalm-test-\(UUID().uuidString)".utf8), abstract: true, directory: nil)
    }

    private init(address: [UInt8], abstract: Bool, directory: URL?) throws {
        self.directory = directory
        environmentValue = (abstract ? "@" : "") + String(decoding: address, as: UTF8.self)
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket(AF_UNIX, SOCK_DGRAM) failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = abstract ? [0] + address : address
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd)
            throw TestFailure("socket address too long: \(environmentValue)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + bytes.count + (abstract ? 0 : 1))
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw TestFailure("bind(\(environmentValue)) failed: errno \(e)")
        }
        Thread.detachNewThread { [self] in receiveLoop() }
    }

    deinit {
        state.withLock { $0.closing = true }
        _ = stopped.wait(timeout: .now() + 2)
        close(fd)
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    private func receiveLoop() {
        defer { stopped.signal() }
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Room for one SCM_CREDENTIALS control message (cmsghdr + ucred, aligned).
        var control = [UInt8](repeating: 0, count: 64)
        while !state.withLock({ $0.closing }) {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            var pid: Int32 = 0
            let n = buffer.withUnsafeMutableBytes { buf -> Int in
                control.withUnsafeMutableBytes { ctl -> Int in
                    var iov = iovec(iov_base: buf.baseAddress, iov_len: buf.count)
                    return withUnsafeMutablePointer(to: &iov) { iovp -> Int in
                        var msg = msghdr()
                        msg.msg_iov = iovp
                        msg.msg_iovlen = 1
                        msg.msg_control = ctl.baseAddress
                        msg.msg_controllen = ctl.count
                        let n = recvmsg(fd, &msg, Int32(MSG_DONTWAIT))
                        guard n >= 0, msg.msg_controllen >= MemoryLayout<cmsghdr>.size else { return n }
                        let header = ctl.load(as: cmsghdr.self)
                        if header.cmsg_level == SOL_SOCKET, header.cmsg_type == 2 /* SCM_CREDENTIALS (needs _GNU_SOURCE in C) */ {
                            let offset = (MemoryLayout<cmsghdr>.size + MemoryLayout<Int>.size - 1) & ~(MemoryLayout<Int>.size - 1)
                            pid = ctl.load(fromByteOffset: offset, as: Int32.self)  // struct ucred starts with pid
                        }
                        return n
                    }
                }
            }
            guard n > 0 else { continue }
            let text = String(decoding: buffer[0..<n], as: UTF8.self)
            state.withLock { $0.received.append(Message(text: text, at: Date(), pid: pid)) }
        }
    }

    var messages: [Message] { state.withLock { $0.received } }

    /// Waits (≤ `timeout` s) for a message, after the first `after` ones, containing `assignment`
    /// (e.g. `READY=1`); returns its index.
    func waitFor(_ assignment: String, after: Int = 0, timeout: Double) -> Int? {
        pollValue(timeout: timeout, interval: 0.005) {
            let ms = messages
            return ms.indices.first { $0 >= after && ms[$0].has(assignment) }
        }
    }
}

/// `kalm agent` started through `/usr/bin/env -u ...`, so that no `NOTIFY_SOCKET`/`WATCHDOG_*`
/// of the test runner's own environment leaks into it (env execs kalm: same pid).
final class NotifyingAgent {
    let child: ChildProcess
    let directory: URL
    let configPath: String

    init(yaml: String, environment: [String: String], args: [String] = []) throws {
        directory = try tempDirectory()
        configPath = directory.appendingPathComponent("kalm.yml").path
        try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
        let unset = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "CREDENTIALS_DIRECTORY"].flatMap { ["-u", $0] }
        let set = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        child = try ChildProcess("/usr/bin/env", unset + set + [KalmProcess.binary, "agent", "-c", configPath,
                                                                "--web.listen-address", "127.0.0.1:0"] + args)
    }

    deinit {
        child.forceStop()
        try? FileManager.default.removeItem(at: directory)
    }

    var pid: Int32 { child.pid }
    /// `127.0.0.1:PORT` once the agent has logged it.
    var address: String? { AgentProcess.listeningAddress(in: child.stderr) }
}
