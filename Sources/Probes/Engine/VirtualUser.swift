import CCurl

/// One VU: a state machine on an engine thread with its own libcurl easy handle,
/// reused (keep-alive) from one iteration to the next.
final class VirtualUser {
    enum State {
        /// Not running (before activation, or retired).
        case idle
        /// Request added to the multi handle.
        case inFlight
        /// Request done, think-time timer pending.
        case thinking
    }

    let probe: CompiledProbe
    /// Index among this probe's VUs across all threads (0-based).
    let globalIndex: Int
    /// Index in the owning thread's VU array.
    let localIndex: Int32
    let easy: OpaquePointer
    var state: State = .idle
    /// Bumped whenever a pending timer must be ignored.
    var generation: UInt32 = 0
    /// Stop after the current iteration (ramp-down or stop).
    var retiring = false
    /// Monotonic ns: iteration start, request start, deadline to cut off an in-flight request.
    var iterationStart: UInt64 = 0
    var requestStart: UInt64 = 0
    var hardDeadline: UInt64 = .max

    // Request body being sent.
    var body: [UInt8] = []
    var bodyOffset = 0
    /// Monotonic ns when the body's last byte went to libcurl (the `send` phase's end).
    var sendDoneAt: UInt64 = 0

    // Response as received.
    var responseBytes = 0
    var overLimit = false
    var responseBody: [UInt8] = []
    var responseHeaders: [UInt8] = []

    init(probe: CompiledProbe, globalIndex: Int, localIndex: Int32, connectionReuse: Bool) throws {
        guard let h = curl_easy_init() else { throw EngineError(.handleInit, message: "curl_easy_init failed (out of memory?)") }
        self.probe = probe
        self.globalIndex = globalIndex
        self.localIndex = localIndex
        self.easy = h
        if probe.needsBody { responseBody.reserveCapacity(16 * 1024) }
        do {
            try configure(connectionReuse: connectionReuse)
        } catch {
            curl_easy_cleanup(h)
            throw error
        }
    }

    deinit {
        curl_easy_cleanup(easy)
    }

    private func configure(connectionReuse: Bool) throws {
        let r = probe.spec.request
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(kalm_easy_setopt_string(easy, CURLOPT_URL, probe.effectiveURL), "url")
        try check(kalm_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "nosignal")
        try check(kalm_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me), "private")
        try check(kalm_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(r.timeout.nanoseconds / 1_000_000))), "timeout")
        try check(kalm_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, r.followRedirects ? 1 : 0), "follow_redirects")
        try check(kalm_easy_setopt_long(easy, CURLOPT_MAXREDIRS, 10), "max redirects")
        // Decompress what the server compresses; body_size_limit counts decompressed bytes.
        try check(kalm_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""), "accept-encoding")
        let version: Int
        switch r.httpVersion {
        case .auto: version = Int(CURL_HTTP_VERSION_2TLS)
        case .http1_1: version = Int(CURL_HTTP_VERSION_1_1)
        case .http2: version = Int(CURL_HTTP_VERSION_2_0)
        }
        try check(kalm_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, version), "http_version")
        let ip: Int32
        switch r.ipProtocol {
        case .any: ip = CURL_IPRESOLVE_WHATEVER
        case .ip4: ip = CURL_IPRESOLVE_V4
        case .ip6: ip = CURL_IPRESOLVE_V6
        }
        try check(kalm_easy_setopt_long(easy, CURLOPT_IPRESOLVE, Int(ip)), "ip_protocol")
        if r.tls.insecureSkipVerify {
            try check(kalm_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0), "tls.insecure_skip_verify")
            try check(kalm_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0), "tls.insecure_skip_verify")
        }
        if let f = r.tls.caFile { try check(kalm_easy_setopt_string(easy, CURLOPT_CAINFO, f), "tls.ca_file") }
        if let f = r.tls.certFile { try check(kalm_easy_setopt_string(easy, CURLOPT_SSLCERT, f), "tls.cert_file") }
        if let f = r.tls.keyFile { try check(kalm_easy_setopt_string(easy, CURLOPT_SSLKEY, f), "tls.key_file") }
        if let ct = probe.connectTo { try check(kalm_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, ct), "tls.server_name") }
        if probe.isHTTPS { try check(kalm_easy_setopt_long(easy, CURLOPT_CERTINFO, 1), "certinfo") }
        if let list = probe.headerList { try check(kalm_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list), "headers") }
        if !connectionReuse {
            try check(kalm_easy_setopt_long(easy, CURLOPT_FRESH_CONNECT, 1), "connection_reuse")
            try check(kalm_easy_setopt_long(easy, CURLOPT_FORBID_REUSE, 1), "connection_reuse")
            try check(kalm_easy_setopt_long(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0), "connection_reuse")
        }
        try check(kalm_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, vuWriteCallback), "write callback")
        try check(kalm_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me), "write data")
        if probe.needsHeaders {
            try check(kalm_easy_setopt_data_cb(easy, CURLOPT_HEADERFUNCTION, vuHeaderCallback), "header callback")
            try check(kalm_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me), "header data")
        }
        let method = r.method.uppercased()
        if !r.bodies.isEmpty {
            try check(kalm_easy_setopt_long(easy, CURLOPT_POST, 1), "method")
            try check(kalm_easy_setopt_data_cb(easy, CURLOPT_READFUNCTION, vuReadCallback), "read callback")
            try check(kalm_easy_setopt_pointer(easy, CURLOPT_READDATA, me), "read data")
            try check(kalm_easy_setopt_seek_cb(easy, vuSeekCallback), "seek callback")
            try check(kalm_easy_setopt_pointer(easy, CURLOPT_SEEKDATA, me), "seek data")
            if method != "POST" { try check(kalm_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method), "method") }
        } else if method == "HEAD" {
            try check(kalm_easy_setopt_long(easy, CURLOPT_NOBODY, 1), "method")
        } else if method != "GET" {
            try check(kalm_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method), "method")
        }
    }

    /// Prepares the per-request state; `bodyChoice` picks among the probe's bodies.
    @inline(__always)
    func prepareRequest(bodyChoice: Int, now: UInt64) {
        let bodies = probe.spec.request.bodies
        if !bodies.isEmpty {
            if bodies.count > 1 || body.isEmpty {
                body = bodies[bodyChoice % bodies.count]
                _ = kalm_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            }
            bodyOffset = 0
            sendDoneAt = 0
        }
        responseBytes = 0
        overLimit = false
        if probe.needsBody { responseBody.removeAll(keepingCapacity: true) }
        if probe.needsHeaders { responseHeaders.removeAll(keepingCapacity: true) }
        requestStart = now
    }
}

