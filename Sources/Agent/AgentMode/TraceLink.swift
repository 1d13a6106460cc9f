/// The status page's link for a trace id: `agent.trace_url` with `{{ trace_id }}` replaced
/// (docs/configuration.md, "Tracing").
enum TraceLink {
    /// The range of the `{{ trace_id }}` placeholder (spaces inside the braces optional).
    static func placeholder(in template: String) -> Range<String.Index>? {
        template.range(of: #"\{\{\s*trace_id\s*\}\}"#, options: .regularExpression)
    }

    /// The link for `traceID` (32 hex digits, so nothing needs escaping).
    static func url(_ template: String, traceID: String) -> String {
        guard let r = placeholder(in: template) else { return template }
        return template.replacingCharacters(in: r, with: traceID)
    }
}
