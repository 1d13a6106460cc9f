import KalmSupport
import NIOCore

/// The open connections of a server, so that shutting it down can close them too
/// (closing a listening channel leaves its accepted connections open), and so that it
/// never holds more than `limit`: at the limit, a new connection closes the one quiet
/// longest that has no request in flight, so thousands of idle or slow clients cannot
/// lock a scraper out (docs/configuration.md, "Limits").
public final class ChannelRegistry: Sendable {
    private struct Entry {
        var channel: Channel
        var activity: ConnectionActivity?
    }

    private struct State {
        var channels: [ObjectIdentifier: Entry] = [:]
        var isClosed = false
        var evicted = 0
    }

    private let state = Locked(State())
    /// The most connections kept open at once.
    public let limit: Int

    /// A registry that keeps at most `limit` connections open.
    public init(limit: Int = .max) {
        self.limit = max(1, limit)
    }

    /// Connections closed so far to make room for new ones.
    public var evictions: Int { state.withLock { $0.evicted } }

    /// Open connections now.
    public var count: Int { state.withLock { $0.channels.count } }

    /// Tracks `channel` until it closes; closes it at once if the registry was closed already.
    /// At the limit, first closes the quietest connection without a request in flight.
    public func add(_ channel: Channel, activity: ConnectionActivity? = nil) {
        let id = ObjectIdentifier(channel)
        let (accepted, victim) = state.withLock { state -> (Bool, Channel?) in
            guard !state.isClosed else { return (false, nil) }
            var victim: Channel?
            if state.channels.count >= limit, let (key, entry) = Self.quietest(state.channels) {
                state.channels.removeValue(forKey: key)
                state.evicted += 1
                victim = entry.channel
            }
            state.channels[id] = Entry(channel: channel, activity: activity)
            return (true, victim)
        }
        victim?.close(promise: nil)
        guard accepted else { return channel.close(promise: nil) }
        channel.closeFuture.whenComplete { [self] _ in
            _ = state.withLock { $0.channels.removeValue(forKey: id) }
        }
    }

    /// The connection not serving a request whose last change is oldest; connections
    /// without an activity record count as busy.
    private static func quietest(_ channels: [ObjectIdentifier: Entry]) -> (ObjectIdentifier, Entry)? {
        var best: (ObjectIdentifier, Entry, NIODeadline)?
        for (key, entry) in channels {
            guard let (state, since) = entry.activity?.current, state != .inRequest else { continue }
            if best == nil || since < best!.2 { best = (key, entry, since) }
        }
        return best.map { ($0.0, $0.1) }
    }

    /// Closes every tracked connection and refuses new ones; returns when they are closed.
    public func closeAll() async {
        let open = state.withLock { state -> [Channel] in
            state.isClosed = true
            return state.channels.values.map(\.channel)
        }
        for channel in open {
            channel.close(promise: nil)
        }
        for channel in open {
            try? await channel.closeFuture.get()
        }
    }
}
