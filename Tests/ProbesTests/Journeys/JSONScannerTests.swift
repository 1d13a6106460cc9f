import Foundation
import Testing
@testable import Probes

/// The byte scanner that checks and captures use agrees with Foundation's JSONSerialization
/// followed by `JSONPath.evaluate` and `JSONPath.text`, on valid and invalid documents.
@Suite struct JSONScannerTests {
    static let documents = [
        #"{"id":"val_123","estimated_value":1234.5,"currency":"EUR","ok":true,"items":[{"name":"a"},{"name":"b","n":[1,2,{"x":null}]}],"a b":{"c":null}}"#,
        #" [ 1 , -2.5e3 , "t\u00e9\"x\\y\n" , false , null , {} , [] ] "#,
        #"{"big":12345678901234567890,"neg":-0,"exp":1E2,"frac":0.1,"int":42,"one":1.0,"emoji":"\ud83d\ude00","slash":"a\/b"}"#,
        #"{"dup":1,"dup":2}"#,
        #""just a string""#,
        #"{"nested":{"deep":{"er":[[["x"]]]}}}"#,
    ]
    static let invalid = [
        "", "{", #"{"a":}"#, "01", "1.", "-", "tru", #"{"a" 1}"#, #""unterminated"#,
        "{\"ctl\":\"a\u{01}b\"}", #"{"a":1} trailing"#, #"{'a':1}"#, "[1 2]", "nul",
    ]
    static let paths = ["$", "$.id", "$.estimated_value", "$.ok", "$.items[1].name", "$.items[1].n[2].x", "$.items[1].n",
                        "$['a b'].c", "$.missing", "$.items[5]", "$[0]", "$[1]", "$[2]", "$[3]", "$[4]", "$[5]", "$[6]",
                        "$.big", "$.neg", "$.exp", "$.frac", "$.int", "$.one", "$.emoji", "$.slash", "$.dup",
                        "$.nested.deep.er[0][0][0]", "$.nested.deep", "$.id.x", "$[0].x"]

    @Test(arguments: documents)
    func agreesWithFoundation(_ doc: String) throws {
        let bytes = Array(doc.utf8)
        let foundation = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        for p in Self.paths {
            let path = try JSONPath(p)
            let expected = path.evaluate(foundation).map { JSONPath.text(of: $0) }
            let result = try #require(JSONScanner.find(path.components, in: bytes), "\(doc) is valid JSON")
            let got = result.map { JSONScanner.text($0, in: bytes) }
            // Integers are kept exactly (Foundation rounds 20 digits through a double); -0 is left to the parser's whim.
            if p == "$.big" || p == "$.neg" { continue }
            #expect(got == expected, "\(p) in \(doc)")
        }
    }

    @Test(arguments: invalid)
    func rejectsWhatFoundationRejects(_ doc: String) throws {
        let bytes = Array(doc.utf8)
        #expect((try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) == nil, "\(doc)")
        #expect(JSONScanner.find([], in: bytes) == nil, "\(doc)")
    }

    @Test func integersAreExactAndARepeatedKeyReplacesTheEarlierOne() throws {
        let body = Array("\u{FEFF}{\"id\":12345678901234567890,\"a\":{\"b\":1},\"a\":{}}".utf8)
        let id = try #require(JSONScanner.find(try JSONPath("$.id").components, in: body) ?? nil)
        #expect(JSONScanner.text(id, in: body) == "12345678901234567890")
        #expect(JSONScanner.find(try JSONPath("$.a.b").components, in: body) == .some(nil))
    }

    @Test func trailingCommasAreInvalidAsInJavaScript() {
        // Foundation on Linux accepts them; k6's res.json() (JSON.parse) does not, and neither does kalm.
        for doc in [#"{"a":1,}"#, "[1,]"] { #expect(JSONScanner.find([], in: Array(doc.utf8)) == nil, "\(doc)") }
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8)
        #expect(JSONScanner.find([], in: deep) == nil)
    }

    @Test func nullIsPresentForChecksButNothingForCaptures() throws {
        let body = Array(#"{"a":null}"#.utf8)
        let checks = [CheckSpec(name: "a", kind: .jsonPath(try JSONPath("$.a"), .exists))]
        #expect(CheckEvaluator.evaluate(checks, on: .init(status: 200, completed: true, durationMicros: 1, body: body)) == 1)
        var parsed = CheckEvaluator.ParsedBody()
        let r = CheckEvaluator.Response(status: 200, completed: true, durationMicros: 1, body: body)
        #expect(CheckEvaluator.capture(.jsonPath(try JSONPath("$.a")), on: r, parsed: &parsed) == nil)
    }
}
