import Foundation
#if canImport(Glibc)
import Glibc
#endif

// Shared helpers for the `kalm agent` integration tests: long-running child processes
// (kalm, Prometheus, openssl s_server) with streamed output and bounded waits, free
// loopback ports, HTTP through the real `curl`, and a small parser for the Prometheus
// text format.
//
// Ports: the agent is always started with `--web.listen-address 127.0.0.1:0` and its
// bound port is read from its `msg=listening address=127.0.0.1:PORT` log line (race-free).
// Prometheus and `openssl s_server` need a port up front: `freeLoopbackPort()` binds :0,
// reads the port and closes the socket (a tiny window in which another process could take
// it; the tests fail loudly rather than hang if that happens).

// MARK: - Time

/// Polls `condition` every `interval` seconds until it holds or `timeout` passes; returns whether it held.
@discardableResult
func poll(timeout: Double, interval: Double = 0.1, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: interval)
    }
}

/// Polls `produce` until it returns a value or `timeout` passes.
func pollValue<T>(timeout: Double, interval: Double = 0.1, _ produce: () throws -> T?) rethrows -> T? {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if let v = try produce() { return v }
        if Date() >= deadline { return nil }
        Thread.sleep(forTimeInterval: interval)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Ports

/// A TCP port on 127.0.0.1 that was free a moment ago (bind :0, read the port, close).
func freeLoopbackPort() throws -> Int {
    let held = try ListeningSocket()
    return held.port
}

/// A socket bound and listening on 127.0.0.1:<ephemeral> until deinit (a busy address).
final class ListeningSocket {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed: errno \(errno)") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw TestFailure("bind/listen on 127.0.0.1:0 failed: errno \(errno)")
        }
        var out = sockaddr_in()
        var len = size
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: out.sin_port))
    }

    deinit { close(fd) }
}

// MARK: - Child processes

/// Collects a pipe's bytes on a background thread while the child runs.
final class StreamedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data.append(chunk) }
            }
            done.signal()
        }
    }

    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Waits (bounded) for EOF, so that `text` holds everything the child wrote.
    func waitForEOF(timeout: Double) {
        _ = done.wait(timeout: .now() + timeout)
    }
}

/// A long-running child process with streamed stdout/stderr. Killed (SIGKILL) in deinit if
/// still running, so a failing test never leaves it behind.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    private let out: StreamedOutput
    private let err: StreamedOutput

    init(_ executable: String, _ args: [String], environment: [String: String]? = nil,
         currentDirectory: String? = nil) throws {
        name = URL(fileURLWithPath: executable).lastPathComponent
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = args
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        process.standardInput = FileHandle.nullDevice
        try process.run()
        out = StreamedOutput(o.fileHandleForReading)
        err = StreamedOutput(e.fileHandleForReading)
    }

    deinit { forceStop() }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var stdout: String { out.text }
    var stderr: String { err.text }
    var output: String { stdout + stderr }

    func signal(_ signo: Int32) {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, signo) }
    }

    /// Waits up to `timeout` seconds for the child to exit; its exit status, or nil if it still runs.
    @discardableResult
    func waitForExit(timeout: Double) -> Int32? {
        guard poll(timeout: timeout, interval: 0.02, { !process.isRunning }) else { return nil }
        process.waitUntilExit()
        out.waitForEOF(timeout: 2)
        err.waitForEOF(timeout: 2)
        return process.terminationStatus
    }

    /// SIGKILL if still running, then reap. Idempotent.
    func forceStop() {
        guard process.isRunning else { return }
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// Runs a short-lived tool to completion (bounded), with optional stdin.
func runTool(_ executable: String, _ args: [String], stdin: Data? = nil, timeout: Double = 30)
    throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    let o = Pipe(), e = Pipe(), i = Pipe()
    p.standardOutput = o
    p.standardError = e
    p.standardInput = stdin == nil ? FileHandle.nullDevice : i
    try p.run()
    let out = StreamedOutput(o.fileHandleForReading)
    let err = StreamedOutput(e.fileHandleForReading)
    if let stdin {
        let writer = i.fileHandleForWriting
        Thread.detachNewThread {
            writer.write(stdin)
            try? writer.close()
        }
    }
    if !poll(timeout: timeout, interval: 0.01, { !p.isRunning }) {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        throw TestFailure("\(executable) \(args.joined(separator: " ")) did not finish within \(timeout) s")
    }
    p.waitUntilExit()
    out.waitForEOF(timeout: 5)
    err.waitForEOF(timeout: 5)
    return (p.terminationStatus, out.text, err.text)
}

