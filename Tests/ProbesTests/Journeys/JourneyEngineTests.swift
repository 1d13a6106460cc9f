import Foundation
import KalmTestSupport
import Measurements
import TestServer
import Testing
@testable import Probes

/// Journeys on the real engine against the test server's OAuth2 token endpoint and its
/// protected `/api/items` API (tokens that expire, 401 for a wrong or expired token).
@Suite("journeys", .serialized)
final class JourneyEngineTests {
    let server: FaultServer

    init() throws {
        server = try FaultServer.start()
    }

    deinit { server.shutdown() }

    func oauth2(ttl: Double = 60, secret: String = FaultServer.oauthClientSecret, clientAuth: OAuth2Spec.ClientAuth = .basic) -> AuthSpec {
        .oauth2(OAuth2Spec(tokenURL: server.url("/oauth/token?ttl=\(ttl)"), clientID: FaultServer.oauthClientID,
                           clientSecret: secret, scopes: ["items"], clientAuth: clientAuth))
    }

    static let products = DataTable(columns: ["brand", "category"], rows: [["Louis \"LV\" Vuitton", "bags"], ["Rolex", "watches"]])

    /// create → read (the captured id, the data row's brand) → delete → read again (404), with a token.
    func crudJourney(auth: AuthSpec) throws -> ProbeSpec {
        let scope = TestScope(captures: ["id": 0, "location": 1], sources: [("products", ["brand", "category"])])
        let create = StepSpec(
            name: "create",
            request: RequestSpec(method: "POST", url: server.url("/api/items"),
                                 headers: [HTTPHeader(name: "Content-Type", value: "application/json")]),
            templates: RequestTemplates(body: try scope.template(#"{"brand":"{{ products.brand }}","ref":"{{ uuid }}"}"#, .json)),
            expectedStatus: StatusMatcher(ranges: [201...201]),
            captures: [CaptureSpec(name: "id", slot: 0, source: .jsonPath(try JSONPath("$.id"))),
                       CaptureSpec(name: "location", slot: 1, source: .header("Location"))])
        let read = StepSpec(
            name: "read", request: RequestSpec(url: server.url("/api/items/x")),
            templates: RequestTemplates(url: try scope.template(server.url("/api/items/{{ id }}"), .url)),
            checks: [CheckSpec(name: "same brand", kind: .jsonPath(try JSONPath("$.brand"), .equalsValue(try scope.template("{{ products.brand }}", .none)))),
                     CheckSpec(name: "same id", kind: .jsonPath(try JSONPath("$.id"), .equalsValue(try scope.template("{{ id }}", .none))))])
        let delete = StepSpec(
            name: "delete", request: RequestSpec(method: "DELETE", url: server.url("/api/items/x")),
            templates: RequestTemplates(url: try scope.template(server.url("/api/items/{{ id }}"), .url)),
            expectedStatus: StatusMatcher(ranges: [204...204]))
        let gone = StepSpec(
            name: "gone", request: RequestSpec(url: server.baseURL + "/x"),
            templates: RequestTemplates(url: try scope.template(server.baseURL + "{{ location }}", .url)),
            expectedStatus: StatusMatcher(ranges: [404...404]))
        return ProbeSpec(name: "crud", steps: [create, read, delete, gone],
                         data: [DataSourceSpec(name: "products", table: Self.products, pick: .random)], auth: auth)
    }

    @Test func aFourStepJourneyWithATokenPasses() throws {
        let spec = try crudJourney(auth: oauth2())
        let run = try JourneyRun([spec], executor: .constantVUs(vus: 2, duration: 1.5), threads: 2)
        let total = run.stats[0], steps = run.steps[0]
        #expect(steps.count == 4)
        let created = steps[0].requests
        #expect(created > 20)
        // Every iteration runs all four steps (stopping lets a started journey finish).
        #expect(steps.map(\.requests) == [created, created, created, created], "\(steps.map(\.requests))")
        #expect(steps[0].requestsByCode[201] == created && steps[1].requestsByCode[200] == created)
        #expect(steps[2].requestsByCode[204] == created && steps[3].requestsByCode[404] == created)
        #expect(total.failedRequests == 0, "\(total.failuresByReason)")
        #expect(total.iterationsSucceeded == created && total.iterationsFailed == 0)
        #expect(total.checkFails == [0, 0] && total.checkPasses == [created, created])
        // One token for every VU on both engine threads.
        #expect(server.requestCount(path: "/oauth/token") == 1)
        #expect(run.tokens[0].successes == 1 && run.tokens[0].total == 1)
        #expect(server.requestCount(path: "unauthorized") == 0)
    }

    @Test func theTokenIsRefreshedBeforeItExpiresWithoutAFailedRequest() throws {
        let probe = ProbeSpec(name: "create", steps: [StepSpec(
            request: RequestSpec(method: "POST", url: server.url("/api/items"), bodies: [Array("{}".utf8)]),
            expectedStatus: StatusMatcher(ranges: [201...201]))], auth: oauth2(ttl: 1))
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 2, duration: 3.2))
        let s = run.stats[0]
        #expect(s.requests > 50)
        #expect(s.failedRequests == 0, "\(s.failuresByReason) \(s.requestsByCode[401]) answered 401")
        #expect(server.requestCount(path: "unauthorized") == 0)
        // A 1 s token, refreshed at 0.8 s: at least 3 fetches in 3.2 s.
        #expect(server.requestCount(path: "/oauth/token") >= 3)
        #expect(run.tokens[0].successes >= 3 && run.tokens[0].total == run.tokens[0].successes)
    }

