import Foundation
import KalmSupport
import Logging
import Measurements
import Probes

/// Logs a probe's OAuth2 token fetches going wrong and coming right again: the metric
/// (`kalm_auth_token_fetches_total`) says how often, the log says that it started. A warning
/// at the first failure, then at most one a minute while failures go on, and an info line
/// when a fetch succeeds again. Never logs the secret or the token: only the reason.
final class TokenFetchWatch: Sendable {
    private struct Seen {
        var successes: UInt64 = 0
        var failures: UInt64 = 0
        var byReason: [UInt64] = Array(repeating: 0, count: FailureReason.allCases.count)
        var failing = false
        var lastWarning: UInt64 = 0
    }

    private let logger: Logger
    private let seen = Locked([ObjectIdentifier: Seen]())
    /// Warnings while a probe keeps failing come at most this often.
    static let repeatEvery: UInt64 = 60_000_000_000

    init(logger: Logger) {
        self.logger = logger
    }

    /// Compares each OAuth2 probe's fetch counts with the last look and logs what changed.
    func check(scenario: String, probes: [ProbeSpec], recorders: [ProbeRecorder], now: UInt64 = MonotonicClock.now()) {
        for (p, r) in zip(probes, recorders) {
            guard case .oauth2(let o)? = p.auth else { continue }
            let t = r.tokenFetchSnapshot()
            let failures = t.total - t.successes
            var reason: FailureReason?
            let message: (Logger.Level, String)? = seen.withLock { all in
                var s = all[ObjectIdentifier(r)] ?? Seen()
                // The reason of the failures since the last look, not of all time.
                reason = FailureReason.allCases.max { t.failures[Int($0.rawValue)] - s.byReason[Int($0.rawValue)] < t.failures[Int($1.rawValue)] - s.byReason[Int($1.rawValue)] }
                s.byReason = t.failures
                defer { all[ObjectIdentifier(r)] = s }
                let newFailures = failures > s.failures, newSuccesses = t.successes > s.successes
                s.failures = failures
                s.successes = t.successes
                if newFailures, !newSuccesses || !s.failing {
                    let repeatDue = now &- s.lastWarning >= Self.repeatEvery
                    guard !s.failing || repeatDue else { return nil }
                    s.failing = true
                    s.lastWarning = now
                    return (.warning, "OAuth2 token fetch failed; the probe's steps fail with reason auth until a fetch succeeds")
                }
                if newSuccesses, s.failing {
                    s.failing = false
                    return (.info, "OAuth2 token fetched again")
                }
                return nil
            }
            guard let (level, text) = message else { continue }
            var meta: Logger.Metadata = ["scenario": .string(scenario), "probe": .string(p.name),
                                         "token_url": .string(Self.redacted(o.tokenURL)), "failures": .stringConvertible(failures)]
            if level == .warning, let reason { meta["reason"] = .string(reason.description) }
            logger.log(level: level, "\(text)", metadata: meta)
        }
    }

    /// The URL without userinfo or query, which may carry credentials.
    static func redacted(_ url: String) -> String {
        guard var c = URLComponents(string: url) else { return "(invalid URL)" }
        c.user = nil
        c.password = nil
        c.query = nil
        c.fragment = nil
        return c.string ?? "(invalid URL)"
    }
}
