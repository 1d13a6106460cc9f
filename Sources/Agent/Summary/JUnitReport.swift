import Foundation
import Measurements

/// `--junit F.xml`: one testcase per threshold and per check, failures carrying the
/// observed values, in the JUnit XML that CI systems (Jenkins, GitLab, GitHub) read.
struct JUnitReport {
    struct Case {
        var classname: String
        var name: String
        /// nil: passed.
        var failure: String?
    }

    var suiteName: String
    var seconds: Double
    var cases: [Case]

    func xml() -> String {
        let failures = cases.filter { $0.failure != nil }.count
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"kalm\" tests=\"\(cases.count)\" failures=\"\(failures)\" time=\"\(String(format: "%.3f", seconds))\">\n"
        out += "  <testsuite name=\"\(esc(suiteName))\" tests=\"\(cases.count)\" failures=\"\(failures)\" errors=\"0\" skipped=\"0\" time=\"\(String(format: "%.3f", seconds))\">\n"
        for c in cases {
            out += "    <testcase classname=\"\(esc(c.classname))\" name=\"\(esc(c.name))\" time=\"0\""
            if let f = c.failure {
                out += ">\n      <failure message=\"\(esc(f))\" type=\"threshold\">\(esc(f))</failure>\n    </testcase>\n"
            } else {
                out += "/>\n"
            }
        }
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    func write(to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(xml().utf8)) else {
            throw UsageError(.unwritableFile, "--junit: cannot write \(path) (does the directory exist and is it writable?)")
        }
    }

    /// XML-escapes text and attribute values; drops characters XML 1.0 forbids.
    func esc(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            default:
                if u.value >= 0x20 || u == "\t" { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}

extension JUnitReport {
    /// Thresholds, checks (per probe) and baseline verdicts as testcases.
    static func make(report: RunReport, results: [ThresholdResult],
                     comparison: BaselineComparison?) -> JUnitReport {
        var cases: [Case] = []
        for r in results {
            cases.append(Case(classname: "kalm.thresholds.\(r.threshold.key)", name: r.threshold.source,
                              failure: r.ok ? nil : "\(r.threshold.key) \(r.threshold.source) failed: observed \(r.observedText)"))
        }
        for (p, probe) in report.thresholdProbes.enumerated() {
            for (i, name) in probe.checkNames.enumerated() {
                let pass = report.perProbe[p].checkPasses[i], fail = report.perProbe[p].checkFails[i]
                cases.append(Case(classname: "kalm.checks.\(probe.name)", name: name,
                                  failure: fail == 0 ? nil : "\(fail) of \(pass + fail) failed (\(String(format: "%.2f", Double(pass) / Double(max(1, pass + fail)) * 100))% passed)"))
            }
        }
        for v in comparison?.verdicts ?? [] {
            cases.append(Case(classname: "kalm.baseline", name: v.what, failure: v.ok ? nil : v.detail))
        }
        return JUnitReport(suiteName: "kalm run \(report.scenarioName)", seconds: report.elapsedSeconds, cases: cases)
    }
}

import Exporter
import Probes
