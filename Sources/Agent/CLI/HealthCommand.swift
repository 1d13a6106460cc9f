import ArgumentParser
import Foundation
import Probes

/// `kalm health`: GETs an agent's `/-/healthy` or `/-/ready` with the credentials a secured
/// endpoint asks for; exit 0 when the answer is 2xx, 1 otherwise. Kubernetes exec probes and
/// container health checks use it, since the image has no shell or curl and kubelet's own
/// probes can present neither a client certificate nor a password kept out of the pod spec
/// (docs/configuration.md, "Health checks").
struct HealthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check an agent's /-/healthy or /-/ready (exit 0 when it answers 2xx, 1 otherwise).")

    @Option(name: .customLong("url"), help: "The URL to check.")
    var url = "http://127.0.0.1:9877/-/healthy"
    @Option(name: .customLong("ca-file"), help: "PEM CA certificates to verify the endpoint with.")
    var caFile: String?
    @Option(name: .customLong("cert-file"), help: "Client certificate (PEM), for client_auth_type Require*.")
    var certFile: String?
    @Option(name: .customLong("key-file"), help: "The client certificate's key (PEM).")
    var keyFile: String?
    @Flag(name: .customLong("insecure"), help: "Do not verify the endpoint's certificate (as kubelet's HTTPS probes).")
    var insecure = false
    @Option(name: .customLong("user"), help: "Basic-auth user name.")
    var user: String?
    @Option(name: .customLong("password-file"), help: "File holding the basic-auth password (a trailing newline is ignored).")
    var passwordFile: String?
    @Option(name: .customLong("timeout"), help: "How long the check may take.")
    var timeout = DurationArgument(argument: "5s")!

    func run() throws {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw UsageError(.invalidValue, "--url \(url): give an http:// or https:// URL, e.g. https://127.0.0.1:9877/-/ready")
        }
        guard (certFile == nil) == (keyFile == nil) else {
            throw UsageError(.conflictingFlags, "--cert-file and --key-file go together: give both or neither")
        }
        guard (user == nil) == (passwordFile == nil) else {
            throw UsageError(.conflictingFlags, "--user and --password-file go together: give both or neither")
        }
        var auth: (user: String, password: String)?
        if let user, let passwordFile {
            guard let text = try? String(contentsOfFile: passwordFile, encoding: .utf8) else {
                throw UsageError(.unreadableFile, "--password-file \(passwordFile): cannot be read; give a readable file holding the password")
            }
            var password = Substring(text)
            while password.last == "\n" || password.last == "\r" { password = password.dropLast() }
            auth = (user, String(password))
        }
        let check = HealthCheck(url: url, tls: TLSOptions(insecureSkipVerify: insecure, caFile: caFile, certFile: certFile, keyFile: keyFile),
                                basicAuth: auth, timeout: .milliseconds(Int64(timeout.seconds * 1000)))
        let outcome = check.perform()
        if outcome.healthy {
            print("\(url): \(outcome.status) \(outcome.detail)")
            return
        }
        printErr(outcome.status == 0 ? "\(url): no answer: \(outcome.detail)" : "\(url): \(outcome.status) \(outcome.detail)")
        throw ExitCode(KalmExit.unhealthy)
    }
}
