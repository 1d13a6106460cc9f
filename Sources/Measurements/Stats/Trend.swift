/// The k6 trend metrics kalm keeps per probe, in summary order.
public enum Trend: Int, CaseIterable, Sendable {
    /// `http_req_duration` over every request (k6's summary line).
    case duration
    /// `http_req_duration{expected_response:true}`: answered with an expected status.
    case durationExpected
    case blocked
    case connecting
    case tlsHandshaking
    case sending
    case waiting
    case receiving
    case iterationDuration

    /// k6's metric name.
    public var metricName: String {
        switch self {
        case .duration: return "http_req_duration"
        case .durationExpected: return "http_req_duration{expected_response:true}"
        case .blocked: return "http_req_blocked"
        case .connecting: return "http_req_connecting"
        case .tlsHandshaking: return "http_req_tls_handshaking"
        case .sending: return "http_req_sending"
        case .waiting: return "http_req_waiting"
        case .receiving: return "http_req_receiving"
        case .iterationDuration: return "iteration_duration"
        }
    }
}

/// A request phase as the `phase` label of `kalm_http_request_phase_seconds` names it.
public enum Phase: Int, CaseIterable, Sendable {
    case dns, connect, tls, send, wait, receive

    /// The `phase` label value.
    public var label: String {
        switch self {
        case .dns: return "dns"
        case .connect: return "connect"
        case .tls: return "tls"
        case .send: return "send"
        case .wait: return "wait"
        case .receive: return "receive"
        }
    }
}