/// A fresh temporary directory.
func tempDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kalm-it-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

// MARK: - HTTP through curl

struct HTTPReply {
    /// 0 when curl got no HTTP answer at all.
    var status: Int
    /// Lower-cased header names.
    var headers: [String: String]
    var body: Data
    var curlError: String
    var text: String { String(decoding: body, as: UTF8.self) }
}

enum Curl {
    static let path = "/usr/bin/curl"

    /// One request with the real curl; `extra` are further curl flags (e.g. `--compressed`).
    static func request(_ url: String, method: String = "GET", headers: [String] = [], extra: [String] = [],
                        timeout: Double = 10) throws -> HTTPReply {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bodyFile = dir.appendingPathComponent("body").path
        let headerFile = dir.appendingPathComponent("headers").path
        var args = ["-sS", "--max-time", String(timeout), "-X", method, "-o", bodyFile, "-D", headerFile,
                    "-w", "%{http_code}"]
        for h in headers { args += ["-H", h] }
        args += extra
        args.append(url)
        let r = try runTool(path, args, timeout: timeout + 5)
        let status = Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let body = (try? Data(contentsOf: URL(fileURLWithPath: bodyFile))) ?? Data()
        var parsed: [String: String] = [:]
        if let raw = try? String(contentsOfFile: headerFile, encoding: .utf8) {
            for line in raw.split(whereSeparator: \.isNewline) {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].lowercased()
                parsed[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return HTTPReply(status: status, headers: parsed, body: body, curlError: r.stderr)
    }
}

// MARK: - Prometheus text format

struct MetricSample {
    var name: String
    var labels: [String: String]
    var value: Double

    func has(_ subset: [String: String]) -> Bool {
        subset.allSatisfy { labels[$0.key] == $0.value }
    }
}

/// A parsed `/metrics` answer (text 0.0.4 or OpenMetrics).
struct Exposition {
    let text: String
    let samples: [MetricSample]
    /// Family name → TYPE.
    let types: [String: String]
    /// Families with a HELP line.
    let helps: Set<String>

    init(_ text: String) throws {
        self.text = text
        var samples: [MetricSample] = []
        var types: [String: String] = [:]
        var helps = Set<String>()
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            if line.hasPrefix("# TYPE ") {
                let f = line.split(separator: " ")
                if f.count >= 4 { types[String(f[2])] = String(f[3]) }
                continue
            }
            if line.hasPrefix("# HELP ") {
                let f = line.split(separator: " ", maxSplits: 3)
                if f.count >= 3 { helps.insert(String(f[2])) }
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.parseSample(line))
        }
        self.samples = samples
        self.types = types
        self.helps = helps
    }

    static func parseSample(_ line: String) throws -> MetricSample {
        let chars = Array(line.unicodeScalars)
        var i = 0
        var name = ""
        while i < chars.count, chars[i] != "{", chars[i] != " " { name.unicodeScalars.append(chars[i]); i += 1 }
        var labels: [String: String] = [:]
        if i < chars.count, chars[i] == "{" {
            i += 1
            while i < chars.count, chars[i] != "}" {
                var key = ""
                while i < chars.count, chars[i] != "=" { key.unicodeScalars.append(chars[i]); i += 1 }
                guard i + 1 < chars.count, chars[i + 1] == "\"" else { throw TestFailure("bad label in: \(line)") }
                i += 2
                var value = ""
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count {
                        i += 1
                        switch chars[i] {
                        case "n": value += "\n"
                        default: value.unicodeScalars.append(chars[i])
                        }
                    } else {
                        value.unicodeScalars.append(chars[i])
                    }
                    i += 1
                }
                i += 1  // closing quote
                labels[key.trimmingCharacters(in: .whitespaces)] = value
                if i < chars.count, chars[i] == "," { i += 1 }
            }
            i += 1  // }
        }
        let rest = String(String.UnicodeScalarView(chars[min(i, chars.count)...])).trimmingCharacters(in: .whitespaces)
        guard let first = rest.split(separator: " ").first, let value = parseValue(String(first)) else {
            throw TestFailure("bad sample value in: \(line)")
        }
        return MetricSample(name: name, labels: labels, value: value)
    }

