import Foundation
import KalmSupport

/// Collects a pipe's bytes on a background thread while a child runs, and wakes waiters
/// whenever bytes arrive, so a test waits for a log line instead of sleeping.
public final class StreamedOutput: Sendable {
    private struct State {
        var data = Data()
        var finished = false
    }

    private let state = Locked(State())
    /// Signalled on every chunk and at EOF.
    private let changed = NSCondition()

    /// Starts reading `handle` until EOF.
    public init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                changed.lock()
                state.withLock {
                    if chunk.isEmpty { $0.finished = true } else { $0.data.append(chunk) }
                }
                changed.broadcast()
                changed.unlock()
                if chunk.isEmpty { break }
            }
        }
    }

    /// Everything read so far, as bytes.
    public var data: Data { state.withLock { $0.data } }

    /// Everything read so far, as UTF-8.
    public var text: String { state.withLock { String(decoding: $0.data, as: UTF8.self) } }

    /// Whether the writer closed its end.
    public var finished: Bool { state.withLock { $0.finished } }

    /// Waits until `predicate` holds for the text read so far, or EOF, or `timeout` seconds;
    /// returns whether it held.
    @discardableResult
    public func waitFor(timeout: Double, _ predicate: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        changed.lock()
        defer { changed.unlock() }
        while true {
            if predicate(text) { return true }
            if finished || !changed.wait(until: deadline) { return predicate(text) }
        }
    }

    /// Waits (bounded) for EOF, so that `text` holds everything the writer wrote.
    public func waitForEOF(timeout: Double) {
        waitFor(timeout: timeout) { _ in finished }
    }
}
