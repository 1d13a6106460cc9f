import KalmSupport
import NIOCore

/// A counting semaphore with a FIFO wait queue that never blocks a thread: `acquire`
/// runs its callback on the caller's event loop once one of `capacity` slots is free.
final class CapacityGate: Sendable {
    private struct Waiter {
        var eventLoop: EventLoop
        var granted: @Sendable () -> Void
    }

    private struct State {
        var holders = 0
        var waiters: [Waiter] = []
        var waitersHead = 0
    }

    /// Maximum number of holders at once.
    let capacity: Int
    private let state = Locked(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Calls `granted` on `eventLoop` when a slot is free (immediately if one is).
    /// Every grant must be balanced by exactly one `release()`.
    func acquire(on eventLoop: EventLoop, _ granted: @escaping @Sendable () -> Void) {
        let now: Bool = state.withLock {
            if $0.holders < capacity {
                $0.holders += 1
                return true
            }
            $0.waiters.append(Waiter(eventLoop: eventLoop, granted: granted))
            return false
        }
        if now { eventLoop.execute(granted) }
    }

    /// Frees a slot; hands it straight to the longest waiter, if any.
    func release() {
        let next: Waiter? = state.withLock {
            guard $0.waitersHead < $0.waiters.count else {
                $0.holders -= 1
                return nil
            }
            let next = $0.waiters[$0.waitersHead]
            $0.waitersHead += 1
            if $0.waitersHead > 1024, $0.waitersHead * 2 > $0.waiters.count {
                $0.waiters.removeFirst($0.waitersHead)
                $0.waitersHead = 0
            }
            return next
        }
        if let next { next.eventLoop.execute(next.granted) }
    }
}
