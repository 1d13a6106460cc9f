import CCurl

/// Turns a finished easy handle into a `RequestResult`: libcurl's times into phases
/// (docs/metrics.md, "Phases"), the CURLcode into a failure reason, and the checks.
enum ResponseReader {
    static func read(_ vu: VirtualUser, code: CURLcode, now: UInt64) -> RequestResult {
        let easy = vu.easy
        let spec = vu.probe.spec
        var r = RequestResult(probe: vu.probe.index)
        r.finishedAt = now

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
        if vu.sendDoneAt > vu.requestStart, !spec.request.bodies.isEmpty {
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
            r.failure = reason(for: code)
        }

        r.checkCount = spec.checks.count
        if !spec.checks.isEmpty {
            r.checksPassed = CheckEvaluator.evaluate(
                spec.checks,
                on: .init(status: status, completed: completed, durationMicros: r.duration,
                          body: vu.responseBody, rawHeaders: vu.responseHeaders))
        }
        let all: UInt64 = r.checkCount >= 64 ? .max : (1 << UInt64(r.checkCount)) - 1
        r.success = r.failure == nil && (r.checksPassed & all) == all
        return r
    }

    @inline(__always)
    private static func info(_ easy: OpaquePointer, _ what: CURLINFO) -> Int64 {
        var v: curl_off_t = 0
        _ = kalm_easy_getinfo_off(easy, what, &v)
        return max(0, Int64(v))
    }

    /// Maps a libcurl error to the `reason` label.
    static func reason(for code: CURLcode) -> FailureReason {
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
        default:
            return .other
        }
    }
}