    @Test func aRevokedTokenIsFetchedAgainAfterTheFirst401() throws {
        let probe = ProbeSpec(name: "create", steps: [StepSpec(
            request: RequestSpec(method: "POST", url: server.url("/api/items"), bodies: [Array("{}".utf8)]),
            expectedStatus: StatusMatcher(ranges: [201...201]))], auth: oauth2(ttl: 3600))
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 2, duration: 1.5)) {
            _ = try pollValue(timeout: 5) { self.server.requestCount(path: "/api/items") >= 50 ? true : nil }
            self.server.revokeTokens()
        }
        let s = run.stats[0]
        let rejected = server.requestCount(path: "unauthorized")
        // Only requests already sent with the revoked token are refused; then VUs wait for the new one.
        #expect(rejected >= 1 && rejected <= 4, "\(rejected) answered 401")
        #expect(s.requestsByCode[401] == UInt64(rejected) && s.failedRequests == UInt64(rejected))
        #expect(server.requestCount(path: "/oauth/token") == 2 && run.tokens[0].successes == 2)
        #expect(s.requestsByCode[201] > 100, "requests succeed again with the new token")
    }

    @Test(arguments: [OAuth2Spec.ClientAuth.basic, .post])
    func aWrongClientSecretIsReasonAuthNotACrash(_ clientAuth: OAuth2Spec.ClientAuth) throws {
        let spec = try crudJourney(auth: oauth2(secret: "wrong", clientAuth: clientAuth))
        let run = try JourneyRun([spec], executor: .constantVUs(vus: 2, duration: 1))
        let s = run.stats[0], create = run.steps[0][0]
        #expect(s.requests > 0)
        #expect(s.failures(.auth) == s.requests, "\(s.failuresByReason)")
        #expect(create.requests == s.requests, "a failed first step ends the iteration")
        #expect(s.requestsByCode[0] == s.requests && s.iterationsFailed == s.requests)
        // Nothing was sent without a token, and a VU that can send nothing backs off instead of spinning.
        #expect(server.requestCount(path: "/api/items") == 0)
        #expect(s.requests <= 12, "\(s.requests) unsent steps in 1 s with 2 VUs")
        #expect(run.tokens[0].successes == 0 && run.tokens[0].failures[Int(FailureReason.auth.rawValue)] >= 1)
        #expect(server.requestCount(path: "unauthorized") >= 1)
    }

    @Test func aCaptureThatFindsNothingFailsItsStepWithReasonCapture() throws {
        let scope = TestScope(captures: ["missing": 0])
        let probe = ProbeSpec(name: "flow", steps: [
            StepSpec(name: "get", request: RequestSpec(url: server.url("/json")),
                     captures: [CaptureSpec(name: "missing", slot: 0, source: .jsonPath(try JSONPath("$.nope")))]),
            StepSpec(name: "use", request: RequestSpec(url: server.url("/ok")),
                     templates: RequestTemplates(url: try scope.template(server.url("/ok?v={{ missing }}"), .url))),
        ])
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 1, duration: 0.5))
        let get = run.steps[0][0], use = run.steps[0][1]
        #expect(get.requests > 5 && get.failures(.capture) == get.requests)
        #expect(use.requests == 0, "the journey ended at the failed capture")
        #expect(run.stats[0].iterationsFailed == get.requests && run.stats[0].iterationsSucceeded == 0)
        #expect(server.requestCount(path: "/ok") == 0)
    }

    @Test func continueOnFailureRunsTheNextStepButFailsTheIteration() throws {
        let scope = TestScope(captures: ["code": 0])
        let probe = ProbeSpec(name: "flow", steps: [
            StepSpec(name: "broken", request: RequestSpec(url: server.url("/status?code=503")),
                     captures: [CaptureSpec(name: "code", slot: 0, source: .status)], continueOnFailure: true),
            StepSpec(name: "health", request: RequestSpec(url: server.url("/ok"))),
            StepSpec(name: "uses_capture", request: RequestSpec(url: server.url("/ok")),
                     templates: RequestTemplates(url: try scope.template(server.url("/ok?c={{ code }}"), .url))),
        ])
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 1, duration: 0.5))
        let (broken, health, uses) = (run.steps[0][0], run.steps[0][1], run.steps[0][2])
        #expect(broken.requests > 5 && broken.failures(.status) == broken.requests)
        #expect(health.requests == broken.requests && health.failedRequests == 0)
        // The failed step made no capture: the step that needs it fails unsent, reason capture.
        #expect(uses.requests == broken.requests && uses.failures(.capture) == uses.requests)
        #expect(run.stats[0].iterationsFailed == broken.requests && run.stats[0].iterationsSucceeded == 0)
    }

    /// A value from a response may change a URL's path, never where the request (and its credentials) goes.
    @Test(arguments: [("@127.0.0.2:1/x", FailureReason.capture), (".evil.test/x", .capture), ("/ok?x=1", nil)])
    func aCapturedValueCannotMoveTheRequestToAnotherHost(_ next: String, _ reason: FailureReason?) throws {
        let scope = TestScope(captures: ["next": 0])
        let body = Array(#"{"next":"\#(next)"}"#.utf8)
        let probe = ProbeSpec(name: "flow", steps: [
            StepSpec(name: "get", request: RequestSpec(method: "POST", url: server.url("/echo"), bodies: [body]),
                     captures: [CaptureSpec(name: "next", slot: 0, source: .jsonPath(try JSONPath("$.next")))]),
            StepSpec(name: "follow", request: RequestSpec(url: server.baseURL),
                     templates: RequestTemplates(url: try scope.template(server.baseURL + "{{ next }}", .url))),
        ], auth: .basic(username: "kalm", password: "secret"))
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 1, duration: 0.3))
        let follow = run.steps[0][1]
        #expect(follow.requests > 0)
        if let reason {
            #expect(follow.failures(reason) == follow.requests, "\(follow.failuresByReason)")
        } else {
            #expect(follow.failedRequests == 0 && server.requestCount(path: "/ok") == Int(follow.requests))
        }
    }

    @Test func onlyHTTPAndHTTPSAreSpoken() throws {
        let scope = TestScope(captures: ["next": 0])
        let probe = ProbeSpec(name: "flow", steps: [
            StepSpec(name: "get", request: RequestSpec(method: "POST", url: server.url("/echo"), bodies: [Array(#"{"next":"file:///etc/hostname"}"#.utf8)]),
                     captures: [CaptureSpec(name: "next", slot: 0, source: .jsonPath(try JSONPath("$.next")))]),
            StepSpec(name: "follow", request: RequestSpec(url: server.baseURL),
                     templates: RequestTemplates(url: try scope.template("{{ next }}", .url))),
        ])
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 1, duration: 0.3))
        let follow = run.steps[0][1]
        #expect(follow.requests > 0 && follow.failures(.other) == follow.requests && follow.requestsByCode[0] == follow.requests)
    }

    @Test func uniqueRowsRunOutAndTheProbeStops() throws {
        let table = DataTable(columns: ["n"], rows: [["1"], ["2"], ["3"]])
        let scope = TestScope(sources: [("rows", ["n"])])
        let probe = ProbeSpec(name: "each", steps: [StepSpec(
            request: RequestSpec(url: server.url("/ok")),
            templates: RequestTemplates(url: try scope.template(server.url("/ok?n={{ rows.n }}"), .url)))],
            data: [DataSourceSpec(name: "rows", table: table, pick: .unique)])
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 2, duration: 0.5))
        #expect(run.stats[0].iterations == 3 && run.stats[0].requests == 3)
        #expect(server.requestCount(path: "/ok") == 3)
    }

    @Test func basicAuthIsSentOnEveryStep() throws {
        let probe = ProbeSpec(name: "basic", steps: [
            StepSpec(name: "one", request: RequestSpec(url: server.url("/echo?headers=Authorization")),
                     checks: [CheckSpec(name: "auth", kind: .header(name: "X-Echo-Authorization", matches: try Pattern("^Basic a2FsbTpzM2NyM3Q6eA==$")))]),
            StepSpec(name: "two", request: RequestSpec(method: "POST", url: server.url("/echo?headers=Authorization"), bodies: [Array("x".utf8)]),
                     checks: [CheckSpec(name: "auth too", kind: .header(name: "X-Echo-Authorization", matches: try Pattern("^Basic a2FsbTpzM2NyM3Q6eA==$")))]),
        ], auth: .basic(username: "kalm", password: "s3cr3t:x"))
        let run = try JourneyRun([probe], executor: .constantVUs(vus: 1, duration: 0.3))
        let s = run.stats[0]
        #expect(s.requests > 2 && s.checkFails == [0, 0], "\(s.checkPasses) \(s.checkFails)")
    }
}

