import Foundation

/// The page at `/`: every probe of every running scenario, and a link to `/metrics`.
enum StatusPage {
    static func render(runtime: AgentRuntime) -> String {
        let cfg = runtime.config
        var rows = ""
        for source in runtime.sources {
            for p in source.probes {
                let st = p.recorder.snapshot()
                let state = st.lastFinishedAt == 0 ? "waiting" : (st.lastSuccess ? "up" : "down")
                rows += "<tr><td>\(html(p.name))</td><td>\(html(source.name))</td><td class=\"\(state)\">\(state)</td>"
                    + "<td>\(st.requests)</td><td>\(st.failedRequests)</td></tr>\n"
            }
        }
        if rows.isEmpty { rows = "<tr><td colspan=\"5\">no continuous scenario is running</td></tr>" }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>kalm</title>
            <style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}
            td,th{padding:4px 12px;border-bottom:1px solid #ddd;text-align:left}.up{color:#070}.down{color:#b00}</style></head>
            <body><h1>kalm</h1>
            <p>\(html(BuildInfo.versionLine)) · config <code>\(html(cfg.sourcePath))</code> · <a href="/metrics">/metrics</a></p>
            <table><tr><th>probe</th><th>scenario</th><th>last</th><th>requests</th><th>failed</th></tr>
            \(rows)</table></body></html>
            """
    }

    static func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
