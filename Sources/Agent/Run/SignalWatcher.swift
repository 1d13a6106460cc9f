#if canImport(Glibc)
import Glibc
#endif
import KalmSupport
import UnixSignals

/// Turns signals into calls of `handler(countSoFar)` instead of the default immediate exit,
/// through the same `UnixSignalsSequence` the agent uses for SIGHUP.
final class SignalWatcher: Sendable {
    private let count = Locked(0)
    private let watching = Locked<Task<Void, Never>?>(nil)

    /// Ignores `signals` at once (so none can kill the process from here on), then watches
    /// them. Does not wait for the watch to start: blocking the caller, a cooperative-pool
    /// thread, on a task that needs that pool could deadlock a one-core machine. A signal in
    /// the moment before the watch starts is ignored rather than fatal.
    init(signals: [UnixSignal], handler: @escaping @Sendable (Int) -> Void) {
        for sig in signals { signal(sig.rawValue, SIG_IGN) }
        let task = Task.detached { [weak self] in
            for await _ in await UnixSignalsSequence(trapping: signals) {
                guard let self else { return }
                handler(self.count.withLock { n in
                    n += 1
                    return n
                })
            }
        }
        watching.withLock { $0 = task }
    }

    /// How many signals arrived.
    var fired: Int { count.withLock { $0 } }

    /// Stops watching.
    func cancel() {
        watching.withLock { $0 }?.cancel()
    }
}
