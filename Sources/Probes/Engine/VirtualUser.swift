import CCurl
import Foundation

/// One VU: a state machine on an engine thread with one libcurl easy handle per step of
/// its probe, reused (keep-alive, through the thread's connection pool) from one iteration
/// to the next.
final class VirtualUser {
    enum State {
        /// Not running (before activation, or retired).
        case idle
        /// Request added to the multi handle.
        case inFlight
        /// A timer is pending: think time, a step's pause, or waiting for a token.
        case thinking
    }

    /// What the pending timer does when it fires.
    enum TimerAction {
        /// End the iteration (think time over) and start the next.
        case endIteration
        /// Start step `current` (after a pause, or to retry waiting for a token).
        case resumeStep
        /// Start the first iteration (after the VU's offset in `ScenarioSpec.startSpread`).
        case firstIteration
    }

    let probe: CompiledProbe
    /// Whether the VU has started an iteration (its start offset, if any, is behind it).
    var started = false
    /// Index among this probe's VUs across all threads (0-based).
    let globalIndex: Int
    /// Index in the owning thread's VU array.
    let localIndex: Int32
    /// One easy handle per step.
    let easies: [OpaquePointer]
    var state: State = .idle
    var timerAction: TimerAction = .endIteration
    /// Bumped whenever a pending timer must be ignored.
    var generation: UInt32 = 0
    /// Stop after the current iteration (ramp-down or stop).
    var retiring = false
    /// Monotonic ns: iteration start, request start, deadline to cut off an in-flight request.
    var iterationStart: UInt64 = 0
    var requestStart: UInt64 = 0
    var hardDeadline: UInt64 = .max

    // The journey.
    /// The step running now.
    var current = 0
    /// Whether every step of this iteration so far succeeded.
    var iterationOK = true
    /// Whether this iteration sent nothing (it failed before any request): it then backs off.
    var iterationSentNothing = true
    /// This VU's iterations so far (`{{ iteration }}`).
    var iterationNumber = -1
    /// Captured values by slot, for this iteration.
    var captures: [String?]
    /// Data row per source, for this iteration.
    var rows: [Int]
    /// Generator values, fixed for this iteration.
    var generated: [Generator: String] = [:]
    /// The token generation the current request carries, or -1.
    var tokenGeneration = -1
    /// Per step: the header list built for its last request (templated headers, bearer token), which
    /// that step's handle points to until its next request replaces it.
    var requestHeaders: [UnsafeMutablePointer<curl_slist>?]
    /// Per step: the `CONNECT_TO` list of its last templated URL with a server name.
    var requestConnectTo: [UnsafeMutablePointer<curl_slist>?]
    var rng: FastRandom
    /// Per traced step with fixed headers: the `traceparent` entry of the VU's own header list.
    var traceLines: [UnsafeMutablePointer<UInt8>?]
    /// Trace ids: seeded from the system's generator, so agents never repeat each other's.
    var traceRNG: FastRandom
    /// The trace id of the request in flight (`.none` for an untraced step).
    var currentTrace: TraceID = .none

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
    /// libcurl's error text for the last failed transfer (`CURLOPT_ERRORBUFFER`).
    /// Stable storage libcurl writes into, so it is not a Swift array that could move.
    let errorBuffer: UnsafeMutablePointer<CChar> = {
        let p = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        p.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        return p
    }()

    /// The current step's handle.
    @inline(__always) var easy: OpaquePointer { easies[current] }
    /// The current step.
    @inline(__always) var step: CompiledStep { probe.steps[current] }

    init(probe: CompiledProbe, globalIndex: Int, localIndex: Int32, connectionReuse: Bool, seed: UInt64) throws {
        self.probe = probe
        self.globalIndex = globalIndex
        self.localIndex = localIndex
        captures = Array(repeating: nil, count: probe.spec.captureCount)
        rows = Array(repeating: 0, count: probe.cursors.count)
        requestHeaders = Array(repeating: nil, count: probe.steps.count)
        requestConnectTo = Array(repeating: nil, count: probe.steps.count)
        rng = FastRandom(seed: seed)
        traceLines = Array(repeating: nil, count: probe.steps.count)
        traceRNG = FastRandom(seed: probe.spec.trace == nil ? seed : UInt64.random(in: 1...UInt64.max))
        var handles: [OpaquePointer] = []
        for _ in probe.steps {
            guard let h = curl_easy_init() else {
                handles.forEach { curl_easy_cleanup($0) }
                errorBuffer.deallocate()
                throw EngineError(.handleInit, message: "curl_easy_init failed (out of memory?)")
            }
            handles.append(h)
        }
        easies = handles
        if probe.steps.contains(where: \.needsBody) { responseBody.reserveCapacity(16 * 1024) }
        // Fully initialised from here: on a throw, deinit frees the handles and the buffer.
        for (i, s) in probe.steps.enumerated() {
            try configure(easies[i], s, connectionReuse: connectionReuse)
            if s.traced && !s.dynamicHeaders { try ownHeaderList(step: i) }
        }
    }

