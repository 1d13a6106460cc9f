import CCurl

/// `tls:` and `http_version` as libcurl options, shared by VUs and the token fetcher.
enum TLSSetup {
    /// Applies the TLS options; the caller has already set the URL (and `CONNECT_TO` for a server name).
    @discardableResult
    static func apply(_ tls: TLSOptions, to easy: OpaquePointer) -> (CURLcode, String)? {
        if tls.insecureSkipVerify {
            let c = kalm_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 0)
            if c != CURLE_OK { return (c, "tls.insecure_skip_verify") }
            _ = kalm_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 0)
        }
        if let f = tls.caFile, case let c = kalm_easy_setopt_string(easy, CURLOPT_CAINFO, f), c != CURLE_OK { return (c, "tls.ca_file") }
        if let f = tls.certFile, case let c = kalm_easy_setopt_string(easy, CURLOPT_SSLCERT, f), c != CURLE_OK { return (c, "tls.cert_file") }
        if let f = tls.keyFile, case let c = kalm_easy_setopt_string(easy, CURLOPT_SSLKEY, f), c != CURLE_OK { return (c, "tls.key_file") }
        return nil
    }

    /// libcurl's `CURLOPT_HTTP_VERSION` for `http_version`.
    static func curlVersion(_ v: HTTPVersionPreference) -> Int {
        switch v {
        case .auto: return Int(CURL_HTTP_VERSION_2TLS)
        case .http1_1: return Int(CURL_HTTP_VERSION_1_1)
        case .http2: return Int(CURL_HTTP_VERSION_2_0)
        case .h2c: return Int(CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE)
        }
    }
}
