import CCurl
import Foundation

/// One GET of an endpoint's health path, as an orchestrator's probe would make it, but able
/// to present what a secured endpoint asks for (docs/configuration.md, "Health checks"): a CA,
/// a client certificate and basic-auth credentials. `kalm health` runs it, so containers
/// without a shell or curl (the kalm image) can still check themselves.
public struct HealthCheck: Sendable {
    /// The URL to GET, e.g. `https://127.0.0.1:9877/-/ready`.
    public var url: String
    /// Certificate options (the CA to verify with, a client certificate, or no verification).
    public var tls: TLSOptions
    /// Basic-auth user and password; nil sends none.
    public var basicAuth: (user: String, password: String)?
    /// How long the whole request may take.
    public var timeout: Duration

    /// A check of `url` with `tls`, optional credentials and a deadline.
    public init(url: String, tls: TLSOptions = TLSOptions(), basicAuth: (user: String, password: String)? = nil,
                timeout: Duration = .seconds(5)) {
        self.url = url
        self.tls = tls
        self.basicAuth = basicAuth
        self.timeout = timeout
    }

    /// What the endpoint answered.
    public struct Outcome: Sendable, Equatable {
        /// The HTTP status, or 0 when no answer came.
        public var status: Int
        /// The first line of the body (e.g. `Ready`), or libcurl's error when no answer came.
        public var detail: String
        /// Whether the status is 2xx.
        public var healthy: Bool { (200...299).contains(status) }
    }

    /// Performs the request, blocking; never throws: a failure is an outcome with status 0.
    public func perform() -> Outcome {
        guard CurlGlobal.ensure(), let easy = curl_easy_init() else { return Outcome(status: 0, detail: "libcurl could not start") }
        defer { curl_easy_cleanup(easy) }
        var body: [UInt8] = []
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        var tlsFailure: String?
        let code: CURLcode = withUnsafeMutablePointer(to: &body) { out in
            errorBuffer.withUnsafeMutableBufferPointer { err in
                _ = kalm_easy_setopt_string(easy, CURLOPT_URL, url)
                _ = kalm_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
                _ = kalm_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https")
                _ = kalm_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(timeout / .milliseconds(1))))
                _ = kalm_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(err.baseAddress!))
                _ = kalm_easy_setopt_string(easy, CURLOPT_USERAGENT, KalmVersion.userAgent)
                if let auth = basicAuth {
                    _ = kalm_easy_setopt_long(easy, CURLOPT_HTTPAUTH, 1)  // CURLAUTH_BASIC (a macro Swift cannot import)
                    _ = kalm_easy_setopt_string(easy, CURLOPT_USERNAME, auth.user)
                    _ = kalm_easy_setopt_string(easy, CURLOPT_PASSWORD, auth.password)
                }
                if let (c, key) = TLSSetup.apply(tls, to: easy) {
                    tlsFailure = "\(key): \(String(cString: curl_easy_strerror(c)))"
                    return c
                }
                _ = kalm_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, healthWriteCallback)
                _ = kalm_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, UnsafeMutableRawPointer(out))
                return curl_easy_perform(easy)
            }
        }
        guard code == CURLE_OK else {
            let text = tlsFailure ?? String(cString: errorBuffer)
            return Outcome(status: 0, detail: text.isEmpty ? String(cString: curl_easy_strerror(code)) : text)
        }
        var status = 0
        _ = kalm_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        let first = String(decoding: body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).first ?? ""
        return Outcome(status: status, detail: String(first.prefix(200)))
    }
}

/// Health answers are a line; anything past 64 KiB is cut off (the status decides anyway).
private func healthWriteCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let len = size * n
    let out = user!.assumingMemoryBound(to: [UInt8].self)
    if let p = ptr, out.pointee.count < 64 * 1024 {
        out.pointee.append(contentsOf: UnsafeRawBufferPointer(start: p, count: min(len, 64 * 1024 - out.pointee.count)))
    }
    return len
}
