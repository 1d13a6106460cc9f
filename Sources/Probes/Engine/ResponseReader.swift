import CCurl

/// Turns a finished easy handle into a `RequestResult`: libcurl's times into phases
/// (docs/metrics.md, "Phases"), the CURLcode into a failure reason, and the checks.
enum ResponseReader {
    static func read(_ vu: VirtualUser, code: CURLcode, now: UInt64) -> RequestResult {
        let easy = vu.easy
        let step = vu.step
        let spec = step.spec
        var r = RequestResult(probe: vu.probe.index)
        r.step = step.index
        r.checkBase = step.checkBase
        r.finishedAt = now
        r.trace = vu.currentTrace

        var status = 0
        _ = kalm_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        r.status = status

        let nl = info(easy, CURLINFO_NAMELOOKUP_TIME_T)
        let conn = info(easy, CURLINFO_CONNECT_TIME_T)
        let app = info(easy, CURLINFO_APPCONNECT_TIME_T)
        let pre = info(easy, CURLINFO_PRETRANSFER_TIME_T)
        let start = info(easy, CURLINFO_STARTTRANSFER_TIME_T)
        let total = info(easy, CURLINFO_TOTAL_TIME_T)
        r.dns = nl
        r.connect = max(0, conn - nl)
        r.tls = app > 0 ? max(0, app - conn) : 0
        r.blocked = pre
        if vu.sendDoneAt > vu.requestStart, step.hasBody {
            let doneRel = Int64((vu.sendDoneAt - vu.requestStart) / 1000)
            r.send = max(0, doneRel - pre)
            if start > pre { r.send = min(r.send, start - pre) }
        }
        if start > 0 {
            r.wait = max(0, start - pre - r.send)
            r.receive = max(0, total - start)
        } else if pre > 0 {
            // No first byte: the time after the request was sent was all waiting.
            r.wait = max(0, total - pre - r.send)
        }
        r.duration = r.send + r.wait + r.receive

        var reqSize = 0, hdrSize = 0
        _ = kalm_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &reqSize)
        _ = kalm_easy_getinfo_long(easy, CURLINFO_HEADER_SIZE, &hdrSize)
        r.bytesSent = Int64(reqSize) + info(easy, CURLINFO_SIZE_UPLOAD_T)
        r.bytesReceived = Int64(hdrSize) + info(easy, CURLINFO_SIZE_DOWNLOAD_T)

        let completed = code == CURLE_OK
        if completed {
            r.failure = spec.expectedStatus.matches(status) ? nil : .status
        } else if vu.overLimit {
            r.failure = .bodyLimit
        } else {
            r.failure = reason(for: code, errorText: vu.errorBuffer[0] == 0 ? nil : String(cString: vu.errorBuffer))
        }

        r.checkCount = spec.checks.count
        var parsed = CheckEvaluator.ParsedBody()
        let response = CheckEvaluator.Response(status: status, completed: completed, durationMicros: r.duration,
                                               body: vu.responseBody, rawHeaders: vu.responseHeaders)
        if !spec.checks.isEmpty {
            r.checksPassed = CheckEvaluator.evaluate(spec.checks, on: response, parsed: &parsed, values: vu.value)
        }
        if r.failure == nil {
            for c in spec.captures {
                guard let v = CheckEvaluator.capture(c.source, on: response, parsed: &parsed),
                      v.utf8.count <= CaptureSpec.maxValueBytes
                else {
                    r.failure = .capture
                    break
                }
                // Foundation hands back a bridged string: a native copy renders many times faster.
                var native = v
                native.makeContiguousUTF8()
                vu.captures[c.slot] = native
            }
        }
        let all: UInt64 = r.checkCount >= 64 ? .max : (1 << UInt64(r.checkCount)) - 1
        r.success = r.failure == nil && (r.checksPassed & all) == all
        return r
    }

    /// A step that failed before sending anything (no token, a value missing): status 0, no times.
    static func unsent(_ vu: VirtualUser, reason: FailureReason, now: UInt64) -> RequestResult {
        var r = RequestResult(probe: vu.probe.index)
        r.step = vu.current
        r.checkBase = vu.step.checkBase
        r.checkCount = vu.step.spec.checks.count
        r.finishedAt = now
        r.failure = reason
        r.unsent = true
        return r
    }

    @inline(__always)
    private static func info(_ easy: OpaquePointer, _ what: CURLINFO) -> Int64 {
        var v: curl_off_t = 0
        _ = kalm_easy_getinfo_off(easy, what, &v)
        return max(0, Int64(v))
    }

    /// Maps a libcurl error, and its error text where the code alone is ambiguous, to the `reason` label.
    static func reason(for code: CURLcode, errorText: String?) -> FailureReason {
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .dns
        case CURLE_COULDNT_CONNECT:
            return .connect
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_CRL_BADFILE,
             CURLE_USE_SSL_FAILED, CURLE_SSL_SHUTDOWN_FAILED:
            return .tls
        case CURLE_FILESIZE_EXCEEDED:
            return .bodyLimit
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR:
            // Under TLS 1.3 the server's alert (e.g. "certificate required") arrives after the
            // handshake, so libcurl reports a receive error; OpenSSL's text names TLS.
            if let t = errorText, t.contains("SSL") || t.contains("alert") || t.contains("TLS") { return .tls }
            return .other
        default:
            return .other
        }
    }
}
