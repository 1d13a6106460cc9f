import Foundation

/// Runs the real `kalm` binary built next to the test bundle, with a time limit.
struct KalmProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    /// `.build/<config>/kalm`, next to the test executable.
    static var binary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle may be `kalmPackageTests.xctest` (a file) in the products directory.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("kalm").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("kalm").path
    }

    /// Runs kalm with `args`; kills it after `timeout` seconds (the result then has status -9).
    static func run(_ args: [String], timeout: Double = 60, environment: [String: String]? = nil,
                    signal: (after: Double, signo: Int32)? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        if let environment {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let outData = StreamedOutput(out.fileHandleForReading)
        let errData = StreamedOutput(err.fileHandleForReading)
        func collected(_ o: StreamedOutput) -> String {
            o.waitForEOF(timeout: 30)
            return o.text
        }
        if let s = signal {
            Thread.sleep(forTimeInterval: s.after)
            kill(p.processIdentifier, s.signo)
        }
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return Result(status: -9, stdout: collected(outData), stderr: collected(errData))
        }
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: collected(outData), stderr: collected(errData))
    }
}

/// One directory per test process for every `tempFile`, removed when the process exits.
let testTempRoot: URL = {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("kalm-tests-\(getpid())-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    atexit {
        try? FileManager.default.removeItem(at: testTempRoot)
    }
    return root
}()

/// A temporary file holding `text` (in a fresh directory of its own under `testTempRoot`).
func tempFile(_ text: String, name: String = "kalm.yml") throws -> String {
    let dir = testTempRoot.appendingPathComponent(UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
