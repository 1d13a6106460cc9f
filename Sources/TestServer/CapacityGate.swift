import Foundation
import NIOCore

/// A counting semaphore with a FIFO wait queue that never blocks a thread: `acquire`
/// runs its callback on the caller's event loop once one of `capacity` slots is free.
final class CapacityGate: @unchecked Sendable {
    /// Maximum number of holders at once.
    let capacity: Int
    private let lock = NSLock()
    private var holders = 0
    private var waiters: [(eventLoop: EventLoop, granted: () -> Void)] = []
    private var waitersHead = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Calls `granted` on `eventLoop` when a slot is free (immediately if one is).
    /// Every grant must be balanced by exactly one `release()`.
    func acquire(on eventLoop: EventLoop, _ granted: @escaping () -> Void) {
        let now: Bool = lock.withLock {
            if holders < capacity {
                holders += 1
                return true
            }
            waiters.append((eventLoop, granted))
            return false
        }
        if now { eventLoop.execute(granted) }
    }

    /// Frees a slot; hands it straight to the longest waiter, if any.
    func release() {
        let next: (eventLoop: EventLoop, granted: () -> Void)? = lock.withLock {
            guard waitersHead < waiters.count else {
                holders -= 1
                return nil
            }
            let next = waiters[waitersHead]
            waitersHead += 1
            if waitersHead > 1024, waitersHead * 2 > waiters.count {
                waiters.removeFirst(waitersHead)
                waitersHead = 0
            }
            return next
        }
        if let next { next.eventLoop.execute(next.granted) }
    }
}
