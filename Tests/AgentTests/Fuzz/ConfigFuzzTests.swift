import Foundation
import KalmTestSupport
import Testing
@testable import Agent

/// Mutated configs (from every fixture and example) through the loader: each one ends in a
/// config or in located errors, never a crash, a hang or an unlocated error. Bounded and
/// deterministic: the same cases every run.
@Suite("config fuzzing")
struct ConfigFuzzTests {
    /// Every `.yml` the project ships or tests with: the seeds.
    static let seeds: [String] = seedFiles.map(\.text)
    /// The seeds that load as they are (`good*.yml`, the examples).
    static let goodSeeds: [String] = seedFiles.filter(\.good).map(\.text)

    static let seedFiles: [(text: String, good: Bool)] = {
        let dirs = [configFixtures, URL(fileURLWithPath: configFixtures).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("examples").path]
        return dirs.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".yml") }.sorted()
                .compactMap { name in
                    (try? String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8)).map { ($0, !name.hasPrefix("invalid-")) }
                }
        }
    }()

    /// Pieces a mutation may insert: YAML syntax, kalm's own syntax, and hostile values.
    static let tokens = [
        "{", "}", "[", "]", ":", ": ", "- ", ",", "\"", "'", "#", "&a ", "*a", "!!str ", "!!binary ", "? ", "|\n", ">-\n",
        "\t", "\0", "\u{FEFF}", "\r\n", "{{", "}}", "{{ id }}", "{{ \"{{\" }}", "{{ uuid }}", "{{ random_int(9, 1) }}",
        "${", "}", "${X}", "${file:/etc/hostname}", "${file:../../../../etc/passwd}", "${credential:x}", "$${", "..",
        "0", "-1", "1e999", "9223372036854775808", "0x10", "NaN", ".inf", "null", "~", "true", "yes", "1h30m", "0s",
        "10MiB", "-5s", "steps:", "capture:", "data:", "auth:", "oauth2:", "defaults:", "json_path: $.", "regex: (",
        "header: ", "status: true", "pick: unique", "file: products.csv", "file: /dev/zero", "url: ", "http://",
        "https://[::1", "http_version: h2c", String(repeating: "a", count: 10_000), String(repeating: "[", count: 500),
        "probes:", "scenarios:", "thresholds:", "\"http_req_duration{step:x}\": [\"p(95)<1\"]", "p(101)<", "µ", "é",
    ]

    /// Seeded mutations: the same cases every run.
    struct Mutator: RandomNumberGenerator {
        var random: SplitMix
        init(state: UInt64) { random = SplitMix(seed: state) }
        mutating func next() -> UInt64 { random.next() }

        /// One to four mutations of `text`.
        mutating func mutate(_ text: String) -> String {
            var lines = text.components(separatedBy: "\n")
            for _ in 0..<Int.random(in: 1...4, using: &self) {
                guard !lines.isEmpty else { lines = [""]; continue }
                let i = Int.random(in: 0..<lines.count, using: &self)
                switch Int.random(in: 0..<9, using: &self) {
                case 0: lines.remove(at: i)
                case 1: lines.insert(lines[i], at: i)
                case 2: lines.swapAt(i, Int.random(in: 0..<lines.count, using: &self))
                case 3: lines[i] = "  " + lines[i]
                case 4: lines[i] = String(lines[i].drop(while: { $0 == " " }))
                case 5:
                    var chars = Array(lines[i])
                    let at = chars.isEmpty ? 0 : Int.random(in: 0...chars.count, using: &self)
                    chars.insert(contentsOf: Array(ConfigFuzzTests.tokens.randomElement(using: &self)!), at: at)
                    lines[i] = String(chars)
                case 6:
                    var bytes = Array(lines[i].utf8)
                    if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &self)] = UInt8.random(in: 0x20...0x7E, using: &self) }
                    lines[i] = String(decoding: bytes, as: UTF8.self)
                case 7: lines[i] = String(lines[i].prefix(Int.random(in: 0...max(0, lines[i].count), using: &self)))
                default:
                    let j = Int.random(in: 0..<lines.count, using: &self)
                    lines.insert(contentsOf: lines[min(i, j)...max(i, j)].prefix(20), at: max(i, j))
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    /// The mutated configs, in a fixed order.
    static func cases(_ count: Int, seed: UInt64) -> [String] {
        var m = Mutator(state: seed)
        // Half from seeds that load, so mutations also reach the decoder's deeper paths.
        return (0..<count).map { n in m.mutate((n % 2 == 0 ? goodSeeds : seeds).randomElement(using: &m)!) }
    }

    @Test(.timeLimit(.minutes(3)))
    func tenThousandMutatedConfigsEndInAConfigOrLocatedErrors() throws {
        #expect(Self.seeds.count > 60)
        var loaded = 0, rejected = 0
        for (n, yaml) in Self.cases(10_000, seed: 0x6B61_6C6D).enumerated() {
            let lines = yaml.components(separatedBy: "\n").count
            do {
                _ = try ConfigLoader.parse(yaml: yaml, sourceName: "fuzz-\(n).yml", env: fixtureEnv, processEnvironment: [:],
                                           baseDirectory: configFixtures)
                loaded += 1
            } catch let e as ConfigErrors {
                rejected += 1
                #expect(!e.errors.isEmpty, "case \(n): no error given")
                for err in e.errors {
                    #expect(!err.message.isEmpty && err.line >= 0 && err.line <= lines + 1 && err.column >= 0,
                            "case \(n): \(err) in:\n\(yaml.prefix(2000))")
                }
            } catch {
                Issue.record("case \(n): \(type(of: error)) \(error) in:\n\(yaml.prefix(2000))")
            }
        }
        // Both outcomes occur: the mutations neither all break nor all spare the seeds.
        #expect(loaded > 100 && rejected > 1000, "loaded \(loaded), rejected \(rejected)")
    }

    /// Web configs as exporter-toolkit users write them, good and bad.
    static let webSeeds = [
        "basic_auth_users:\n  prometheus: \"\(WebConfigTests.hash)\"\n  grafana: $2y$10$Q7n1vH3sK9pL2mX5cR8tWevuBAxC93D.gtgHPlNaeaY2NXh264Zm.\n",
        WebConfigTests.webConfig,
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.pem\n  min_version: TLS12\nbasic_auth_users: {a: b}\n",
        "http_server_config:\n  http2: false\n  headers:\n    Strict-Transport-Security: max-age=31536000\n    Content-Security-Policy: default-src 'self'\n",
        "rate_limit: {burst: 5, interval: 1s}\nbasic_auth_users: {}\n",
        "",
    ]

    /// TLS seeds that reach the certificate and key parsers: real files, and PEM written
    /// inline (which the mutations then corrupt byte by byte).
    static func tlsSeeds() throws -> [String] {
        guard TLSCertificates.available else { return [] }
        let c = try TLSCertificates.shared()
        func indented(_ path: String) throws -> String {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
        }
        return TLSSettingsModes.all.map { mode in
            "tls_server_config:\n  cert_file: \(c.serverCert)\n  key_file: \(c.serverKey)\n  client_auth_type: \(mode)\n  client_ca_file: \(c.caCert)\n"
                + "  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]\n  curve_preferences: [X25519, CurveP256]\n"
                + "  min_version: TLS12\n  max_version: TLS13\n  client_allowed_sans: [scraper.kalm.test]\n  prefer_server_cipher_suites: true\n"
        } + ["tls_server_config:\n  cert: |\n\(try indented(c.serverCert))\n  key: |\n\(try indented(c.serverKey))\n  client_ca: |\n\(try indented(c.caCert))\n  client_auth_type: VerifyClientCertIfGiven\n"]
    }

    enum TLSSettingsModes {
        static let all = ["NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"]
    }

    @Test(.timeLimit(.minutes(2)))
    func twoThousandMutatedWebConfigsEndInASettingOrLocatedErrors() throws {
        var m = Mutator(state: 0x7765_6263)
        var accepted = 0
        let seeds = Self.webSeeds + (try Self.tlsSeeds())
        for n in 0..<2_000 {
            let yaml = m.mutate(seeds.randomElement(using: &m)!)
            do {
                _ = try WebConfigLoader.parse(yaml: yaml, sourceName: "web-\(n).yml")
                accepted += 1
            } catch let e as ConfigErrors {
                #expect(!e.errors.isEmpty && e.errors.allSatisfy { !$0.message.isEmpty && $0.line >= 0 }, "case \(n): \(e)")
            } catch {
                Issue.record("case \(n): \(type(of: error)) \(error) in:\n\(yaml.prefix(1000))")
            }
        }
        #expect(accepted > 50, "\(accepted) accepted")
    }

    @Test(.timeLimit(.minutes(3)))
    func twoHundredMutatedConfigsThroughTheBinaryExit0Or104() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The fixtures' data, certificate and secret files, for the relative paths in the seeds.
        for f in try FileManager.default.contentsOfDirectory(atPath: configFixtures) where !f.hasSuffix(".yml") {
            try FileManager.default.copyItem(atPath: "\(configFixtures)/\(f)", toPath: dir.appendingPathComponent(f).path)
        }
        var codes: [Int32: Int] = [:]
        for (n, yaml) in Self.cases(200, seed: 0x6B63_6865).enumerated() {
            let path = dir.appendingPathComponent("fuzz-\(n).yml").path
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try KalmProcess.run(["check", "-c", path, "-e", "API_BASE=https://api.example.com", "-e", "JUSTKALM_API_KEY=k"],
                                        timeout: 30)
            codes[r.status, default: 0] += 1
            #expect(r.status == 0 || r.status == 104, "case \(n): exit \(r.status)\n\(r.output.suffix(1000))\n\(yaml.prefix(1500))")
            if r.status == 104 {
                #expect(r.stderr.contains("fuzz-\(n).yml:"), "case \(n): the error does not name the file: \(r.stderr.prefix(500))")
            }
        }
        #expect((codes[0] ?? 0) > 0 && (codes[104] ?? 0) > 0, "\(codes)")
    }
}
