import CCrypt
import Dispatch
import Foundation
import KalmSupport

/// HTTP basic auth against bcrypt hashes (`basic_auth_users` of `--web.config.file`, as
/// exporter-toolkit checks them; docs/configuration.md, "The endpoint").
///
/// A bcrypt check costs tens of milliseconds by design, so it never runs on the event loop:
/// checks run one at a time on a queue of their own, at most `maxPending` waiting; beyond
/// that a request is told `.busy` (429) without any hashing. Outcomes are cached: right
/// credentials in a cache of their own that guesses cannot touch, so a scraper with the
/// right password pays once and is then answered at once however hard wrong passwords are
/// hammered; wrong ones in a bounded cache that starts over when full. An unknown user is
/// checked against a dummy hash, so timing does not tell which users exist.
public final class BasicAuthenticator: Sendable {
    /// What a check concluded.
    public enum Outcome: Sendable { case allowed, denied, busy }

    private struct Caches {
        var allowed: Set<String> = []
        var denied: Set<String> = []
        var pending = 0
    }

    /// user → bcrypt hash.
    private let users: [String: String]
    private let caches = Locked(Caches())
    private let queue = DispatchQueue(label: "kalm-bcrypt")
    /// Wrong credentials remembered; past it that cache starts over (guesses cannot grow memory).
    static let cacheLimit = 1024
    /// Right credentials remembered (only a password holder can add one).
    static let allowedLimit = 64
    /// Checks waiting for the bcrypt queue at most; more are answered `.busy`.
    public static let maxPending = 32
    /// bcrypt (cost 10) of a password nobody has, for unknown users.
    static let dummyHash = "$2b$10$abcdefghijklmnopqrstuuqflPDzB6gcMhKa1rZqKiun2YGL5sa2u"

    /// An authenticator for `users` (name → bcrypt hash).
    public init(users: [String: String]) {
        self.users = users
    }

    /// The user and password of an `Authorization: Basic ...` header, if it is one.
    public static func credentials(_ header: String?) -> (user: String, password: String)? {
        guard let header, header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        guard let data = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private func key(_ user: String, _ password: String) -> String {
        "\(user.utf8.count):\(user)\(users[user] ?? "")\(password)"
    }

    /// The cached outcome for these credentials, if any (no bcrypt work).
    public func cached(user: String, password: String) -> Bool? {
        let k = key(user, password)
        return caches.withLock { c in c.allowed.contains(k) ? true : c.denied.contains(k) ? false : nil }
    }

    /// Checks the credentials off the caller's thread, one bcrypt at a time, and caches the
    /// outcome; `.busy` without hashing when `maxPending` checks are already waiting.
    public func verify(user: String, password: String) async -> Outcome {
        if let known = cached(user: user, password: password) { return known ? .allowed : .denied }
        let admitted = caches.withLock { c -> Bool in
            guard c.pending < Self.maxPending else { return false }
            c.pending += 1
            return true
        }
        guard admitted else { return .busy }
        let hash = users[user]
        let ok: Bool = await withCheckedContinuation { c in
            queue.async {
                let matches = Self.bcryptMatches(password: password, hash: hash ?? Self.dummyHash)
                c.resume(returning: hash != nil && matches)
            }
        }
        let k = key(user, password)
        caches.withLock { c in
            c.pending -= 1
            if ok {
                if c.allowed.count >= Self.allowedLimit { c.allowed.remove(c.allowed.first!) }
                c.allowed.insert(k)
            } else {
                if c.denied.count >= Self.cacheLimit { c.denied.removeAll(keepingCapacity: true) }
                c.denied.insert(k)
            }
        }
        return ok ? .allowed : .denied
    }

    /// Whether `password` hashes to `hash` (libcrypt's `crypt_r`; constant-time comparison).
    static func bcryptMatches(password: String, hash: String) -> Bool {
        let data = UnsafeMutablePointer<crypt_data>.allocate(capacity: 1)
        defer { data.deallocate() }
        memset(data, 0, MemoryLayout<crypt_data>.size)
        guard let out = crypt_r(password, hash, data) else { return false }
        let computed = Array(String(cString: out).utf8), expected = Array(hash.utf8)
        guard computed.count == expected.count, !computed.isEmpty, computed.first != UInt8(ascii: "*") else { return false }
        var diff: UInt8 = 0
        for i in 0..<computed.count { diff |= computed[i] ^ expected[i] }
        return diff == 0
    }

    /// Whether `hash` is a bcrypt hash libcrypt can check: `$2a$`, `$2b$` or `$2y$`, cost 4–31, 60 characters.
    public static func isBcryptHash(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == UInt8(ascii: "$"), b[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(b[2]), b[3] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: b[4..<6], as: UTF8.self)), (4...31).contains(cost), b[6] == UInt8(ascii: "$")
        else { return false }
        return true
    }
}
