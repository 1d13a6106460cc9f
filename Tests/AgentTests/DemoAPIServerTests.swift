import Foundation
import KalmTestSupport
import NIOCore
import NIOPosix
import Testing
@testable import Agent

/// The demo API over real sockets, driven by the `curl` CLI.
@Suite(.serialized)
struct DemoAPIServerTests {
    private static let rolex = #"{"brand":"Rolex","category":"watches","condition":"good"}"#
    private static let instant = DemoLatencyProfile(medianMs: 0, sigma: 0, slowTailProbability: 0, errorProbability: 0)

    @Test func valuationAnswersWithIdAndValue() async throws {
        try await withDemo(Self.instant) { base in
            let response = await DemoCurl.post(base + "/v1/valuations", json: Self.rolex)
            #expect(response.status == 200)
            #expect(response.contentType == "application/json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any])
            #expect((object["id"] as? String)?.hasPrefix("val_") == true)
            #expect(object["estimated_value"] as? Double == 6375)   // 8,500 × watches 1.0 × good 0.75
            #expect(response.body.contains(#""estimated_value":6375.00,"#))
            #expect(object["currency"] as? String == "EUR")
            #expect(object["brand"] as? String == "Rolex")

            // An unknown brand gets a stable value; strings are echoed JSON-escaped.
            let unknown = #"{"brand":"No \"Name\"","category":"bags","condition":"fair"}"#
            let first = try #require(try JSONSerialization.jsonObject(
                with: Data(await DemoCurl.post(base + "/v1/valuations", json: unknown).body.utf8)) as? [String: Any])
            let second = try #require(try JSONSerialization.jsonObject(
                with: Data(await DemoCurl.post(base + "/v1/valuations", json: unknown).body.utf8)) as? [String: Any])
            #expect(first["brand"] as? String == #"No "Name""#)
            #expect((first["estimated_value"] as? Double ?? 0) > 0)
            #expect(first["estimated_value"] as? Double == second["estimated_value"] as? Double)
            #expect(first["id"] as? String != second["id"] as? String)
        }
    }

    @Test func otherRoutesAndBadBodies() async throws {
        try await withDemo(Self.instant) { base in
            #expect(await DemoCurl.post(base + "/v1/valuations", json: "brand=Rolex").status == 400)
            #expect(await DemoCurl.post(base + "/v1/valuations", json: "[1,2]").status == 400)
            #expect(await DemoCurl.post(base + "/v1/valuations", json: "").status == 400)
            let tooBig = String(repeating: " ", count: 70_000) + "{}"
            #expect(await DemoCurl.post(base + "/v1/valuations", json: tooBig).status == 413)
            let get = await DemoCurl.request(["-D", "-", base + "/v1/valuations"])
            #expect(get.status == 405)
            #expect(get.body.lowercased().contains("allow: post"))
            let health = await DemoCurl.request([base + "/healthz"])
            #expect(health.status == 200)
            #expect(await DemoCurl.request([base + "/nope"]).status == 404)
            #expect(await DemoCurl.post(base + "/v1/other", json: Self.rolex).status == 404)
        }
    }

    @Test func errorProbabilityOneFailsEveryRequest() async throws {
        var profile = Self.instant
        profile.errorProbability = 1
        try await withDemo(profile) { base in
            for _ in 0..<10 {
                let response = await DemoCurl.post(base + "/v1/valuations", json: Self.rolex)
                #expect(response.status == 503)
                #expect(response.body == #"{"error":"upstream unavailable"}"#)
            }
        }
    }

    @Test func realisticProfileHasItsMedianAndErrorRate() async throws {
        try await withDemo(.realistic) { base in
            let run = await DemoCurl.run(["-s", "--parallel", "--parallel-max", "20", "-o", "/dev/null",
                                          "-H", "Content-Type: application/json", "-d", Self.rolex,
                                          "-w", "%{http_code} %{time_total}\n", base + "/v1/valuations?n=[1-1000]"])
            let samples = run.stdout.split(separator: "\n").map { $0.split(separator: " ") }
            #expect(samples.count == 1000)
            let codes = samples.map { Int($0[0]) ?? 0 }
            let millis = samples.map { (Double($0[1]) ?? 0) * 1000 }.sorted()
            let median = millis.isEmpty ? 0 : millis[millis.count / 2]
            let errors = codes.filter { $0 != 200 }.count
            #expect((30...55).contains(median), "median \(median) ms")
            #expect(Double(errors) / Double(max(1, codes.count)) < 0.02, "\(errors) errors")
            #expect(Set(codes).isSubset(of: [200, 503]))
        }
    }

    @Test func delayFollowsTheProfile() async throws {
        let fixed = DemoLatencyProfile(medianMs: 150, sigma: 0, slowTailProbability: 0, errorProbability: 0)
        try await withDemo(fixed) { base in
            let response = await DemoCurl.post(base + "/v1/valuations", json: Self.rolex)
            #expect(response.status == 200)
            #expect(response.seconds >= 0.15 && response.seconds < 1, "\(response.seconds) s")
        }
        var tail = fixed
        tail.medianMs = 0
        tail.slowTailProbability = 1
        tail.slowTailMs = 200...250
        try await withDemo(tail) { base in
            let response = await DemoCurl.post(base + "/v1/valuations", json: Self.rolex)
            #expect(response.seconds >= 0.2 && response.seconds < 1, "\(response.seconds) s")
        }
    }

    @Test func clientsThatHangUpMidDelayLeaveItServing() async throws {
        let slow = DemoLatencyProfile(medianMs: 400, sigma: 0, slowTailProbability: 0, errorProbability: 0)
        try await withDemo(slow) { base in
            let run = await DemoCurl.run(["-s", "--parallel", "--max-time", "0.05", "-o", "/dev/null",
                                          "-d", Self.rolex, "-w", "%{http_code}\n", base + "/v1/valuations?n=[1-40]"])
            #expect(run.exitCode == 28)   // every transfer timed out and hung up
            try await Task.sleep(for: .milliseconds(500))   // the cancelled answers' timers would fire now
            #expect(await DemoCurl.request([base + "/healthz"]).status == 200)
            #expect(await DemoCurl.post(base + "/v1/valuations", json: Self.rolex).status == 200)
        }
    }

    // MARK: - Harness

    private func withDemo(_ profile: DemoLatencyProfile, _ body: (String) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await DemoAPIServer.start(group: group, profile: profile)
        #expect(server.port > 0)
        #expect(server.baseURL == "http://127.0.0.1:\(server.port)")
        do {
            try await body(server.baseURL)
        } catch {
            await server.shutdown()
            try? await group.shutdownGracefully()
            throw error
        }
        await server.shutdown()
        try await group.shutdownGracefully()
    }
}

