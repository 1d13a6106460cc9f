/// Why a request failed: the `reason` label of `kalm_http_request_failures_total`.
public enum FailureReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case dns, connect, tls, timeout, status
    case bodyLimit
    case other
    /// A journey step's `capture:` rule found nothing (or a value over 64 KiB).
    case capture
    /// No credentials to send: the probe's OAuth2 token could not be fetched.
    case auth

    /// The label value.
    public var description: String {
        switch self {
        case .dns: return "dns"
        case .connect: return "connect"
        case .tls: return "tls"
        case .timeout: return "timeout"
        case .status: return "status"
        case .bodyLimit: return "body_limit"
        case .other: return "other"
        case .capture: return "capture"
        case .auth: return "auth"
        }
    }
}
