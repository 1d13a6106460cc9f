import KalmSupport
import NIOCore

/// The open connections of a server, so that shutting it down can close them too
/// (closing a listening channel leaves its accepted connections open).
public final class ChannelRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: Channel] = [:]
        var isClosed = false
    }

    private let state = Locked(State())

    /// Tracks `channel` until it closes; closes it at once if the registry was closed already.
    public init() {}

    /// Tracks `channel` until it closes; closes it at once if the registry was closed already.
    public func add(_ channel: Channel) {
        let id = ObjectIdentifier(channel)
        let accepted = state.withLock { state -> Bool in
            guard !state.isClosed else { return false }
            state.channels[id] = channel
            return true
        }
        guard accepted else { return channel.close(promise: nil) }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.channels.removeValue(forKey: id) }
        }
    }

    /// Closes every tracked connection and refuses new ones; returns when they are closed.
    public func closeAll() async {
        let open = state.withLock { state -> [Channel] in
            state.isClosed = true
            return Array(state.channels.values)
        }
        for channel in open {
            channel.close(promise: nil)
        }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }
}
