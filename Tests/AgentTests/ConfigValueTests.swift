import Exporter
import Foundation
import KalmSupport
import KalmTestSupport
import Measurements
import Probes
import Testing
@testable import Agent

@Suite("Config values")
struct ConfigValueTests {
    @Test("Go durations parse", arguments: [
        ("500ms", 0.5), ("2s", 2), ("10m", 600), ("4h", 14400), ("1h30m", 5400), ("1.5s", 1.5), ("250us", 0.00025),
        ("250µs", 0.00025), ("250μs", 0.00025), ("100ns", 1e-7), ("0", 0), ("-1s", -1), ("1h0m0s", 3600), (".5s", 0.5),
    ])
    func durationParses(_ text: String, _ seconds: Double) throws {
        #expect(abs(try GoDuration.parse(text) - seconds) < 1e-12)
    }

    @Test("bad Go durations are rejected with a reason", arguments: [
        ("10", "missing unit"), ("1x", "unknown unit \"x\""), ("", "empty"), ("s", "expected a number"),
        ("1..5s", "malformed number"), ("1d", "unknown unit \"d\""),
    ])
    func durationRejects(_ text: String, _ reason: String) {
        #expect {
            try GoDuration.parse(text)
        } throws: { error in
            (error as? ValueError)?.reason.contains(reason) == true
        }
    }

    @Test("durations format canonically and parse back", arguments: [
        (60.0, "1m"), (3600, "1h"), (5400, "1h30m"), (90, "1m30s"), (1.5, "1.5s"), (0.5, "500ms"), (0.00025, "250µs"),
        (0, "0s"), (0.0015, "1.5ms"), (86400, "24h"), (3601, "1h1s"), (1e-7, "100ns"),
    ])
    func durationFormats(_ seconds: Double, _ text: String) throws {
        #expect(GoDuration.format(seconds: seconds) == text)
        #expect(abs(try GoDuration.parse(text) - seconds) < 1e-12)
    }

    @Test("sizes parse", arguments: [
        ("10MiB", 10 << 20), ("512KiB", 512 << 10), ("1GiB", 1 << 30), ("10MB", 10_000_000), ("1000", 1000),
        ("1000B", 1000), ("1.5KiB", 1536), ("1kB", 1000), ("2 mib", 2 << 20),
    ])
    func sizeParses(_ text: String, _ bytes: Int) throws {
        #expect(try ByteSize.parse(text) == bytes)
    }

    @Test("bad sizes are rejected", arguments: ["10MeB", "MiB", "", "1.2.3KiB", "-1"])
    func sizeRejects(_ text: String) {
        #expect(throws: ValueError.self) { try ByteSize.parse(text) }
    }

    @Test func sizeFormats() {
        #expect(ByteSize.format(10 << 20) == "10MiB")
        #expect(ByteSize.format(512 << 10) == "512KiB")
        #expect(ByteSize.format(1 << 30) == "1GiB")
        #expect(ByteSize.format(1000) == "1000B")
    }

    @Test("--stages parses")
    func stageListParses() throws {
        #expect(try StageList.parse("30s:10,1m:50, 30s:0") == [
            Stage(duration: 30, target: 10), Stage(duration: 60, target: 50), Stage(duration: 30, target: 0),
        ])
        #expect(try StageList.parse("1m30s:2.5") == [Stage(duration: 90, target: 2.5)])
        #expect(StageList.format([Stage(duration: 30, target: 10), Stage(duration: 90, target: 2.5)]) == "30s:10,1m30s:2.5")
    }

    @Test("bad --stages are rejected naming the stage", arguments: [
        ("30s", "stage 1 \"30s\" is not DURATION:TARGET"), ("30s:10,1m", "stage 2"), ("30s:x", "target must be a number"),
        ("x:10", "bad duration"), ("", "no stages"), ("30s:-1", "target must be a number >= 0"), ("30s:10,", "stage 2"),
    ])
    func stageListRejects(_ text: String, _ reason: String) {
        #expect {
            try StageList.parse(text)
        } throws: { error in
            (error as? ValueError)?.reason.contains(reason) == true
        }
    }

    @Test("variables expand from -e first, then the environment")
    func expandsVariables() throws {
        let x = VariableExpander(env: ["A": "from-e", "B": ""], processEnvironment: ["A": "from-env", "C": "c"],
                                 baseDirectory: configFixtures)
        #expect(try x.expand("${A}/${C}") == "from-e/c")
        #expect(try x.expand("[${B}]") == "[]")
        #expect(try x.expand("$$5 costs $$$$") == "$5 costs $$")
        #expect(try x.expand("$.id and ^a$ and $") == "$.id and ^a$ and $")
        #expect(try x.expand("key=${file:secret.txt}") == "key=s3cr3t-from-file")
        #expect(try x.expand("${file:\(configFixtures)/secret.txt}") == "s3cr3t-from-file")
        #expect(try x.expand("$${A}") == "${A}")
    }

    @Test("bad references are errors naming the reference", arguments: [
        ("${NOPE_KALM}", "${NOPE_KALM} is not set; pass -e NOPE_KALM=..."), ("${A", "unterminated"),
        ("${}", "not a valid reference"), ("${1A}", "not a valid reference"), ("${file:nope.txt}", "cannot read ${file:nope.txt}"),
        ("${file:}", "needs a path"),
    ])
    func expansionRejects(_ text: String, _ reason: String) {
        let x = VariableExpander(env: [:], processEnvironment: [:], baseDirectory: configFixtures)
        #expect {
            try x.expand(text)
        } throws: { error in
            (error as? ValueError)?.reason.contains(reason) == true
        }
    }

    @Test func suggestions() {
        #expect(EditDistance.distance("kitten", "sitting") == 3)
        #expect(EditDistance.suggest("timout", from: ConfigDecoder.requestKeys) == "timeout")
        #expect(EditDistance.suggest("preAllocatedVUs", from: ConfigDecoder.allExecutorKeys) == "preallocated_vus")
        #expect(EditDistance.suggest("abort_on_fail", from: ConfigDecoder.thresholdLongKeys) == "abortOnFail")
        #expect(EditDistance.suggest("zzz", from: ConfigDecoder.requestKeys) == nil)
    }
}