// MARK: - libcurl callbacks (run on the engine thread inside curl_multi_perform)

private func vuWriteCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let vu = Unmanaged<VirtualUser>.fromOpaque(user!).takeUnretainedValue()
    let len = size * n
    vu.responseBytes += len
    if vu.responseBytes > vu.probe.spec.request.bodySizeLimit {
        vu.overLimit = true
        return 0  // aborts the transfer with CURLE_WRITE_ERROR
    }
    if vu.probe.needsBody, let p = ptr {
        p.withMemoryRebound(to: UInt8.self, capacity: len) { vu.responseBody.append(contentsOf: UnsafeBufferPointer(start: $0, count: len)) }
    }
    return len
}

private func vuHeaderCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let vu = Unmanaged<VirtualUser>.fromOpaque(user!).takeUnretainedValue()
    let len = size * n
    guard let p = ptr else { return len }
    p.withMemoryRebound(to: UInt8.self, capacity: len) { b in
        // A new status line starts a new response (redirect hop, 100-continue): keep only the last.
        if len >= 5, b[0] == UInt8(ascii: "H"), b[1] == UInt8(ascii: "T"), b[2] == UInt8(ascii: "T"), b[3] == UInt8(ascii: "P"), b[4] == UInt8(ascii: "/") {
            vu.responseHeaders.removeAll(keepingCapacity: true)
        }
        if vu.responseHeaders.count < 64 * 1024 {
            vu.responseHeaders.append(contentsOf: UnsafeBufferPointer(start: b, count: len))
        }
    }
    return len
}

private func vuReadCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let vu = Unmanaged<VirtualUser>.fromOpaque(user!).takeUnretainedValue()
    let room = size * n
    let left = vu.body.count - vu.bodyOffset
    let k = min(room, left)
    if k > 0, let dst = ptr {
        vu.body.withUnsafeBytes { src in
            UnsafeMutableRawPointer(dst).copyMemory(from: src.baseAddress! + vu.bodyOffset, byteCount: k)
        }
        vu.bodyOffset += k
        if vu.bodyOffset == vu.body.count { vu.sendDoneAt = MonotonicClock.now() }
    }
    return k
}

private func vuSeekCallback(_ user: UnsafeMutableRawPointer?, _ offset: curl_off_t, _ origin: Int32) -> Int32 {
    let vu = Unmanaged<VirtualUser>.fromOpaque(user!).takeUnretainedValue()
    guard origin == SEEK_SET, offset >= 0, Int(offset) <= vu.body.count else { return Int32(CURL_SEEKFUNC_FAIL) }
    vu.bodyOffset = Int(offset)
    return Int32(CURL_SEEKFUNC_OK)
}

#if canImport(Glibc)
import Glibc
#endif
