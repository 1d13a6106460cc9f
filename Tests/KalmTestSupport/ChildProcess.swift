import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process with streamed stdout and stderr. Killed (SIGKILL) in deinit if still
/// running, so a failing test never leaves it behind.
public final class ChildProcess: Sendable {
    /// The process.
    public let process: Process
    /// The executable's file name, for messages.
    public let name: String
    private let out: StreamedOutput
    private let err: StreamedOutput
    private let exited = DispatchSemaphoreBox()

    /// Starts `executable args` with `environment` merged over this process's.
    public init(_ executable: String, _ args: [String], environment: [String: String]? = nil,
                currentDirectory: String? = nil, stdin: Data? = nil) throws {
        let process = Process()
        name = URL(fileURLWithPath: executable).lastPathComponent
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let o = Pipe(), e = Pipe(), i = Pipe()
        process.standardOutput = o
        process.standardError = e
        process.standardInput = stdin == nil ? FileHandle.nullDevice : i
        let exited = self.exited
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        self.process = process
        out = StreamedOutput(o.fileHandleForReading)
        err = StreamedOutput(e.fileHandleForReading)
        if let stdin {
            let writer = i.fileHandleForWriting
            Thread.detachNewThread {
                writer.write(stdin)
                try? writer.close()
            }
        }
    }

    deinit { forceStop() }

    /// The child's pid.
    public var pid: Int32 { process.processIdentifier }
    /// Whether the child still runs.
    public var isRunning: Bool { process.isRunning }
    /// Its standard output so far.
    public var stdout: String { out.text }
    /// Its standard output so far, as bytes.
    public var stdoutData: Data { out.data }
    /// Its standard error so far.
    public var stderr: String { err.text }
    /// Standard output then standard error.
    public var output: String { stdout + stderr }
    /// The stream of standard output, to wait on.
    public var stdoutStream: StreamedOutput { out }
    /// The stream of standard error, to wait on (kalm logs there).
    public var stderrStream: StreamedOutput { err }

    /// Sends `signo` if the child still runs.
    public func signal(_ signo: Int32) {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, signo) }
    }

    /// Waits up to `timeout` seconds for the child to exit (woken by its exit, not polling);
    /// its exit status with all its output read, or nil if it still runs.
    @discardableResult
    public func waitForExit(timeout: Double) -> Int32? {
        guard exited.wait(timeout: timeout) else { return nil }
        process.waitUntilExit()
        out.waitForEOF(timeout: 5)
        err.waitForEOF(timeout: 5)
        return process.terminationStatus
    }

    /// SIGKILL if still running, then reap. Idempotent.
    public func forceStop() {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// A semaphore that stays signalled once signalled (every waiter returns at once after).
final class DispatchSemaphoreBox: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)

    func signal() { semaphore.signal() }

    /// Whether the signal came within `timeout` seconds.
    func wait(timeout: Double) -> Bool {
        guard semaphore.wait(timeout: .now() + timeout) == .success else { return false }
        semaphore.signal()   // let later waiters through too
        return true
    }
}

/// Runs a short-lived tool to completion (bounded by `timeout` seconds), with optional stdin.
public func runTool(_ executable: String, _ args: [String], stdin: Data? = nil, environment: [String: String]? = nil,
                    timeout: Double = 30) throws -> (status: Int32, stdout: String, stderr: String) {
    let child = try ChildProcess(executable, args, environment: environment, stdin: stdin)
    guard let status = child.waitForExit(timeout: timeout) else {
        child.forceStop()
        throw TestFailure("\(executable) \(args.joined(separator: " ")) did not finish within \(timeout) s")
    }
    return (status, child.stdout, child.stderr)
}
