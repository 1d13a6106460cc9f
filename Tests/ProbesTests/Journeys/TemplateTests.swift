import Foundation
import Testing
@testable import Probes

/// `{{ }}` parsing, rendering and escaping, and the generators' values.
@Suite struct TemplateTests {
    func parse(_ text: String, _ escaping: Template.Escaping = .none) throws -> Template? {
        try Template.parse(text, escaping: escaping) { ref throws(Template.ParseError) -> ValueRef in
            switch ref.name {
            case "id": return .capture(0)
            case "p.brand": return .data(source: 0, column: 1)
            default:
                if let g = Generator.parse(ref.name) { return .generator(g) }
                throw Template.ParseError(message: "unknown \(ref.name)", offset: ref.offset)
            }
        }
    }

    func render(_ t: Template?, id: String = "42", brand: String = "Rolex") -> String? {
        t?.render { ref in
            switch ref {
            case .capture(0): return id
            case .data(0, 1): return brand
            case .generator(.vu): return "7"
            default: return nil
            }
        }
    }

    @Test func textWithoutBracesIsNoTemplate() throws {
        #expect(try parse("https://example.com/a{b}") == nil)
    }

    @Test func referencesAreReplacedAndLiteralsKept() throws {
        let t = try parse("/items/{{ id }}?b={{p.brand}}&vu={{  vu  }}")
        #expect(t?.references == [.capture(0), .data(source: 0, column: 1), .generator(.vu)])
        #expect(render(t) == "/items/42?b=Rolex&vu=7")
    }

    @Test func aQuotedLiteralWritesBraces() throws {
        let t = try parse(#"{{ "{{" }} id }} is {{ id }}"#)
        #expect(render(t) == "{{ id }} is 42")
        #expect(render(try parse(#"{{ "{{ id }}" }} = {{ id }}"#)) == "{{ id }} = 42")
    }

    @Test func unknownAndUnclosedReferencesSayWhere() throws {
        #expect(throws: Template.ParseError(message: "unknown nope", offset: 6)) { try parse("/ab/x/{{ nope }}") }
        #expect { try parse("/{{ id") } throws: { ($0 as? Template.ParseError)?.offset == 1 }
        #expect { try parse("{{ }}") } throws: { ($0 as? Template.ParseError)?.message.contains("empty") == true }
    }

    @Test func jsonValuesAreEscaped() throws {
        let t = try parse(#"{"brand":"{{ p.brand }}"}"#, .json)
        let out = try #require(render(t, brand: "Louis \"LV\"\\ Vuitton\n\u{01}"))
        #expect(out == #"{"brand":"Louis \"LV\"\\ Vuitton\n\u0001"}"#)
        let object = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: String]
        #expect(object?["brand"] == "Louis \"LV\"\\ Vuitton\n\u{01}")
    }

    @Test func urlValuesEncodeOnlyWhatIsNeverValidInAURL() throws {
        let t = try parse("https://h/{{ id }}", .url)
        #expect(render(t, id: "a b/c?d=é\"") == "https://h/a%20b/c?d=%C3%A9%22")
        #expect(render(try parse("{{ id }}", .url), id: "https://h/x?y=1") == "https://h/x?y=1")
    }

    @Test func headerValuesLoseLineBreaks() throws {
        #expect(render(try parse("Bearer {{ id }}"), id: "abc\r\nX-Evil: 1") == "Bearer abcX-Evil: 1")
    }

    @Test func aMissingValueRendersNothing() throws {
        #expect(try parse("{{ uuid }}")?.render { _ in nil } == nil)
    }

    @Test func generatorsParse() {
        #expect(Generator.parse("random_int(1, 100)") == .randomInt(1, 100))
        #expect(Generator.parse("random_int(5,1)") == nil)
        #expect(Generator.parse(#"pick(bags, "fine watches", shoes)"#) == .pick(["bags", "fine watches", "shoes"]))
        #expect(Generator.parse("pick()") == nil)
        #expect(Generator.parse(#"pick("a, b", c)"#) == .pick(["a, b", "c"]))
        #expect(Generator.parse("uuid") == .uuid && Generator.parse("now") == .now && Generator.parse("iteration") == .iteration)
        #expect(Generator.parse("uuid4") == nil)
    }

    @Test func generatorValues() {
        var rng = FastRandom(seed: 1)
        var seen = Set<String>()
        for _ in 0..<1000 {
            let u = GeneratorValues.make(.uuid, vu: 1, iteration: 0, rng: &rng)
            #expect(u.range(of: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", options: .regularExpression) != nil, "\(u)")
            seen.insert(u)
            let n = Int(GeneratorValues.make(.randomInt(-3, 3), vu: 1, iteration: 0, rng: &rng))!
            #expect((-3...3).contains(n))
        }
        #expect(seen.count == 1000)
        #expect(GeneratorValues.rfc3339(0) == "1970-01-01T00:00:00.000Z")
        #expect(GeneratorValues.rfc3339(1_796_011_972.125) == "2026-11-30T04:12:52.125Z")
        #expect(GeneratorValues.make(.vu, vu: 3, iteration: 9, rng: &rng) == "3")
        #expect(GeneratorValues.make(.iteration, vu: 3, iteration: 9, rng: &rng) == "9")
    }

    @Test func cursorsPickRows() {
        let table = DataTable(columns: ["n"], rows: [["a"], ["b"], ["c"]])
        let seq = DataCursor(spec: DataSourceSpec(name: "s", table: table, pick: .sequential), wraps: false)
        #expect((0..<7).map { _ in seq.row(random: 0)! } == [0, 1, 2, 0, 1, 2, 0])
        let unique = DataCursor(spec: DataSourceSpec(name: "u", table: table, pick: .unique), wraps: false)
        #expect((0..<5).map { _ in unique.row(random: 0) } == [0, 1, 2, nil, nil])
        let endless = DataCursor(spec: DataSourceSpec(name: "u", table: table, pick: .unique), wraps: true)
        #expect((0..<5).map { _ in endless.row(random: 0) } == [0, 1, 2, 0, 1])
        let random = DataCursor(spec: DataSourceSpec(name: "r", table: table, pick: .random), wraps: false)
        #expect(random.row(random: 7) == 1)
    }

    @Test func base64AndFormEncoding() {
        #expect(Base64.encode(Array("kalm:s3cret".utf8)) == "a2FsbTpzM2NyZXQ=")
        #expect(Base64.encode(Array("ab".utf8)) == "YWI=" && Base64.encode([]) == "")
        #expect(FormEncoding.encode("a b&c=d/é*") == "a+b%26c%3Dd%2F%C3%A9*")
    }
}
