import CCurl
import Foundation
import KalmSupport
import Synchronization

/// The OAuth 2.0 client-credentials token of one probe in one engine run, shared by all its
/// VUs on every engine thread (docs/configuration.md, "Authentication").
///
/// A thread of its own fetches it (blocking libcurl, off the engine threads), refreshes it
/// when 80 % of its lifetime has passed, and fetches again at once after a VU reports a 401
/// for the current token. Until a token is there VUs wait; when fetching failed and no valid
/// token is left, their steps fail with reason `auth`. The secret and the token never leave
/// this type except in the request headers.
final class TokenSource: @unchecked Sendable {
    /// What a VU may do now.
    enum Status {
        /// Send this token; `generation` identifies it for `rejected(generation:)`.
        case ready(header: String, generation: Int)
        /// A fetch is under way: try again shortly.
        case pending
        /// Fetching failed and no valid token is left.
        case failed
    }

    private struct State {
        var header: String?
        var expiresAt: UInt64 = .max
        var generation = 0
        var failed = false
        var refreshAt: UInt64 = 0
        var stopped = false
        /// Wait before fetching again after the API refused a token it had only just been given.
        var rejectBackoff: Double = 1
    }

    private let spec: OAuth2Spec
    private let probe: Int
    private let sink: ResultSink
    // Unchecked Sendable: `state` is only touched with `condition` locked.
    private let condition = NSCondition()
    private var state = State()
    private var thread: Thread?
    /// The last token generation the API answered other than 401 (lock-free: read per request).
    private let acceptedGeneration = Atomic<Int>(0)

    init(spec: OAuth2Spec, probe: Int, sink: ResultSink) {
        self.spec = spec
        self.probe = probe
        self.sink = sink
    }

    /// Starts fetching.
    func start() {
        let t = Thread { [self] in run() }
        t.name = "kalm-oauth2-\(probe)"
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Stops the fetch thread (a fetch under way finishes first).
    func stop() {
        condition.lock()
        state.stopped = true
        condition.signal()
        condition.unlock()
    }

    /// What a VU may send now.
    func status(now: UInt64) -> Status {
        condition.lock()
        defer { condition.unlock() }
        if let h = state.header, now < state.expiresAt { return .ready(header: h, generation: state.generation) }
        return state.failed ? .failed : .pending
    }

    /// A request with token `generation` got an answer other than 401: the API takes that token.
    func accepted(generation: Int) {
        if acceptedGeneration.load(ordering: .relaxed) != generation {
            acceptedGeneration.store(generation, ordering: .relaxed)
        }
    }

    /// A request with token `generation` got 401: drop that token and fetch a new one now; when
    /// the API never took the token (wrong audience or scope), back off (1 s doubling to 30 s)
    /// and fail the steps with `auth` meanwhile, rather than fetch at the request rate.
    func rejected(generation: Int) {
        condition.lock()
        if generation == state.generation, state.header != nil {
            let now = MonotonicClock.now()
            state.header = nil
            if acceptedGeneration.load(ordering: .relaxed) != generation {
                state.failed = true
                state.refreshAt = now &+ UInt64(state.rejectBackoff * 1e9)
                state.rejectBackoff = min(state.rejectBackoff * 2, 30)
            } else {
                state.rejectBackoff = 1
                state.refreshAt = 0
            }
            condition.signal()
        }
        condition.unlock()
    }

    private func run() {
        var backoff: Double = 1
        while true {
            condition.lock()
            while !state.stopped {
                let now = MonotonicClock.now()
                guard now < state.refreshAt else { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: min(Double(state.refreshAt - now) / 1e9, 3600)))
            }
            let stopped = state.stopped
            condition.unlock()
            if stopped { return }

            let started = MonotonicClock.now()
            let outcome = fetch()
            let finished = MonotonicClock.now()
            sink.recordTokenFetch(probe: probe, failure: outcome.failure,
                                  duration: .nanoseconds(Int64(finished &- started)))
            condition.lock()
            if let token = outcome.token {
                state.header = "Authorization: Bearer \(token)"
                state.generation += 1
                state.failed = false
                if let given = outcome.expiresIn, given.isFinite, given > 0 {
                    // A lifetime from outside is bounded: at least 1 s (no fetch storm), at most a year.
                    let life = min(max(given, 1), 365 * 86400)
                    state.expiresAt = started &+ UInt64(life * 1e9)
                    // Refresh with a fifth of the lifetime (at most a minute) left, so a VU never holds an expired token.
                    let margin = min(60, life * 0.2)
                    state.refreshAt = started &+ UInt64((life - margin) * 1e9)
                } else {
                    state.expiresAt = .max
                    state.refreshAt = .max
                }
                backoff = 1
            } else {
                state.failed = true
                state.refreshAt = finished &+ UInt64(backoff * 1e9)
                backoff = min(backoff * 2, 30)
            }
            condition.unlock()
        }
    }

