/// A listen address that could not be used: bad syntax, unknown host, or a failed bind.
///
/// `description` names the address as the user wrote it and why, e.g.
/// `cannot listen on "127.0.0.1:9464": address already in use (another process is listening on port 9464)`.
public struct ListenError: Error, CustomStringConvertible, Sendable {
    /// The address as given, e.g. `":9464"`.
    public var address: String
    /// Why it failed, e.g. `address already in use (another process is listening on port 9464)`.
    public var reason: String
    /// Whether the text could not be parsed at all (as opposed to a failed bind).
    public var isSyntaxError: Bool

    /// Creates the error for `address`.
    public init(address: String, reason: String, isSyntaxError: Bool = false) {
        self.address = address
        self.reason = reason
        self.isSyntaxError = isSyntaxError
    }

    public var description: String {
        isSyntaxError
            ? "invalid listen address \"\(address)\": \(reason)"
            : "cannot listen on \"\(address)\": \(reason)"
    }
}
