import Dispatch
import KalmSupport
import UnixSignals

/// Turns signals into calls of `handler(countSoFar)` instead of the default immediate exit,
/// through the same `UnixSignalsSequence` the agent uses for SIGHUP.
final class SignalWatcher: Sendable {
    private let count = Locked(0)
    private let watching = Locked<Task<Void, Never>?>(nil)

    /// Returns once `signals` are trapped, so none sent after this kills the process.
    init(signals: [UnixSignal], handler: @escaping @Sendable (Int) -> Void) {
        let trapped = DispatchSemaphore(value: 0)
        let task = Task.detached { [weak self] in
            let sequence = await UnixSignalsSequence(trapping: signals)
            trapped.signal()
            for await _ in sequence {
                guard let self else { return }
                handler(self.count.withLock { n in
                    n += 1
                    return n
                })
            }
        }
        trapped.wait()
        watching.withLock { $0 = task }
    }

    /// How many signals arrived.
    var fired: Int { count.withLock { $0 } }

    /// Stops watching.
    func cancel() {
        watching.withLock { $0 }?.cancel()
    }
}
