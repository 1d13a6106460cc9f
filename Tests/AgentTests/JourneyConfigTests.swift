import Foundation
import KalmTestSupport
import Probes
import Testing
@testable import Agent

/// Journeys, data files and auth as the config decoder reads them.
@Suite struct JourneyConfigTests {
    @Test func goodJourneyDecodesEveryPart() throws {
        let c = try loadFixture("good-journey.yml")
        let p = try #require(c.probes.first)
        #expect(p.isJourney && p.steps.map(\.name) == ["create", "read", "delete"])
        #expect(p.data.count == 1 && p.data[0].pick == .sequential && p.data[0].table.columns == ["brand", "category", "condition"])
        #expect(p.data[0].table.rows == [["Louis Vuitton", "bags", "excellent"], ["Rolex, Oyster", "watches", "good"],
                                         ["Hermès", "bags \"Birkin\"", "fair"]])
        guard case .oauth2(let o)? = p.auth else { Issue.record("no oauth2"); return }
        #expect(o.clientID == "kalm" && o.clientSecret == "s3cr3t-from-file" && o.scopes == ["valuations", "read"])
        #expect(o.audience == "https://api.example.com" && o.clientAuth == .post)
        // The token endpoint is on another host: it keeps the CA but not the API's server name.
        #expect(o.tls.serverName == nil && o.tls.caFile?.hasSuffix("ca.pem") == true)
        let create = p.steps[0]
        // Defaults apply; the step's X-Team replaces the default one.
        #expect(create.request.headers.map(\.name) == ["Accept", "X-Team", "X-Request-Id"])
        #expect(create.request.headers[1].value == "journeys")
        #expect(create.request.timeout == .seconds(5) && create.request.httpVersion == .http2)
        #expect(create.request.tls.caFile?.hasSuffix("ca.pem") == true)
        #expect(create.expectedStatus == StatusMatcher(ranges: [201...201]))
        #expect(create.templates.headers.map(\.index) == [2])
        let body = try #require(create.templates.body)
        #expect(body.escaping == .json)
        #expect(body.references == [.data(source: 0, column: 0), .data(source: 0, column: 1)])
        #expect(body.render { ref in ref == .data(source: 0, column: 0) ? "Rolex" : "watches" }
            == #"{"brand":"Rolex","category":"watches","literal":"{{x"}"#)
        #expect(create.captures.map(\.name) == ["id", "location", "code"] && create.captures.map(\.slot) == [0, 1, 2])
        #expect(create.captures[2].source == .status && create.captures[1].source == .header("Location"))
        #expect(create.pause == ThinkTime(min: 0.1, max: 0.2))
        let read = p.steps[1]
        #expect(read.expectedStatus == StatusMatcher(ranges: [200...299]), "the probe's expected_status is the default")
        #expect(read.continueOnFailure && read.templates.url?.escaping == .url)
        #expect(read.checks[0].kind == .jsonPath(try JSONPath("$.id"), .equalsValue(try #require(read.checks[0].kind.equalsTemplate))))
        #expect(p.steps[2].templates.url?.references == [.capture(1)])
        #expect(p.captureCount == 3 && p.checkSteps == [0, 1])
    }

    @Test func aDataFileNamedTwiceIsLoadedOnce() throws {
        let dir = try tempDirectory()
        try "n\n1\n2\n".write(to: dir.appendingPathComponent("rows.csv"), atomically: true, encoding: .utf8)
        let yml = dir.appendingPathComponent("kalm.yml")
        try """
            probes:
              - name: a
                data: {rows: {file: rows.csv}}
                request: {url: "https://example.com/{{ rows.n }}"}
              - name: b
                data: {rows: {file: rows.csv, pick: unique}}
                request: {url: "https://example.com/{{ rows.n }}"}
            """.write(to: yml, atomically: true, encoding: .utf8)
        let c = try ConfigLoader.load(path: yml.path, env: [:], processEnvironment: [:])
        #expect(c.probes[0].data[0].table === c.probes[1].data[0].table)
        #expect(c.probes[1].request.url == "https://example.com/{{ rows.n }}" && c.probes[1].steps[0].templates.url != nil)
    }

    @Test(arguments: [
        ("brand\nx\n", [["x"]]),
        ("a,b\r\n1,2\r\n\r\n3,\"4,5\"\r\n", [["1", "2"], ["3", "4,5"]]),
        ("\u{FEFF}a\n\"multi\nline\"\n", [["multi\nline"]]),
        ("a,b\n\"say \"\"hi\"\"\",2", [["say \"hi\"", "2"]]),
    ])
    func csvFiles(_ text: String, _ rows: [[String]]) throws {
        let t = try DataFile.csv(Data(text.utf8), shown: "t.csv")
        #expect(t.rows == rows)
    }

    @Test(arguments: [
        ("", "is empty"),
        ("a\n", "has a header but no rows"),
        ("a,a\n1,2\n", "names column \"a\" twice"),
        ("a,b\n1\n", "line 2 has 1 fields, the header has 2"),
        ("1,2\n3,4\n", "line 1 is not a header row"),
        ("a\n\"open\n", "a quoted field is not closed"),
    ])
    func badCSVFiles(_ text: String, _ message: String) {
        #expect { try DataFile.csv(Data(text.utf8), shown: "t.csv") } throws: {
            ($0 as? DataFile.LoadError)?.message.contains(message) == true
        }
    }

    @Test func jsonFiles() throws {
        let t = try DataFile.json(Data(#"[{"brand":"Rolex","price":12.5,"used":true},{"brand":"Omega","tags":["a"]}]"#.utf8), shown: "t.json")
        #expect(t.columns == ["brand", "price", "used", "tags"])
        #expect(t.rows == [["Rolex", "12.5", "true", ""], ["Omega", "", "", #"["a"]"#]])
        for bad in ["{}", "[]", "[1]", "nope", #"[{"a b":1}]"#] {
            #expect(throws: DataFile.LoadError.self) { try DataFile.json(Data(bad.utf8), shown: "t.json") }
        }
    }
}

extension CheckKind {
    /// The template of a `json_path` check's `equals: "{{ }}"`.
    var equalsTemplate: Template? {
        if case .jsonPath(_, .equalsValue(let t)) = self { return t }
        return nil
    }
}
