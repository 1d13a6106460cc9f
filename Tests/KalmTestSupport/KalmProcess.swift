import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `kalm` binary built next to the test bundle, with a time limit.
public enum KalmProcess {
    /// What a finished run printed and how it exited.
    public struct Result: Sendable {
        /// Exit status; -9 when it was killed for running past its time limit.
        public var status: Int32
        /// Standard output.
        public var stdout: String
        /// Standard error.
        public var stderr: String
        /// Both, stdout first.
        public var output: String { stdout + stderr }
    }

    /// `.build/<config>/kalm`, next to the test executable.
    public static var binary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle may be `kalmPackageTests.xctest` (a file) in the products directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kalm").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("kalm").path
    }

    /// Runs kalm with `args`; kills it after `timeout` seconds (the result then has status -9).
    /// `signal` sends a signal that many seconds into the run (for tests about interrupting one).
    public static func run(_ args: [String], timeout: Double = 60, environment: [String: String]? = nil,
                           signal: (after: Double, signo: Int32)? = nil) throws -> Result {
        let child = try ChildProcess(binary, args, environment: environment)
        if let s = signal, child.waitForExit(timeout: s.after) == nil {
            child.signal(s.signo)
        }
        guard let status = child.waitForExit(timeout: timeout - (signal?.after ?? 0)) else {
            child.forceStop()
            child.stdoutStream.waitForEOF(timeout: 5)
            child.stderrStream.waitForEOF(timeout: 5)
            return Result(status: -9, stdout: child.stdout, stderr: child.stderr)
        }
        return Result(status: status, stdout: child.stdout, stderr: child.stderr)
    }
}
