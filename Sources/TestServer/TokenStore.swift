import NIOCore

/// The access tokens `/oauth/token` issued, with their expiry. Not thread-safe by itself:
/// `ServerState` guards it with its lock.
///
/// Bounded without ever scanning: tokens are kept in issue order, and the oldest ones are
/// dropped once expired or once there are `maxTokens`. An expired token behind a live older
/// one lingers until it reaches the front, but never past the cap, and `isValid` checks the
/// expiry itself, so lingering changes nothing a client can see.
struct TokenStore {
    /// Keep at most this many tokens; issuing one more drops the oldest issued.
    static let maxTokens = 10_000
    private var expiries: [String: NIODeadline] = [:]
    private var order: [String] = []
    private var orderHead = 0

    /// A fresh random token valid for `ttl` seconds from `now`.
    mutating func issue(ttl: Double, now: NIODeadline) -> String {
        dropOldest(now: now)
        var token = Self.randomToken()
        while expiries[token] != nil { token = Self.randomToken() }   // 2^-128, but cheap to rule out
        expiries[token] = now + .nanoseconds(Int64((ttl * 1e9).rounded()))
        order.append(token)
        return token
    }

    /// Whether `token` was issued here and has not expired at `now`.
    func isValid(_ token: String, now: NIODeadline) -> Bool {
        guard let expiry = expiries[token] else { return false }
        return now < expiry
    }

    /// Drops expired tokens from the front of the issue order, and the oldest ones beyond
    /// room for one more.
    private mutating func dropOldest(now: NIODeadline) {
        while orderHead < order.count {
            let oldest = order[orderHead]
            let expired = expiries[oldest].map { $0 <= now } ?? true
            guard expired || expiries.count >= Self.maxTokens else { break }
            expiries[oldest] = nil
            orderHead += 1
        }
        // Reclaim the consumed prefix once it is most of the array (amortised O(1)).
        if orderHead > 1024, orderHead * 2 > order.count {
            order.removeFirst(orderHead)
            orderHead = 0
        }
    }

    /// 128 random bits as 32 lower-case hex digits.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
