import Foundation
import KalmSupport
import Logging
import NIOCore

/// The endpoint's security as of now: the web config file and the certificate, key and CA
/// files it names are watched, and a new connection gets the security built from their
/// current contents (exporter-toolkit re-reads them per connection too; docs/configuration.md,
/// "Rotating certificates").
///
/// The files are looked at (one `stat` each) at most once per `checkInterval`, when a
/// connection arrives; only a change rebuilds. A rebuild that fails (a half-written key, a
/// certificate that does not match its key) keeps serving with the last good security and
/// logs why, as Prometheus keeps its last good config.
public final class EndpointSecuritySource: Sendable {
    private struct State {
        var security: EndpointSecurity
        var fingerprints: [String: FileFingerprint]
        var lastCheck: NIODeadline
        var lastFailure: [String: FileFingerprint]?
    }

    private let state: Locked<State>
    private let webConfigFile: String?
    private let reload: (@Sendable () throws -> EndpointSecurity)?
    private let checkInterval: TimeAmount
    private let logger: Logger

    /// Security that never changes (no web config file, or one given in code).
    public static func fixed(_ security: EndpointSecurity) -> EndpointSecuritySource {
        EndpointSecuritySource(security, webConfigFile: nil, reload: nil, logger: Logger(label: "kalm.web"))
    }

    /// `security` as loaded from `webConfigFile`; `reload` loads it again when that file or
    /// one of its TLS files changes.
    public init(_ security: EndpointSecurity, webConfigFile: String?, reload: (@Sendable () throws -> EndpointSecurity)?,
                checkInterval: TimeAmount = .seconds(1), logger: Logger) {
        self.webConfigFile = webConfigFile
        self.reload = reload
        self.checkInterval = checkInterval
        self.logger = logger
        let files = Self.watched(security, webConfigFile: webConfigFile)
        self.state = Locked(State(security: security, fingerprints: FileFingerprint.of(files), lastCheck: .now()))
    }

    /// The security for a connection arriving now.
    public func current() -> EndpointSecurity {
        guard let reload else { return state.withLock { $0.security } }
        return state.withLock { state in
            let now = NIODeadline.now()
            guard now - state.lastCheck >= checkInterval else { return state.security }
            state.lastCheck = now
            let seen = FileFingerprint.of(Array(state.fingerprints.keys))
            // Unchanged, or the same broken contents that failed last time: nothing to do.
            guard seen != state.fingerprints, seen != state.lastFailure else { return state.security }
            do {
                let security = try reload()
                state.security = security
                state.fingerprints = FileFingerprint.of(Self.watched(security, webConfigFile: webConfigFile))
                state.lastFailure = nil
                logger.info("web config reloaded", metadata: ["tls": "\(security.tls != nil)", "files": "\(state.fingerprints.keys.sorted())"])
            } catch {
                state.lastFailure = seen
                logger.error("cannot reload the web config; keeping the previous one", metadata: ["error": "\(error)"])
            }
            return state.security
        }
    }

    private static func watched(_ security: EndpointSecurity, webConfigFile: String?) -> [String] {
        (webConfigFile.map { [$0] } ?? []) + (security.tls?.settings.files ?? [])
    }
}