    static func parseValue(_ s: String) -> Double? {
        switch s {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default: return Double(s)
        }
    }

    /// Samples named `name` whose labels include `labels`.
    func all(_ name: String, _ labels: [String: String] = [:]) -> [MetricSample] {
        samples.filter { $0.name == name && $0.has(labels) }
    }

    /// The value of the one sample named `name` with `labels` (nil if none; the first if several).
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        all(name, labels).first?.value
    }

    /// The sum over every sample named `name` with `labels`.
    func sum(_ name: String, _ labels: [String: String] = [:]) -> Double {
        all(name, labels).reduce(0) { $0 + $1.value }
    }

    /// Every distinct value of `label` among samples named `name` with `labels`.
    func labelValues(_ name: String, _ label: String, _ labels: [String: String] = [:]) -> Set<String> {
        Set(all(name, labels).compactMap { $0.labels[label] })
    }
}

// MARK: - The agent

/// `kalm agent` running in the background on an ephemeral loopback port.
final class AgentProcess: @unchecked Sendable {
    let child: ChildProcess
    let configPath: String
    /// `127.0.0.1:PORT` as the agent logged it.
    let address: String
    /// Removed in deinit (set when this object wrote the config itself).
    private var ownedDirectory: String?

    /// Starts `kalm agent -c configPath --web.listen-address 127.0.0.1:0 args...` and waits
    /// (≤ `timeout` s) for its `listening` log line (logfmt or JSON).
    init(configPath: String, args: [String] = [], environment: [String: String]? = nil, timeout: Double = 20) throws {
        self.configPath = configPath
        child = try ChildProcess(KalmProcess.binary,
                                 ["agent", "-c", configPath, "--web.listen-address", "127.0.0.1:0"] + args,
                                 environment: environment)
        let child = self.child
        let found: String? = pollValue(timeout: timeout, interval: 0.05) {
            if let a = Self.listeningAddress(in: child.stderr) { return a }
            if !child.isRunning { return "" }
            return nil
        }
        guard let found, !found.isEmpty else {
            child.forceStop()
            throw TestFailure("kalm agent did not start listening:\n\(child.output)")
        }
        address = found
    }

    /// Writes `yaml` to a fresh temp file and starts the agent on it.
    convenience init(yaml: String, args: [String] = [], environment: [String: String]? = nil) throws {
        let path = try tempFile(yaml)
        do {
            try self.init(configPath: path, args: args, environment: environment)
        } catch {
            try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
            throw error
        }
        ownedDirectory = (path as NSString).deletingLastPathComponent
    }

    deinit {
        child.forceStop()
        if let ownedDirectory { try? FileManager.default.removeItem(atPath: ownedDirectory) }
    }

    /// The address from `msg=listening address=HOST:PORT` (logfmt) or `"address":"HOST:PORT"` (JSON).
    static func listeningAddress(in log: String) -> String? {
        for line in log.split(separator: "\n") where line.contains("listening") {
            for pattern in [#"msg=listening address=(\S+)"#, #""address":"([^"]+)""#] {
                if let r = line.range(of: pattern, options: .regularExpression) {
                    let m = String(line[r])
                    if let start = m.range(of: "address=")?.upperBound ?? m.range(of: "\"address\":\"")?.upperBound {
                        return String(m[start...]).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    }
                }
            }
        }
        return nil
    }

    var port: Int { Int(address.split(separator: ":").last!)! }
    func url(_ path: String) -> String { "http://\(address)\(path)" }

    /// One scrape of `/metrics` (text format unless `accept` says otherwise).
    func scrape(accept: String? = nil) throws -> Exposition {
        let reply = try Curl.request(url("/metrics"), headers: accept.map { ["Accept: \($0)"] } ?? [])
        guard reply.status == 200 else {
            throw TestFailure("GET /metrics: \(reply.status) \(reply.curlError) \(reply.text)")
        }
        return try Exposition(reply.text)
    }

    /// Scrapes until `condition` holds (≤ `timeout` s); the last scrape either way.
    func scrape(until timeout: Double, _ condition: (Exposition) -> Bool) throws -> (Exposition, Bool) {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let m = try scrape()
            if condition(m) { return (m, true) }
            if Date() >= deadline { return (m, false) }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    var stderr: String { child.stderr }
    var output: String { child.output }
}
