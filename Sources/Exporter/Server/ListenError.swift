/// A listen address that could not be used: bad syntax, unknown host, or a failed bind.
///
/// `description` names the address as the user wrote it and why, e.g.
/// `cannot listen on "127.0.0.1:9464": address already in use (another process is listening on port 9464)`.
public struct ListenError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure it is, for callers that act on it (the text is for people).
    public enum Code: Sendable, Equatable {
        /// The text is not a listen address.
        case syntax
        /// Another process listens on the port.
        case addressInUse
        /// The port needs privileges.
        case permissionDenied
        /// No interface on this host has the address.
        case addressNotAvailable
        /// The host name does not resolve.
        case unresolvableHost
        /// Anything else the socket layer reported.
        case other
    }

    /// What kind of failure it is.
    public var code: Code
    /// The address as given, e.g. `":9464"`.
    public var address: String
    /// Why it failed, e.g. `address already in use (another process is listening on port 9464)`.
    public var reason: String
    /// Whether the text could not be parsed at all (as opposed to a failed bind).
    public var isSyntaxError: Bool { code == .syntax }

    /// Creates the error for `address`.
    public init(_ code: Code, address: String, reason: String) {
        self.code = code
        self.address = address
        self.reason = reason
    }

    /// The message for people, naming the address as written and the fix.
    public var description: String {
        isSyntaxError
            ? "invalid listen address \"\(address)\": \(reason)"
            : "cannot listen on \"\(address)\": \(reason)"
    }
}
