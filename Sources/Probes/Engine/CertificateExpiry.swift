import CCurl

/// Reads the earliest "Expire date" in the certificate chain libcurl saw (`CURLOPT_CERTINFO`).
enum CertificateExpiry {
    /// Unix seconds of the earliest expiry, or nil when libcurl has no certificate info.
    static func earliest(_ easy: OpaquePointer) -> Double? {
        var info: UnsafeMutablePointer<curl_certinfo>? = nil
        guard kalm_easy_getinfo_certinfo(easy, &info) == CURLE_OK, let ci = info?.pointee,
              ci.num_of_certs > 0, let certs = ci.certinfo else { return nil }
        var earliest: Double? = nil
        for i in 0..<Int(ci.num_of_certs) {
            var node = certs[i]
            while let n = node {
                if let data = n.pointee.data {
                    let line = String(cString: data)
                    if line.hasPrefix("Expire date:"), let t = parse(String(line.dropFirst("Expire date:".count))) {
                        earliest = min(earliest ?? t, t)
                    }
                }
                node = n.pointee.next
            }
        }
        return earliest
    }

    /// Parses OpenSSL's "Nov 27 17:51:54 2027 GMT" (also with two spaces before a one-digit day).
    static func parse(_ text: String) -> Double? {
        let f = text.split(separator: " ", omittingEmptySubsequences: true)
        guard f.count >= 4, let month = months.firstIndex(of: String(f[0])), let day = Int(f[1]),
              let year = Int(f[3]) else { return nil }
        let hms = f[2].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3 else { return nil }
        return Double(daysFromCivil(year: year, month: month + 1, day: day)) * 86400
            + Double(hms[0] * 3600 + hms[1] * 60 + hms[2])
    }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
