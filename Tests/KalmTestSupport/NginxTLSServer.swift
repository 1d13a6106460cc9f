import Foundation

/// A private nginx (its own prefix under `testTempRoot`, nothing of the system's nginx used
/// or touched) serving HTTP/2 two ways, each answering every path with 200 and the
/// request's protocol as text (`HTTP/2.0\n`, `HTTP/1.1\n`):
/// - `tlsPort`: TLS with `certificates.serverCert`, ALPN h2 and http/1.1;
/// - `h2cPort`: cleartext HTTP/2 with prior knowledge (h2c; HTTP/1.1 is refused there).
///
/// nginx runs in the foreground as one process (`daemon off; master_process off;`) so it is
/// this object's child; every path it writes (logs, pid, temp files) is inside the prefix,
/// so it runs as any user. Stopped (SIGKILL) by `stop()` or deinit.
public final class NginxTLSServer: Sendable {
    /// The nginx binary, or nil when none is installed (scripts/test installs `nginx-light`).
    public static let binary: String? = ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx",
                                         "/usr/local/nginx/sbin/nginx"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    /// Whether nginx is installed, for `.enabled(if:)`.
    public static var available: Bool { binary != nil }

    /// The TLS port (HTTP/2 and HTTP/1.1 by ALPN).
    public let tlsPort: Int
    /// The cleartext HTTP/2 (prior knowledge) port.
    public let h2cPort: Int
    /// nginx's prefix directory: `conf/nginx.conf`, `logs/error.log`, `logs/access.log`, `tmp/`.
    public let prefix: String
    /// The running nginx.
    public let child: ChildProcess

    /// Writes a config for `certificates`, starts nginx on two free loopback ports, and
    /// returns once both accept connections, or throws after `timeout` seconds.
    public init(certificates: TLSCertificates, timeout: Double = 10) throws {
        guard let nginx = Self.binary else { throw TestFailure("nginx not found (Debian package `nginx-light`)") }
        let build = try Self.build(of: nginx)
        prefix = try tempDirectory().appendingPathComponent("nginx").path
        for dir in ["conf", "logs", "tmp"] {
            try FileManager.default.createDirectory(atPath: prefix + "/" + dir, withIntermediateDirectories: true)
        }
        var lastError = ""
        // freeLoopbackPort leaves a small window for another process to take a port; nginx
        // then exits (after its own bind retries), and fresh ports are tried.
        for _ in 0..<3 {
            let tls = try freeLoopbackPort(), h2c = try freeLoopbackPort()
            guard tls != h2c else { continue }
            let config = prefix + "/conf/nginx.conf"
            try Self.config(prefix: prefix, tlsPort: tls, h2cPort: h2c, certificates: certificates,
                            build: build).write(toFile: config, atomically: true, encoding: .utf8)
            // -e (1.19.5+): the error log nginx uses before it has read the config, instead
            // of the compiled-in path, which another user's nginx may own.
            var args = ["-p", prefix + "/", "-c", config]
            if !build.version.lexicographicallyPrecedes([1, 19, 5]) { args += ["-e", prefix + "/logs/error.log"] }
            let child = try ChildProcess(nginx, args)
            let up = poll(timeout: timeout) {
                !child.isRunning || (Self.accepts(port: tls) && Self.accepts(port: h2c))
            }
            if up, child.isRunning {
                tlsPort = tls
                h2cPort = h2c
                self.child = child
                return
            }
            child.forceStop()
            lastError = child.output + ((try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? "")
        }
        throw TestFailure("nginx did not start: \(lastError)")
    }

    deinit { stop() }

    /// `https://localhost:TLSPORT/`.
    public var tlsURL: String { "https://localhost:\(tlsPort)/" }
    /// `http://127.0.0.1:H2CPORT/`, for `curl --http2-prior-knowledge`.
    public var h2cURL: String { "http://127.0.0.1:\(h2cPort)/" }
    /// nginx's error log so far.
    public var errorLog: String {
        (try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? ""
    }

    /// Stops the server (SIGKILL, then reaped). Idempotent. Not SIGTERM: a child spawned
    /// from a Swift concurrency or Dispatch thread inherits that thread's signal mask, which
    /// blocks SIGTERM, and nginx never unblocks it, so SIGTERM would only stay pending.
    /// Nothing of the server outlives it but files in its temporary directory.
    public func stop() {
        child.forceStop()
    }

    /// What `nginx -V` reports (on stderr): the version (`nginx version: nginx/1.22.1`
    /// gives [1, 22, 1]) and the configure arguments, which say which modules were left out.
    static func build(of nginx: String) throws -> (version: [Int], configure: String) {
        let run = try runTool(nginx, ["-V"], timeout: 10)
        let text = run.stderr + run.stdout
        guard let range = text.range(of: "nginx/") else { throw TestFailure("nginx -V said: \(text)") }
        let number = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return (number.split(separator: ".").compactMap { Int($0) }, text)
    }

    /// The config. nginx 1.25.1 replaced `listen ... http2` with the `http2 on;` directive
    /// (the old form still works there but warns); Debian 12 has 1.22, which knows only the old.
    /// Each temp path moves into the prefix (the compiled-in ones belong to the system's
    /// nginx user), but only for modules the build has: the directive of a module left
    /// out is an error.
    static func config(prefix: String, tlsPort: Int, h2cPort: Int, certificates: TLSCertificates,
                       build: (version: [Int], configure: String)) -> String {
        let modern = !build.version.lexicographicallyPrecedes([1, 25, 1])
        let listenTLS = modern ? "listen 127.0.0.1:\(tlsPort) ssl;\n        http2 on;"
                               : "listen 127.0.0.1:\(tlsPort) ssl http2;"
        let listenH2C = modern ? "listen 127.0.0.1:\(h2cPort);\n        http2 on;"
                               : "listen 127.0.0.1:\(h2cPort) http2;"
        var tempPaths = ["client_body_temp_path \(prefix)/tmp/body;"]
        for module in ["proxy", "fastcgi", "uwsgi", "scgi"]
        where !build.configure.contains("--without-http_\(module)_module") {
            tempPaths.append("\(module)_temp_path \(prefix)/tmp/\(module);")
        }
        return """
            # generated by KalmTestSupport.NginxTLSServer
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(prefix)/logs/nginx.pid;
            error_log \(prefix)/logs/error.log notice;

            events {
                worker_connections 256;
            }

            http {
                access_log \(prefix)/logs/access.log;
                \(tempPaths.joined(separator: "\n        "))

                server {
                    \(listenTLS)
                    ssl_certificate \(certificates.serverCert);
                    ssl_certificate_key \(certificates.serverKey);
                    location / { default_type text/plain; return 200 "$server_protocol\\n"; }
                }

                server {
                    \(listenH2C)
                    location / { default_type text/plain; return 200 "$server_protocol\\n"; }
                }
            }

            """
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        (try? RawConnection(port: port, timeoutSeconds: 1)) != nil
    }
}