/// Runs the `curl` CLI on a thread of its own, off the cooperative pool.
private enum DemoCurl {
    struct Response {
        var status: Int
        var contentType: String
        var body: String
        var seconds: Double
    }

    static func post(_ url: String, json: String) async -> Response {
        await request(["-H", "Content-Type: application/json", "--data-binary", json, url])
    }

    /// One transfer; the body (and whatever `args` add to stdout) precedes curl's `-w` line.
    static func request(_ args: [String]) async -> Response {
        let marker = "\n--kalm-demo-test--"
        let run = await run(["-sS", "-g", "--max-time", "20", "-w", "\(marker)%{http_code} %{time_total} %{content_type}"] + args)
        let parts = run.stdout.components(separatedBy: marker)
        let meta = (parts.last ?? "").split(separator: " ", maxSplits: 2).map(String.init)
        return Response(status: Int(meta.first ?? "") ?? 0,
                        contentType: meta.count > 2 ? meta[2] : "",
                        body: parts.dropLast().joined(separator: marker),
                        seconds: meta.count > 1 ? Double(meta[1]) ?? 0 : 0)
    }

    static func run(_ args: [String]) async -> (exitCode: Int32, stdout: String) {
        let r = await Curl.runAsync(args)
        return (r.exitCode, r.stdout)
    }
}
