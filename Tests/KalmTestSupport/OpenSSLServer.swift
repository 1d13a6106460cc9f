import Foundation

/// `openssl s_server -www` on 127.0.0.1: a TLS server whose protocol version and
/// client-certificate policy a test chooses, for what FaultServer (plain HTTP) cannot do.
///
/// `-www` answers any GET with `HTTP/1.0 200 ok` and an HTML page describing the session.
/// With `requireClientCertificate`, `-Verify 1 -verify_return_error` fails the handshake
/// unless the client presents a certificate that chains to `certificates.caCert`.
/// Stopped (SIGKILL) by `stop()` or deinit.
public final class OpenSSLServer: Sendable {
    /// Which TLS versions the server offers.
    public enum TLSVersion: Sendable {
        /// Whatever openssl allows (TLS 1.2 and 1.3).
        case any
        /// `-tls1_2`: TLS 1.2 only.
        case tls12
        /// `-tls1_3`: TLS 1.3 only.
        case tls13
    }

    /// The port it accepts on.
    public let port: Int
    /// The running `openssl s_server`.
    public let child: ChildProcess

    /// Starts a server with `certificates.serverCert` on a free loopback port and returns
    /// once it accepts connections (its `ACCEPT` line), or throws after `timeout` seconds.
    public init(certificates: TLSCertificates, requireClientCertificate: Bool = false,
                version: TLSVersion = .any, timeout: Double = 10) throws {
        guard let openssl = TLSCertificates.openssl else { throw TestFailure("openssl not found") }
        var lastError = ""
        // freeLoopbackPort leaves a small window for another process to take the port;
        // a bind failure ends s_server at once, so a fresh port is simply tried again.
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            var args = ["s_server", "-www", "-accept", "127.0.0.1:\(port)",
                        "-cert", certificates.serverCert, "-key", certificates.serverKey]
            if requireClientCertificate {
                args += ["-CAfile", certificates.caCert, "-Verify", "1", "-verify_return_error"]
            }
            switch version {
            case .any: break
            case .tls12: args.append("-tls1_2")
            case .tls13: args.append("-tls1_3")
            }
            let child = try ChildProcess(openssl, args)
            // s_server prints ACCEPT once it listens; the wait ends early if it exits instead.
            if child.stdoutStream.waitFor(timeout: timeout, { $0.contains("ACCEPT") }), child.isRunning {
                self.port = port
                self.child = child
                return
            }
            child.forceStop()
            lastError = child.output
        }
        throw TestFailure("openssl s_server did not start: \(lastError)")
    }

    deinit { stop() }

    /// `https://localhost:PORT/` (the server certificate names localhost, 127.0.0.1 and
    /// api.test; curl's `--resolve api.test:PORT:127.0.0.1` reaches the last).
    public var url: String { "https://localhost:\(port)/" }

    /// What the server printed so far (handshake errors show up here).
    public var output: String { child.output }

    /// Stops the server (SIGKILL, then reaped). Idempotent. Not SIGTERM: a child spawned
    /// from a Swift concurrency or Dispatch thread inherits that thread's signal mask, which
    /// blocks SIGTERM, and s_server never unblocks it, so SIGTERM would only stay pending.
    /// Nothing of the server outlives it but files in its temporary directory.
    public func stop() {
        child.forceStop()
    }
}
