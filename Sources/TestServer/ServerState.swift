import Foundation
import NIOCore

/// State shared by every connection of one `FaultServer`: request counters, the
/// in-progress gauge, the `/ramp` clock, the `/limited` gates, cached bodies, and the
/// OAuth tokens and `/api/items` objects.
/// Unchecked Sendable: every mutable member is guarded by `lock`, so it is safe to use from
/// any event loop (LoadTests drive it from a thousand connections at once).
final class ServerState: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var total = 0
    private var inProgress = 0
    private var maxInProgress = 0
    private var rampStart: NIODeadline?
    private var gates: [Int: CapacityGate] = [:]
    private var bodies = BodyCache()
    private var switches: [String: Int] = [:]
    private var tokens = TokenStore()
    private var items = ItemStore()
    private var latencies: [LatencyLogEntry] = []

    /// Logs a `/latency` answer (at most a million are kept).
    func logLatency(_ e: LatencyLogEntry) { lock.withLock { if latencies.count < 1_000_000 { latencies.append(e) } } }
    var latencyLog: [LatencyLogEntry] { lock.withLock { latencies } }

    /// The pseudo-path under which `countUnauthorized()` counts, so that
    /// `count(path:)` and `GET /count?path=unauthorized` read it like any request count.
    static let unauthorizedPath = "unauthorized"

    /// The status `/switch?name=` answers with (200 unless set).
    func switchStatus(_ name: String) -> Int { lock.withLock { switches[name] ?? 200 } }
    func setSwitch(_ name: String, status: Int) { lock.withLock { switches[name] = status } }

    /// Records the start of a request to `path`; returns its 1-based ordinal among requests
    /// to `path` since the last reset (used by `/flaky`).
    func requestStarted(path: String) -> Int {
        lock.withLock {
            total += 1
            inProgress += 1
            maxInProgress = max(maxInProgress, inProgress)
            let ordinal = (counts[path] ?? 0) + 1
            counts[path] = ordinal
            return ordinal
        }
    }

    /// Records that a request started with `requestStarted` has been answered or abandoned.
    func requestFinished() {
        lock.withLock { inProgress -= 1 }
    }

    func count(path: String) -> Int { lock.withLock { counts[path] ?? 0 } }
    var totalRequests: Int { lock.withLock { total } }
    var maxConcurrentSeen: Int { lock.withLock { maxInProgress } }

    /// Clears the counters and the `/ramp` clock; the in-progress high-water mark restarts
    /// from the number of requests in progress right now.
    func reset() {
        lock.withLock {
            counts = [:]
            total = 0
            maxInProgress = inProgress
            rampStart = nil
        }
    }

    /// Seconds since the first `/ramp` request after the last reset (0 for that first one).
    func rampElapsedSeconds(now: NIODeadline = .now()) -> Double {
        lock.withLock {
            let start = rampStart ?? now
            rampStart = start
            return Double((now - start).nanoseconds) / 1e9
        }
    }

    /// The FIFO gate shared by all `/limited` requests that ask for `capacity`.
    func gate(capacity: Int) -> CapacityGate {
        lock.withLock {
            if let gate = gates[capacity] { return gate }
            let gate = CapacityGate(capacity: capacity)
            gates[capacity] = gate
            return gate
        }
    }

    /// An `n`-byte body for `/bytes`, cached.
    func plainBody(size: Int) -> ByteBuffer { lock.withLock { bodies.plain(size: size) } }

    /// A gzip body that inflates to `size` zero bytes for `/gzip`, built once per size.
    func gzipBody(size: Int) -> ByteBuffer { lock.withLock { bodies.gzip(size: size) } }

    // MARK: - OAuth and /api/items

    /// Issues an access token valid for `ttl` seconds from now.
    func issueToken(ttl: Double) -> String { lock.withLock { tokens.issue(ttl: ttl, now: .now()) } }

    /// Forgets every issued token: requests with them get 401 from now on.
    func revokeTokens() { lock.withLock { tokens = TokenStore() } }

    /// Whether `token` was issued by this server and has not expired.
    func isTokenValid(_ token: String) -> Bool { lock.withLock { tokens.isValid(token, now: .now()) } }

    /// Counts one 401 answer under `unauthorizedPath`. Cleared by `reset()` with the others.
    func countUnauthorized() { lock.withLock { counts[Self.unauthorizedPath, default: 0] += 1 } }

    /// Stores `object` with a fresh id; the id and the stored JSON text.
    func addItem(_ object: [String: Any]) throws -> (id: String, json: String) {
        try lock.withLock { try items.add(object) }
    }

    /// The stored JSON text of item `id`, or nil.
    func item(_ id: String) -> String? { lock.withLock { items.get(id) } }

    /// Removes item `id`; whether it was there.
    func removeItem(_ id: String) -> Bool { lock.withLock { items.remove(id) } }
}
