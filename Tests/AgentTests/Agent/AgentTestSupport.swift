import Foundation
import KalmTestSupport
#if canImport(Glibc)
import Glibc
#endif

// `kalm agent` as the integration tests run it; the generic helpers (child processes,
// curl, waits, the exposition parser) are in KalmTestSupport.
//
// Ports: the agent is always started with `--web.listen-address 127.0.0.1:0` and its
// bound port is read from its `msg=listening address=127.0.0.1:PORT` log line (race-free).
// Prometheus and `openssl s_server` need a port up front: `freeLoopbackPort()` binds :0,
// reads the port and closes the socket (a tiny window in which another process could take
// it; the tests fail loudly rather than hang if that happens).

// MARK: - The agent

/// `kalm agent` running in the background on an ephemeral loopback port.
final class AgentProcess: Sendable {
    let child: ChildProcess
    let configPath: String
    /// `127.0.0.1:PORT` as the agent logged it.
    let address: String
    /// Removed in deinit (set when this object wrote the config itself).
    private let ownedDirectory: String?

    /// Starts `kalm agent -c configPath --web.listen-address 127.0.0.1:0 args...` and waits
    /// (≤ `timeout` s) for its `listening` log line (logfmt or JSON).
    init(configPath: String, args: [String] = [], environment: [String: String]? = nil, timeout: Double = 20,
         ownedDirectory: String? = nil) throws {
        self.configPath = configPath
        self.ownedDirectory = ownedDirectory
        child = try ChildProcess(KalmProcess.binary,
                                 ["agent", "-c", configPath, "--web.listen-address", "127.0.0.1:0"] + args,
                                 environment: environment)
        child.stderrStream.waitFor(timeout: timeout) { Self.listeningAddress(in: $0) != nil }
        guard let found = Self.listeningAddress(in: child.stderr) else {
            child.forceStop()
            if let ownedDirectory { try? FileManager.default.removeItem(atPath: ownedDirectory) }
            throw TestFailure("kalm agent did not start listening:\n\(child.output)")
        }
        address = found
    }

    /// Writes `yaml` to a fresh temp file and starts the agent on it.
    convenience init(yaml: String, args: [String] = [], environment: [String: String]? = nil) throws {
        let path = try tempFile(yaml)
        try self.init(configPath: path, args: args, environment: environment,
                      ownedDirectory: (path as NSString).deletingLastPathComponent)
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
    func url(_ path: String, scheme: String = "http") -> String { "\(scheme)://\(address)\(path)" }

    /// One scrape of `/metrics` (text format unless `accept` says otherwise).
    func scrape(accept: String? = nil) throws -> Exposition {
        let reply = Curl.request(url("/metrics"), headers: accept.map { ["Accept: \($0)"] } ?? [])
        guard reply.status == 200 else {
            throw TestFailure("GET /metrics: \(reply.status) \(reply.curlError) \(reply.text)")
        }
        return try Exposition(reply.text)
    }

    /// Scrapes until `condition` holds (≤ `timeout` s); the last scrape either way.
    func scrape(until timeout: Double, _ condition: (Exposition) -> Bool) throws -> (Exposition, Bool) {
        var last = try scrape()
        let held = try poll(timeout: timeout, interval: 0.2) {
            if condition(last) { return true }
            last = try scrape()
            return condition(last)
        }
        return (last, held)
    }

    var stderr: String { child.stderr }
    var output: String { child.output }
}
