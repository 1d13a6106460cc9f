import Foundation

/// What one run of the `curl` CLI fetched.
public struct CurlResponse: Sendable {
    /// curl's exit code (0 on success; 7 refused, 28 timeout, 52 empty reply, 56 recv failure).
    public var exitCode: Int32
    /// Status of the last response, 0 when none was received.
    public var status: Int
    /// Headers of the last response, names lower-cased (last value wins).
    public var headers: [String: String]
    /// Body of the last response as curl wrote it (decoded with `--compressed`).
    public var body: Data
    /// Wall-clock seconds the curl process took.
    public var seconds: Double
    /// Output of curl's `-w` format after the status code.
    public var writeOut: String
    /// What curl printed on standard error.
    public var stderr: String

    /// The body as UTF-8.
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// curl's own error message, if any.
    public var curlError: String { stderr }
}

/// HTTP through the real `curl` command-line tool: what a user's client does, not ours.
public enum Curl {
    /// The curl binary.
    public static let path = "/usr/bin/curl"

    /// Fetches `url` with `extra` curl options; `writeOut` adds `-w` variables after the status.
    public static func fetch(_ url: String, _ extra: [String] = [], writeOut: String = "", timeout: Double = 20) -> CurlResponse {
        let dir = testTempRoot.appendingPathComponent("curl-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let headerFile = dir.appendingPathComponent("headers").path
        let bodyFile = dir.appendingPathComponent("body").path
        let args = ["-sS", "-g", "--max-time", String(timeout), "-D", headerFile, "-o", bodyFile,
                    "-w", "%{http_code} \(writeOut)"] + extra + [url]
        let start = ContinuousClock.now
        let run = run(args, timeout: timeout + 10)
        let elapsed = ContinuousClock.now - start
        let writeParts = run.stdout.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        return CurlResponse(
            exitCode: run.exitCode,
            status: Int(writeParts.first ?? "") ?? 0,
            headers: lastHeaderBlock((try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""),
            body: FileManager.default.contents(atPath: bodyFile) ?? Data(),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            writeOut: writeParts.count > 1 ? String(writeParts[1]) : "",
            stderr: run.stderr)
    }

    /// One request with `method` and `headers` (`"Name: value"` lines).
    public static func request(_ url: String, method: String = "GET", headers: [String] = [], extra: [String] = [],
                               timeout: Double = 10) -> CurlResponse {
        fetch(url, ["-X", method] + headers.flatMap { ["-H", $0] } + extra, timeout: timeout)
    }

    /// `fetch` on a thread of its own, so an async test never blocks the cooperative pool
    /// (which a server under test may need to answer).
    public static func fetchAsync(_ url: String, _ extra: [String] = [], writeOut: String = "",
                                  timeout: Double = 20) async -> CurlResponse {
        await offPool { fetch(url, extra, writeOut: writeOut, timeout: timeout) }
    }

    /// `run` on a thread of its own (see `fetchAsync`).
    public static func runAsync(_ args: [String], timeout: Double = 30) async -> (exitCode: Int32, stdout: String, stderr: String) {
        await offPool { run(args, timeout: timeout) }
    }

    /// Runs curl with `args`; exit code -9 when it had to be killed after `timeout` seconds.
    public static func run(_ args: [String], timeout: Double = 30) -> (exitCode: Int32, stdout: String, stderr: String) {
        do {
            let r = try runTool(path, args, timeout: timeout)
            return (r.status, r.stdout, r.stderr)
        } catch {
            return (-9, "", "\(error)")
        }
    }

    /// Header lines of the final response in a `-D` dump (which holds one block per hop).
    public static func lastHeaderBlock(_ dump: String) -> [String: String] {
        let blocks = dump.replacingOccurrences(of: "\r\n", with: "\n")
            .components(separatedBy: "\n\n").filter { $0.hasPrefix("HTTP/") }
        var headers: [String: String] = [:]
        for line in (blocks.last ?? "").split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }
}

/// Runs blocking `work` on a new thread and resumes with its result.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
