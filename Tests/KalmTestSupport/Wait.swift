import Foundation

/// A test's own failure, with what went wrong.
public struct TestFailure: Error, CustomStringConvertible {
    /// What went wrong.
    public var description: String
    /// Creates a failure.
    public init(_ description: String) { self.description = description }
}

/// Checks `condition` every `interval` seconds until it holds or `timeout` passes; returns
/// whether it held. For state only reachable by asking (a metric value, a file); prefer an
/// event (`StreamedOutput.waitFor`, `ChildProcess.waitForExit`) where there is one.
@discardableResult
public func poll(timeout: Double, interval: Double = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: interval)
    }
}

/// `poll` for a value: the first non-nil result of `produce`, or nil once `timeout` passes.
public func pollValue<T>(timeout: Double, interval: Double = 0.05, _ produce: () throws -> T?) rethrows -> T? {
    var found: T?
    try poll(timeout: timeout, interval: interval) {
        found = try produce()
        return found != nil
    }
    return found
}
