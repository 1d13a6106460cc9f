import Foundation
import KalmSupport
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// systemd's service notification protocol (sd_notify(3)), written out instead of linking
/// libsystemd: each message is one datagram of `KEY=VALUE` lines sent over an `AF_UNIX`
/// `SOCK_DGRAM` socket to `$NOTIFY_SOCKET` (a filesystem path, or `@name` for the
/// abstract namespace). With `Type=notify` systemd waits for `READY=1` before it
/// considers the service started; with `WatchdogSec=` it expects `WATCHDOG=1` at least
/// every `$WATCHDOG_USEC` microseconds and restarts the service when they stop coming.
///
/// Nothing here is needed outside systemd: `fromEnvironment` returns nil when
/// `$NOTIFY_SOCKET` is unset, and every caller holds an optional notifier.
final class SystemdNotifier: Sendable {
    enum Address: Equatable, CustomStringConvertible {
        /// A socket file, e.g. `/run/systemd/notify`.
        case path(String)
        /// A socket in the abstract namespace: `@name` in `$NOTIFY_SOCKET`, without the `@`.
        case abstract(String)

        /// `$NOTIFY_SOCKET` as sd_notify reads it: an absolute path or `@name`; nil for
        /// anything else (systemd ≥ 254's `vsock:` addresses are not supported).
        init?(_ text: String) {
            if text.hasPrefix("/") {
                self = .path(text)
            } else if text.hasPrefix("@"), text.count > 1 {
                self = .abstract(String(text.dropFirst()))
            } else {
                return nil
            }
        }

        var description: String {
            switch self {
            case .path(let p): return p
            case .abstract(let n): return "@" + n
            }
        }

        /// The `sun_path` bytes, and whether a terminating NUL belongs to the address length.
        var sunPath: [UInt8] {
            switch self {
            case .path(let p): return Array(p.utf8)
            case .abstract(let n): return [0] + Array(n.utf8)
            }
        }
    }

    let address: Address
    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3)
    /// recommends; nil when systemd expects no pings from this process.
    let watchdogInterval: Duration?

    init(address: Address, watchdogInterval: Duration? = nil) {
        self.address = address
        self.watchdogInterval = watchdogInterval
    }

    /// The notifier systemd asked for through the environment, or nil (not run by systemd,
    /// or `Type=` is not `notify`). An unusable `$NOTIFY_SOCKET` is logged and ignored.
    static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment,
                                pid: pid_t = getpid(), logger: Logger? = nil) -> SystemdNotifier? {
        guard let socket = environment["NOTIFY_SOCKET"], !socket.isEmpty else { return nil }
        guard let address = Address(socket), address.sunPath.count < Self.maxSunPath else {
            logger?.warning("NOTIFY_SOCKET is not an absolute path or @abstract name that fits a unix socket address; not notifying systemd",
                            metadata: ["NOTIFY_SOCKET": .string(socket)])
            return nil
        }
        return SystemdNotifier(address: address, watchdogInterval: watchdogInterval(environment, pid: pid))
    }

    /// Half of `$WATCHDOG_USEC` when it is a positive number and `$WATCHDOG_PID` is unset or
    /// this process (systemd sets it so that a child does not ping for its parent).
    static func watchdogInterval(_ environment: [String: String], pid: pid_t) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], !owner.isEmpty, pid_t(owner) != pid { return nil }
        return .microseconds(Int64(clamping: usec / 2))
    }

    static let maxSunPath = MemoryLayout.size(ofValue: sockaddr_un().sun_path)

    // MARK: Messages

    /// `READY=1`: start-up (or a reload) is finished.
    @discardableResult
    func ready(status: String) -> Bool {
        send(["READY=1", Self.status(status)])
    }

    /// `RELOADING=1` with `MONOTONIC_USEC=` (systemd ≥ 253 wants it; older ones ignore it).
    /// Must be followed by `ready(status:)` once the reload is over, whatever its outcome.
    @discardableResult
    func reloading(status: String = "reloading the config") -> Bool {
        send(["RELOADING=1", "MONOTONIC_USEC=\(Self.monotonicMicroseconds())", Self.status(status)])
    }

    /// `STOPPING=1`: shutdown has begun.
    @discardableResult
    func stopping(status: String) -> Bool {
        send(["STOPPING=1", Self.status(status)])
    }

    /// `WATCHDOG=1`: still alive.
    @discardableResult
    func watchdog() -> Bool {
        send(["WATCHDOG=1"])
    }

    /// Sends `WATCHDOG=1` every `watchdogInterval`, each time after `isAlive` returned true,
    /// until the task is cancelled. A wedged `isAlive` stops the pings, so systemd restarts
    /// the service: that is the point of the watchdog.
    func runWatchdog(isAlive: @Sendable () async -> Bool) async {
        guard let interval = watchdogInterval else { return }
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            if await isAlive() { watchdog() }
            next = next.advanced(by: interval)
            if next < clock.now { next = clock.now }  // fell behind: do not burst
            do { try await Task.sleep(until: next, clock: clock) } catch { return }
        }
    }

    /// One datagram of newline-separated `KEY=VALUE` lines. False when it could not be sent
    /// (no listener, socket buffer full: never blocks, never raises SIGPIPE).
    @discardableResult
    func send(_ lines: [String]) -> Bool {
        let message = Array(lines.joined(separator: "\n").utf8)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let path = address.sunPath
        guard path.count < Self.maxSunPath else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: path) }
        // A path's length includes its NUL; an abstract name is exactly its bytes (no NUL).
        var length = MemoryLayout<sockaddr_un>.offset(of: \sockaddr_un.sun_path)! + path.count
        if case .path = address { length += 1 }
        let sent = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, message, message.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), $0, socklen_t(length))
            }
        }
        return sent == message.count
    }

    /// `STATUS=` with the text on one line.
    static func status(_ text: String) -> String {
        "STATUS=" + text.map { $0.isNewline ? " " : String($0) }.joined()
    }

    /// CLOCK_MONOTONIC in microseconds, the clock `MONOTONIC_USEC=` is read against.
    static func monotonicMicroseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
    }
}

/// Sends `READY=1` once both halves of the agent are up: `/metrics` is listening and the
/// scenarios have started (whichever comes last sends it, once).
final class SystemdReadiness: Sendable {
    private struct State {
        var addresses: [String]?
        var started = false
        var sent = false
    }

    private let notifier: SystemdNotifier
    private let state = Locked(State())
    /// The `STATUS=` line for READY=1, given the bound addresses.
    private let status: @Sendable ([String]) -> String

    init(notifier: SystemdNotifier, status: @escaping @Sendable ([String]) -> String) {
        self.notifier = notifier
        self.status = status
    }

    func listening(_ addresses: [String]) {
        update { $0.addresses = addresses }
    }

    func probesStarted() {
        update { $0.started = true }
    }

    private func update(_ change: (inout State) -> Void) {
        let addresses = state.withLock { s -> [String]? in
            change(&s)
            guard let a = s.addresses, s.started, !s.sent else { return nil }
            s.sent = true
            return a
        }
        if let addresses { notifier.ready(status: status(addresses)) }
    }
}