    private struct Outcome {
        var token: String?
        var expiresIn: Double?
        var failure: FailureReason?
    }

    /// One token request, blocking.
    private func fetch() -> Outcome {
        guard let easy = curl_easy_init() else { return Outcome(failure: .other) }
        defer { curl_easy_cleanup(easy) }
        var form: [(String, String)] = [("grant_type", "client_credentials")]
        if !spec.scopes.isEmpty { form.append(("scope", spec.scopes.joined(separator: " "))) }
        if let a = spec.audience { form.append(("audience", a)) }
        form += spec.extraParameters
        var headers: [String] = ["Content-Type: application/x-www-form-urlencoded", "Accept: application/json",
                                 "User-Agent: \(KalmVersion.userAgent)", "Expect:"]
        switch spec.clientAuth {
        case .basic:
            let credentials = FormEncoding.encode(spec.clientID) + ":" + FormEncoding.encode(spec.clientSecret)
            headers.append("Authorization: Basic " + Base64.encode(Array(credentials.utf8)))
        case .post:
            form.append(("client_id", spec.clientID))
            form.append(("client_secret", spec.clientSecret))
        }
        let body = form.map { FormEncoding.encode($0.0) + "=" + FormEncoding.encode($0.1) }.joined(separator: "&")
        let list = CompiledStep.slist(headers)
        defer { curl_slist_free_all(list) }
        let (url, connectTo) = CompiledStep.route(spec.tokenURL, serverName: spec.tls.serverName)
        defer { curl_slist_free_all(connectTo) }
        var response: [UInt8] = []
        let code: CURLcode = body.withCString { bodyPtr in
            withUnsafeMutablePointer(to: &response) { out in
                _ = kalm_easy_setopt_string(easy, CURLOPT_URL, url)
                _ = kalm_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
                _ = kalm_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
                _ = kalm_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(spec.timeout.nanoseconds / 1_000_000)))
                _ = kalm_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
                if let connectTo { _ = kalm_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectTo) }
                _ = kalm_easy_setopt_long(easy, CURLOPT_POST, 1)
                _ = kalm_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bodyPtr))
                _ = kalm_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(strlen(bodyPtr)))
                TLSSetup.apply(spec.tls, to: easy)
                _ = kalm_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, tokenWriteCallback)
                _ = kalm_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, UnsafeMutableRawPointer(out))
                return curl_easy_perform(easy)
            }
        }
        guard code == CURLE_OK else { return Outcome(failure: ResponseReader.reason(for: code, errorText: nil)) }
        var status = 0
        _ = kalm_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        // 400/401/403: the server refused these credentials (RFC 6749 §5.2).
        guard (200...299).contains(status) else { return Outcome(failure: [400, 401, 403].contains(status) ? .auth : .status) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response)) as? [String: Any],
              let token = object["access_token"] as? String, !token.isEmpty,
              !token.contains(where: { $0 == "\r" || $0 == "\n" })
        else { return Outcome(failure: .auth) }
        let life = (object["expires_in"] as? NSNumber)?.doubleValue ?? (object["expires_in"] as? String).flatMap(Double.init)
        return Outcome(token: token, expiresIn: life, failure: nil)
    }
}

/// Token responses are small; anything past 64 KiB is not a token response.
private func tokenWriteCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let len = size * n
    let out = user!.assumingMemoryBound(to: [UInt8].self)
    guard out.pointee.count + len <= 64 * 1024 else { return 0 }
    if let p = ptr {
        p.withMemoryRebound(to: UInt8.self, capacity: len) { out.pointee.append(contentsOf: UnsafeBufferPointer(start: $0, count: len)) }
    }
    return len
}

/// `application/x-www-form-urlencoded` (RFC 6749 appendix B).
enum FormEncoding {
    static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = String(b, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return out
    }
}
