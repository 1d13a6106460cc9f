import Foundation
import KalmSupport
import KalmTestSupport
import Measurements
import Testing
@testable import Exporter

@Suite struct ExpositionResponderTests {
    static let prometheusAccept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

    @Test func negotiatesRendersAndCompresses() throws {
        let families = ExpositionFixtures.families()
        let responder = ExpositionResponder()

        let plain = responder.respond(families: families, accept: nil, acceptEncoding: nil)
        #expect(plain.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(plain.contentEncoding == nil)
        #expect(plain.body == TextFormatWriter.render(families))

        let om = responder.respond(families: families, accept: Self.prometheusAccept, acceptEncoding: "gzip")
        #expect(om.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(om.contentEncoding == "gzip")
        #expect(try Gzip.decompress(om.body) == OpenMetricsWriter.render(families))
    }

    /// Scrapes from many threads at once get correct, independent bodies.
    @Test func concurrentScrapes() throws {
        let families = AgentShapedFamilies.make(probes: 3)
        let expectedText = TextFormatWriter.render(families)
        let expectedOM = OpenMetricsWriter.render(families)
        let responder = ExpositionResponder(maxPooled: 2)
        let n = 64
        let results = Results(count: n)
        DispatchQueue.concurrentPerform(iterations: n) { i in
            results.set(i, responder.respond(families: families,
                                             accept: i % 2 == 0 ? Self.prometheusAccept : "*/*",
                                             acceptEncoding: i % 3 == 0 ? "gzip" : nil))
        }
        for i in 0..<n {
            let r = try #require(results.get(i))
            let body = r.contentEncoding == "gzip" ? try Gzip.decompress(r.body) : r.body
            #expect(body == (i % 2 == 0 ? expectedOM : expectedText))
            #expect((r.contentEncoding == "gzip") == (i % 3 == 0))
        }
    }
}

private final class Results: Sendable {
    typealias Response = (body: [UInt8], contentType: String, contentEncoding: String?)
    private let items: Locked<[Response?]>
    init(count: Int) { items = Locked(Array(repeating: nil, count: count)) }
    func set(_ i: Int, _ r: Response) { items.withLock { $0[i] = r } }
    func get(_ i: Int) -> Response? { items.withLock { $0[i] } }
}