/// Resolves template names the way the config decoder does, for hand-built specs.
struct TestScope {
    var captures: [String: Int] = [:]
    var sources: [(String, [String])] = []

    func template(_ text: String, _ escaping: Template.Escaping) throws -> Template {
        let t = try Template.parse(text, escaping: escaping) { ref throws(Template.ParseError) -> ValueRef in
            if let slot = captures[ref.name] { return .capture(slot) }
            let parts = ref.name.split(separator: ".").map(String.init)
            if parts.count == 2, let s = sources.firstIndex(where: { $0.0 == parts[0] }), let c = sources[s].1.firstIndex(of: parts[1]) {
                return .data(source: s, column: c)
            }
            if let g = Generator.parse(ref.name) { return .generator(g) }
            throw Template.ParseError(message: "unknown \(ref.name)", offset: ref.offset)
        }
        return try #require(t)
    }
}

/// An engine run keeping the recorders, for per-step and token statistics.
struct JourneyRun {
    var stats: [ProbeStats]
    var steps: [[ProbeStats]]
    var tokens: [TokenFetchStats]

    init(_ probes: [ProbeSpec], executor: ExecutorSpec, threads: Int = 1, during: (() throws -> Void)? = nil) throws {
        let scenario = ScenarioSpec(name: "test", probes: probes, executor: executor)
        let recorders = probes.map { ProbeRecorder($0, layout: StatsLayout()) }
        let sink = RecorderSink(recorders)
        let engine = try Engine(scenario: scenario, threads: threads) { _ in sink }
        engine.start()
        try during?()
        guard engine.wait(timeout: .seconds(executor.duration + 20)) else {
            engine.requestStop(grace: .zero)
            engine.wait()
            throw TestFailure("engine did not stop")
        }
        stats = sink.snapshots()
        steps = recorders.map { $0.stepSnapshots() }
        tokens = recorders.map { $0.tokenFetchSnapshot() }
    }
}
