import Exporter
import Measurements
import NIOCore
import NIOHTTP1

/// The routes `kalm agent` (and `kalm run --web.listen-address`) serve, as README.md lists
/// them: `/metrics`, `/` (status page), `/-/healthy`, `/-/ready` and `POST|PUT /-/reload`.
enum AgentRoutes {
    /// Largest `/-/reload` request body accepted (bigger ones get 413).
    static let maxReloadBody = 64 * 1024

    /// The 403 answer to `/-/reload` without `--web.enable-lifecycle`.
    static let lifecycleDisabled = "Lifecycle API is not enabled: start kalm agent with --web.enable-lifecycle to reload over HTTP, or send SIGHUP\n"

    /// - Parameters:
    ///   - metrics: renders `/metrics` for the scrape's Accept and Accept-Encoding.
    ///   - statusPage: HTML for `/`.
    ///   - reload: re-reads the config; nil on success or why it failed (answered 500). Nil without
    ///     `--web.enable-lifecycle`: `/-/reload` then answers 403 naming the flag, as Prometheus does.
    ///   - isReady: whether `/-/ready` answers 200 (else 503).
    static func make(metrics: @escaping @Sendable (String?, String?) -> ScrapeCache.Response,
                     statusPage: @escaping @Sendable () -> String,
                     reload: (@Sendable () async -> String?)?,
                     isReady: @escaping @Sendable () -> Bool) -> [HTTPRoute] {
        [
            .metrics(metrics),
            .read("/") { _ in .html(statusPage()) },
            .read("/-/healthy") { _ in .text("Healthy\n") },
            .read("/-/ready") { _ in isReady() ? .text("Ready\n") : .text("Not ready\n", status: .serviceUnavailable) },
            HTTPRoute("/-/reload", methods: [.POST, .PUT], handler: .deferred(maxBody: maxReloadBody) { _ in
                guard let reload else { return .text(lifecycleDisabled, status: .forbidden) }
                guard let failure = await reload() else { return .text("Reloaded\n") }
                return .text(failure.hasSuffix("\n") ? failure : failure + "\n", status: .internalServerError)
            }),
        ]
    }
}
