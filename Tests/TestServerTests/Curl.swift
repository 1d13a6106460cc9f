import Foundation

/// Runs the `curl` command-line tool against the test server.
enum Curl {
    /// Outcome of one `curl` run that fetched a single URL.
    struct Response {
        /// curl's exit code (0 on success; 7 refused, 28 timeout, 52 empty reply, 56 recv failure).
        var exitCode: Int32
        /// Status of the last response, 0 when none was received.
        var status: Int
        /// Headers of the last response, names lower-cased (last value wins).
        var headers: [String: String]
        /// Body of the last response as written by curl (decoded with `--compressed`).
        var body: Data
        /// Wall-clock seconds the curl process took.
        var seconds: Double
        /// Output of curl's `-w` format that followed the status code.
        var writeOut: String
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Fetches `url` with `extra` options; `writeOut` adds `-w` variables after the status.
    static func fetch(_ url: String, _ extra: [String] = [], writeOut: String = "") -> Response {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalm-curl-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let headerFile = dir.appendingPathComponent("headers").path
        let bodyFile = dir.appendingPathComponent("body").path
        let args = ["-sS", "-g", "--max-time", "20", "-D", headerFile, "-o", bodyFile,
                    "-w", "%{http_code} \(writeOut)"] + extra + [url]
        let start = ContinuousClock.now
        let run = run(args)
        let elapsed = ContinuousClock.now - start
        let writeParts = run.stdout.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        return Response(
            exitCode: run.exitCode,
            status: Int(writeParts.first ?? "") ?? 0,
            headers: parseLastHeaderBlock((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""),
            body: FileManager.default.contents(atPath: bodyFile) ?? Data(),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            writeOut: writeParts.count > 1 ? String(writeParts[1]) : "")
    }

    /// Runs curl with `args`; returns exit code, stdout and stderr.
    static func run(_ args: [String]) -> (exitCode: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl"] + args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try! process.run()
        // Drain both pipes before waiting so a chatty curl can never block on a full pipe.
        let errData = LockedData()
        let errReader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errData.done { usleep(1000) }
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self),
                String(decoding: errData.get(), as: UTF8.self))
    }

    /// Header lines of the final response in a `-D` dump (which holds one block per hop).
    static func parseLastHeaderBlock(_ dump: String) -> [String: String] {
        let blocks = dump.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n").filter { $0.hasPrefix("HTTP/") }
        var headers: [String: String] = [:]
        for line in (blocks.last ?? "").split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    /// A tiny thread-safe box for the stderr reader.
    private final class LockedData: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?
        func set(_ value: Data) { lock.withLock { data = value } }
        var done: Bool { lock.withLock { data != nil } }
        func get() -> Data { lock.withLock { data ?? Data() } }
    }
}
