import KalmSupport
import NIOCore

/// What a connection is doing, for `ChannelRegistry` to choose which one to close when the
/// server is at its connection limit: never one with a request in flight, and among the
/// others the one that has been quiet longest (docs/configuration.md, "Limits").
public final class ConnectionActivity: Sendable {
    public enum State: Sendable { case readingHead, inRequest, idle }

    private let state: Locked<(State, NIODeadline)>

    public init() {
        state = Locked((.readingHead, .now()))
    }

    func set(_ new: State) {
        state.withLock { $0 = (new, .now()) }
    }

    /// The state and when it began.
    var current: (State, NIODeadline) { state.withLock { $0 } }
}
