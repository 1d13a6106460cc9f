import CCurl

/// libcurl's process-wide initialisation, done once before the first handle.
enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_ALL)) == CURLE_OK
    }()

    /// Initialises libcurl if needed; false when libcurl could not start.
    static func ensure() -> Bool { initialised }

    /// Whether this libcurl breaks reused HTTP/2 prior-knowledge connections (before 8.0.0).
    static let h2cReuseBroken: Bool = {
        guard let info = curl_version_info(CURLVERSION_TENTH) else { return true }
        return info.pointee.version_num < 0x08_00_00
    }()

    /// libcurl's version line, e.g. "libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 ...".
    static var version: String {
        guard let v = curl_version() else { return "unknown" }
        return String(cString: v)
    }
}

/// libcurl failed to set up a handle (out of memory or an unsupported option).
public struct EngineError: Error, CustomStringConvertible {
    /// Which setup step failed.
    public enum Code: Sendable, Equatable {
        /// `curl_global_init`.
        case globalInit
        /// `curl_multi_init` or `curl_easy_init` (out of memory).
        case handleInit
        /// libcurl rejected an option (the message names it).
        case option
    }

    /// Which setup step failed.
    public let code: Code
    /// What failed, for people.
    public let message: String
    /// Creates the error.
    public init(_ code: Code, message: String) {
        self.code = code
        self.message = message
    }
    /// The message.
    public var description: String { message }
}

@inline(__always)
func check(_ code: CURLcode, _ what: @autoclosure () -> String) throws {
    if code != CURLE_OK {
        throw EngineError(.option, message: "libcurl rejected \(what()): \(String(cString: curl_easy_strerror(code)))")
    }
}