    deinit {
        easies.forEach { curl_easy_cleanup($0) }
        errorBuffer.deallocate()
        requestHeaders.forEach { curl_slist_free_all($0) }
        requestConnectTo.forEach { curl_slist_free_all($0) }
    }

    /// Gives step `i` a header list of its own whose `traceparent` entry is rewritten per request.
    private func ownHeaderList(step i: Int) throws {
        let list = CompiledStep.slist(probe.steps[i].fixedLines)
        requestHeaders[i] = list
        var node = list
        while let n = node {
            if let data = n.pointee.data, strncmp(data, "traceparent:", 12) == 0 {
                traceLines[i] = UnsafeMutableRawPointer(data).assumingMemoryBound(to: UInt8.self)
            }
            node = n.pointee.next
        }
        guard kalm_easy_setopt_slist(easies[i], CURLOPT_HTTPHEADER, list) == CURLE_OK else {
            throw EngineError(.handleInit, message: "curl_easy_setopt(CURLOPT_HTTPHEADER) failed for the trace headers")
        }
    }

    private func configure(_ easy: OpaquePointer, _ step: CompiledStep, connectionReuse: Bool) throws {
        let r = step.spec.request
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(kalm_easy_setopt_string(easy, CURLOPT_URL, step.effectiveURL), "url")
        try check(kalm_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "nosignal")
        try check(kalm_easy_setopt_pointer(easy, CURLOPT_PRIVATE, me), "private")
        try check(kalm_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, max(1, Int(r.timeout.nanoseconds / 1_000_000))), "timeout")
        try check(kalm_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, r.followRedirects ? 1 : 0), "follow_redirects")
        try check(kalm_easy_setopt_long(easy, CURLOPT_MAXREDIRS, 10), "max redirects")
        // Only http and https, whatever a captured URL or a redirect says (no file://, gopher://, ...).
        try check(kalm_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try check(kalm_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"), "redirect protocols")
        // Decompress what the server compresses; body_size_limit counts decompressed bytes.
        try check(kalm_easy_setopt_string(easy, CURLOPT_ACCEPT_ENCODING, ""), "accept-encoding")
        try check(kalm_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, TLSSetup.curlVersion(r.httpVersion)), "http_version")
        // libcurl keeps a 16 KiB receive buffer per handle for its whole life; a lean fleet probe
        // (health endpoints, thousands of handles) reads through 4 KiB: 60 MiB less at 5,000
        // targets (docs/configuration.md, "Fleets: targets, series and shards").
        if probe.spec.series == .lean { try check(kalm_easy_setopt_long(easy, CURLOPT_BUFFERSIZE, 4096), "buffer size") }
        let ip: Int32
        switch r.ipProtocol {
        case .any: ip = CURL_IPRESOLVE_WHATEVER
        case .ip4: ip = CURL_IPRESOLVE_V4
        case .ip6: ip = CURL_IPRESOLVE_V6
        }
        try check(kalm_easy_setopt_long(easy, CURLOPT_IPRESOLVE, Int(ip)), "ip_protocol")
        if let (code, what) = TLSSetup.apply(r.tls, to: easy) { try check(code, what) }
        if let ct = step.connectTo { try check(kalm_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, ct), "tls.server_name") }
        if step.mayUseTLS {
            try check(kalm_easy_setopt_long(easy, CURLOPT_CERTINFO, 1), "certinfo")
            // TLS 1.3 alerts arrive after the handshake as receive errors: their text tells them apart.
            try check(kalm_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        }
        if let list = step.headerList { try check(kalm_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list), "headers") }
        // libcurl 7.88 (Debian 12) breaks a reused prior-knowledge HTTP/2 connection ("Error in the
        // HTTP2 framing layer" on every second request; curl issue 10634, fixed in 8.0): h2c opens a
        // connection per request there (docs/configuration.md, `http_version`).
        if !connectionReuse || (r.httpVersion == .h2c && CurlGlobal.h2cReuseBroken) {
            try check(kalm_easy_setopt_long(easy, CURLOPT_FRESH_CONNECT, 1), "connection_reuse")
            try check(kalm_easy_setopt_long(easy, CURLOPT_FORBID_REUSE, 1), "connection_reuse")
            try check(kalm_easy_setopt_long(easy, CURLOPT_DNS_CACHE_TIMEOUT, 0), "connection_reuse")
        }
        try check(kalm_easy_setopt_data_cb(easy, CURLOPT_WRITEFUNCTION, vuWriteCallback), "write callback")
        try check(kalm_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, me), "write data")
        if step.needsHeaders {
            try check(kalm_easy_setopt_data_cb(easy, CURLOPT_HEADERFUNCTION, vuHeaderCallback), "header callback")
            try check(kalm_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, me), "header data")
        }
        let method = r.method.uppercased()
        if step.hasBody {
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

    // MARK: Iterations

    /// Starts an iteration's values: picks its data rows. False when a `unique` source ran out.
    func beginIteration() -> Bool {
        current = 0
        iterationOK = true
        iterationSentNothing = true
        iterationNumber += 1
        guard probe.usesValues else { return true }
        for i in 0..<captures.count { captures[i] = nil }
        if !generated.isEmpty { generated.removeAll(keepingCapacity: true) }
        for (i, c) in probe.cursors.enumerated() {
            guard let row = c.row(random: rng.next()) else { return false }
            rows[i] = row
        }
        return true
    }

    /// The value of `ref` in this iteration; nil for a capture its step did not make.
    func value(_ ref: ValueRef) -> String? {
        switch ref {
        case .capture(let slot):
            return captures[slot]
        case .data(let source, let column):
            return probe.cursors[source].spec.table.rows[rows[source]][column]
        case .target:
            return nil   // bound before the engine sees the probe
        case .generator(let g):
            if let v = generated[g] { return v }
            let v = GeneratorValues.make(g, vu: globalIndex + 1, iteration: iterationNumber, rng: &rng)
            generated[g] = v
            return v
        }
    }

    /// Why the current step cannot be sent, if it cannot.
    enum PrepareOutcome {
        case ready
        /// Waiting for the probe's token: try again shortly.
        case waitForToken
        /// The step fails without a request.
        case fail(FailureReason)
    }

    /// Prepares the current step's request: run-time values, the token, and per-request state.
    func prepareRequest(bodyChoice: Int, now: UInt64) -> PrepareOutcome {
        let step = self.step
        let easy = self.easy
        let templates = step.spec.templates
        var bearer: String?
        tokenGeneration = -1
        if step.bearer, let token = probe.token {
            switch token.status(now: now) {
            case .ready(let header, let gen):
                bearer = header
                tokenGeneration = gen
            case .pending: return .waitForToken
            case .failed: return .fail(.auth)
            }
        }
        if let t = templates.url {
            guard let url = t.render(value), step.originMatches(url) else { return .fail(.capture) }
            let (effective, connectTo) = CompiledStep.route(url, serverName: step.spec.request.tls.serverName)
            _ = kalm_easy_setopt_string(easy, CURLOPT_URL, effective)
            // Always set: this handle must never keep a list freed below.
            _ = kalm_easy_setopt_slist(easy, CURLOPT_CONNECT_TO, connectTo)
            curl_slist_free_all(requestConnectTo[current])
            requestConnectTo[current] = connectTo
        }
        currentTrace = .none
        var span: UInt64 = 0
        if step.traced {
            (currentTrace, span) = TraceContext.fresh { traceRNG.next() }
            if let line = traceLines[current] { TraceContext.fill(line, trace: currentTrace, span: span) }
        }
        if step.dynamicHeaders {
            var lines = step.fixedLines
            if step.traced, let k = lines.firstIndex(of: TraceContext.templateLine) {
                var bytes = Array(lines[k].utf8)
                bytes.withUnsafeMutableBufferPointer { TraceContext.fill($0.baseAddress!, trace: currentTrace, span: span) }
                lines[k] = String(decoding: bytes, as: UTF8.self)
            }
            for (i, t) in templates.headers {
                guard let v = t.render(value) else { return .fail(.capture) }
                lines.append(CompiledStep.line(step.spec.request.headers[i].name, v))
            }
            if let bearer { lines.append(bearer) }
            let list = CompiledStep.slist(lines)
            _ = kalm_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, list)
            curl_slist_free_all(requestHeaders[current])
            requestHeaders[current] = list
        }
        if let t = templates.body {
            guard let b = t.render(value) else { return .fail(.capture) }
            body = Array(b.utf8)
            _ = kalm_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        } else {
            let bodies = step.spec.request.bodies
            if !bodies.isEmpty, bodies.count > 1 || probe.steps.count > 1 || body.isEmpty {
                body = bodies[bodyChoice % bodies.count]
                _ = kalm_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            }
        }
        bodyOffset = 0
        sendDoneAt = 0
        responseBytes = 0
        overLimit = false
        errorBuffer[0] = 0
        if step.needsBody { responseBody.removeAll(keepingCapacity: true) }
        if step.needsHeaders { responseHeaders.removeAll(keepingCapacity: true) }
        requestStart = now
        return .ready
    }
}

// MARK: - libcurl callbacks (run on the engine thread inside curl_multi_perform)

private func vuWriteCallback(_ ptr: UnsafeMutablePointer<CChar>?, _ size: Int, _ n: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    let vu = Unmanaged<VirtualUser>.fromOpaque(user!).takeUnretainedValue()
    let len = size * n
    vu.responseBytes += len
    let step = vu.step
    if vu.responseBytes > step.spec.request.bodySizeLimit {
        vu.overLimit = true
        return 0  // aborts the transfer with CURLE_WRITE_ERROR
    }
    if step.needsBody, let p = ptr {
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
