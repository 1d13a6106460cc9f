#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a pthread mutex: the only way to it is `withLock`.
///
/// kalm's shared mutable state lives in these rather than in the standard library's
/// `Synchronization.Mutex`: on Linux, `Mutex`'s contended path waits on a futex inside the
/// precompiled runtime, where ThreadSanitizer cannot see it, so every contended lock shows
/// up as a false data race and `scripts/test --tsan` could find nothing real. A pthread
/// mutex is intercepted by TSan, costs the same uncontended (glibc's is a futex too), and
/// keeps the sanitizer honest.
///
/// Unchecked Sendable: `value` is read and written only inside `withLock`, which holds
/// `mutex` for the whole access.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Wraps `value`.
    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value while holding the lock; returns what it returns.
    @inlinable
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body(&valueStorage)
    }

    /// The value's storage, for `withLock` (inlinable code may not name a private member).
    @usableFromInline
    var valueStorage: Value {
        _read { yield value }
        _modify { yield &value }
    }

    @usableFromInline
    func lock() { pthread_mutex_lock(mutex) }

    @usableFromInline
    func unlock() { pthread_mutex_unlock(mutex) }
}
