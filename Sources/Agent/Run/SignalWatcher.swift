import Dispatch
import Foundation

/// Turns SIGINT/SIGTERM into calls of `handler(countSoFar)` on a background queue,
/// instead of the default immediate exit.
final class SignalWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(signals: [Int32], handler: @escaping @Sendable (Int) -> Void) {
        let queue = DispatchQueue(label: "kalm.signals")
        for sig in signals {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.count += 1
                let n = self.count
                self.lock.unlock()
                handler(n)
            }
            s.resume()
            sources.append(s)
        }
    }

    /// How many signals arrived.
    var fired: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func cancel() {
        for s in sources { s.cancel() }
        sources.removeAll()
    }
}
