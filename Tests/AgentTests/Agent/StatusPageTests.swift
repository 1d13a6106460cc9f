import Foundation
import KalmTestSupport
import TestServer
import Testing

/// Debian's headless-capable Chromium, if installed (scripts/test installs it).
let chromiumPath: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The status page at `/`, rendered by a real headless Chromium (Debian `chromium`).
@Suite("status page", .serialized, .enabled(if: chromiumPath != nil, "chromium is not installed (apt-get install chromium)"))
final class StatusPageTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    /// Chromium with a throwaway profile, bounded in time.
    func chromium(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let profile = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: profile) }
        return try runTool(chromiumPath!, ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
                                            "--user-data-dir=\(profile.path)"] + args, timeout: 90)
    }

    @Test func rendersEveryProbeAndThreshold() throws {
        let agent = try AgentProcess(yaml: """
            agent: {labels: {region: test-1}}
            probes:
              - name: valuations
                request: {url: "\(server.baseURL)/sleep?ms=20"}
                checks: [{name: status is 200, status: [200]}]
              - name: broken
                request: {url: "\(server.baseURL)/status?code=503"}
            scenarios:
              smoke: {vus: 1, think_time: 100ms, continuous: true}
            thresholds:
              http_req_duration: ["p(95)<200"]
              http_req_failed: ["rate<0.01"]
              "http_req_duration{probe:valuations}": ["p(99)<500"]
            """)
        // Let every window hold data so each threshold has a verdict.
        _ = try agent.scrape(until: 10) { $0.value("kalm_threshold_passing", ["metric": "http_req_failed", "window": "1m"]) != nil }
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let png = dir.appendingPathComponent("status.png").path
        let shot = try chromium(["--window-size=1280,1200", "--screenshot=\(png)", agent.url("/")])
        #expect(shot.status == 0, "\(shot.stderr)")
        #expect(FileManager.default.fileExists(atPath: png))
        // Not blank: many distinct colours (text, badges, red and green) in the decoded pixels.
        let colours = try runTool("/usr/bin/python3", ["-c", Self.countColours, png])
        #expect(colours.status == 0, "\(colours.stderr)")
        #expect((Int(colours.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 50, "distinct colours: \(colours.stdout)")
        // The DOM Chromium built names every probe and threshold, and shows the broken probe down.
        let dom = try chromium(["--dump-dom", agent.url("/")])
        #expect(dom.status == 0)
        for name in ["valuations", "broken", "http_req_duration", "http_req_failed", "http_req_duration{probe:valuations}",
                     "p(95)&lt;200", "rate&lt;0.01", "p(99)&lt;500", "region=test-1"] {
            #expect(dom.stdout.contains(name), "the page lacks \(name)")
        }
        #expect(dom.stdout.contains("class=\"badge down\">down</span> probe <code>broken</code>"))
        #expect(dom.stdout.contains("status: "), "recent failures by reason are listed")
        #expect(dom.stdout.contains("<svg class=\"spark\""), "sparklines are inline SVG")
        #expect(!dom.stdout.contains("<script"), "no scripts")
        #expect(!dom.stdout.contains("src=\"http"), "no external assets")
    }

    /// Decodes an 8-bit RGB(A) PNG with zlib and prints how many distinct colours it has.
    static let countColours = #"""
    import sys, zlib, struct
    data = open(sys.argv[1], 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat, w, h, ctype = 8, b'', 0, 0, 0
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos+8]); body = data[pos+8:pos+8+n]; pos += 12 + n
        if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT': idat += body
    bpp = {2: 3, 6: 4}[ctype]
    raw = zlib.decompress(idat); stride = w * bpp; prev = bytearray(stride); seen = set(); i = 0
    for y in range(h):
        f = raw[i]; row = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
        for x in range(stride):
            a = row[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
            if f == 1: row[x] = (row[x] + a) & 255
            elif f == 2: row[x] = (row[x] + b) & 255
            elif f == 3: row[x] = (row[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p-a), abs(p-b), abs(p-c)
                row[x] = (row[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            for x in range(0, stride, bpp * 2): seen.add(bytes(row[x:x+3]))
        prev = row
    print(len(seen))
    """#
}
