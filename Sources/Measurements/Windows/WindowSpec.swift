/// A rolling window from `agent.windows`: its label and its length.
public struct WindowSpec: Sendable, Equatable {
    /// The `window` label, e.g. "5m".
    public var name: String
    /// The window's length, in seconds.
    public var seconds: Double

    /// A window labelled `name`, `seconds` long.
    public init(name: String, seconds: Double) {
        self.name = name
        self.seconds = seconds
    }

    /// Slots per window: the window slides in steps of 1/12 of its length.
    public static let slotsPerWindow = 12
}
