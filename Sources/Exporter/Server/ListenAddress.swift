/// A parsed listen address: `host:port`, `:port` (every interface) or `[ipv6]:port`.
struct ListenAddress: Equatable, Sendable {
    /// The host or IP literal without brackets; empty means every interface.
    var host: String
    /// 0...65535; 0 asks for an ephemeral port.
    var port: Int

    private static let example = "expected host:port, e.g. 127.0.0.1:9464, :9464 or [::1]:9464"

    /// Parses `text`; throws a `ListenError` that names it and shows the expected form.
    init(parsing text: String) throws {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  text[text.index(after: close)...].hasPrefix(":") else {
                throw ListenError(.syntax, address: text, reason: Self.example)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":") else {
                throw ListenError(.syntax, address: text, reason: "brackets are only for IPv6 addresses; \(Self.example)")
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ListenError(.syntax, address: text, reason: "missing port; \(Self.example)")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw ListenError(.syntax, address: text, reason: "put an IPv6 address in brackets, e.g. [::1]:9464")
            }
        }
        guard !host.contains(where: { $0 == " " || $0 == "/" }) else {
            throw ListenError(.syntax, address: text, reason: Self.example)
        }
        guard !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(portText), port <= 65_535 else {
            throw ListenError(.syntax, address: text, reason: "port must be a number from 0 to 65535; \(Self.example)")
        }
        self.host = String(host)
        self.port = port
    }

    /// The hosts to try in order: for every interface, IPv6 dual-stack first, then IPv4
    /// (for hosts without IPv6).
    var bindHosts: [String] { host.isEmpty ? ["::", "0.0.0.0"] : [host] }
}
