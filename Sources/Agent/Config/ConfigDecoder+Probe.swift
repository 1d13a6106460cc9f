import Foundation
import Measurements
import Probes

extension ConfigDecoder {
    static let probeKeys = ["name", "labels", "request", "expected_status", "checks", "steps", "data", "auth", "defaults",
                            "targets", "series", "trace"]

    /// The decoded probes plus every name written (so scenarios naming a broken probe get no second error).
    struct DecodedProbes {
        var specs: [ProbeSpec]
        var names: [String]
        /// The probes with `targets:`.
        var fleets: [FleetTemplate] = []
    }

    /// `probes:`: a non-empty list of probes with unique names.
    func decodeProbes(_ node: StrictNode, agentLabels: [String]) -> DecodedProbes? {
        guard let items = node.sequence(what: "a list of probes") else { return nil }
        guard !items.isEmpty else {
            node.fail("no probes; add at least one, e.g. - {name: api, request: {url: https://example.com/}}")
            return nil
        }
        var result = DecodedProbes(specs: [], names: [])
        var firstLine: [String: Int] = [:]
        for item in items {
            var name: String?
            var fleet: FleetTemplate?
            let spec = decodeProbe(item, agentLabels: agentLabels, fleet: &fleet) { n, nameNode in
                name = n
                if let line = firstLine[n] {
                    nameNode.fail("duplicate probe name \"\(n)\" (first at line \(line)); probe names must be unique")
                } else {
                    firstLine[n] = nameNode.mark?.line ?? 0
                }
            }
            if let name, !result.names.contains(name) { result.names.append(name) }
            if let spec { result.specs.append(spec) }
            if let spec, let fleet { result.fleets.append(FleetTemplate(probe: spec.name, globs: fleet.globs)) }
        }
        return result
    }

    /// One probe; nil when it has any error.
    /// - Parameter onName: called with a valid name and its node (for duplicate detection).
    func decodeProbe(_ node: StrictNode, agentLabels: [String], fleet: inout FleetTemplate?,
                     onName: (String, StrictNode) -> Void) -> ProbeSpec? {
        var hints: [String: String] = [:]
        for k in Self.requestKeys { hints[k] = "\"\(k)\" belongs under request:" }
        for k in Self.scenarioCommonKeys + Self.allExecutorKeys where hints[k] == nil && !Self.probeKeys.contains(k) {
            hints[k] = "\"\(k)\" is a scenario setting; put it under scenarios: NAME:"
        }
        var spec: ProbeSpec?
        let clean = recordsNoErrors {
            guard let m = node.mapping(keys: Self.probeKeys, hints: hints, what: "a probe mapping (name:, request:, ...)")
            else { return }
            var name: String?
            if let n = m.required("name", example: "name: api"), let s = n.string(what: "a probe name") {
                if Self.isValidName(s) {
                    name = s
                    onName(s, n)
                } else {
                    n.invalid("probe name", reason: nil, fix: "use only letters, digits and _ (it becomes the probe label)")
                }
            }
            let labels = m["labels"].flatMap { decodeLabels($0, taken: agentLabels, takenWhere: "agent.labels") } ?? []
            let scope = ValueScope()
            if let t = m.entry("targets") {
                fleet = decodeTargets(t.value)
                scope.allowsTarget = true
            }
            let series = m["series"].flatMap { $0.oneOf(SeriesProfile.allCases.map(\.rawValue), what: "series profile") }
                .flatMap(SeriesProfile.init(rawValue:)) ?? .full
            let trace = m["trace"].flatMap(decodeTrace)
            defer {
                spec?.series = series
                spec?.trace = trace
                if let s = spec, trace != nil, let t = m["trace"] { checkTraceHeaders(s, at: t) }
                if let s = spec, fleet != nil, !s.usesTarget, let t = m.entry("targets") {
                    context.error("a probe with targets: must use {{ target }} in its request, e.g. url: https://{{ target }}/health",
                                  at: t.keyMark, path: t.value.path)
                }
            }
            let data = m["data"].map { decodeData($0, scope: scope) } ?? []
            let expected = m["expected_status"].flatMap { decodeStatusList($0) } ?? .k6Default
            if let stepsNode = m["steps"] {
                // A journey: requests and checks live in its steps.
                for key in ["request", "checks"] {
                    if let e = m.entry(key) {
                        context.error("a probe has request: or steps:, not both; move \"\(key)\" into a step", at: e.keyMark, path: e.value.path)
                    }
                }
                let defaults = m["defaults"].flatMap(decodeDefaults)
                let steps = decodeSteps(stepsNode, defaults: defaults, expected: expected, scope: scope)
                let auth = m["auth"].flatMap { decodeAuth($0, tls: defaults?.tls ?? TLSOptions(), apiURL: steps?.first?.request.url) }
                if let name, let steps {
                    spec = ProbeSpec(name: name, labels: labels, steps: steps, data: data, auth: auth)
                }
                return
            }
            if let e = m.entry("defaults") {
                context.error("defaults: is for journeys (a probe with steps:); put these keys under request:", at: e.keyMark, path: e.value.path)
            }
            let request = m.required("request", example: "request: {url: https://example.com/}")
                .flatMap { decodeRequest($0, defaults: nil, scope: scope) }
            let auth = m["auth"].flatMap { decodeAuth($0, tls: request?.0.tls ?? TLSOptions(), apiURL: request?.0.url) }
            var checks = m["checks"].flatMap(decodeChecks) ?? []
            if let c = m["checks"] { checks = resolveCheckValues(checks, at: c, scope: scope) }
            if let name, let (request, templates) = request {
                spec = ProbeSpec(name: name, labels: labels,
                                 steps: [StepSpec(request: request, templates: templates, expectedStatus: expected, checks: checks)],
                                 data: data, auth: auth)
            }
        }
        return clean ? spec : nil
    }

    /// `targets: {file_sd: [GLOB, ...]}`: patterns resolved against the config's directory.
    func decodeTargets(_ node: StrictNode) -> FleetTemplate? {
        guard let m = node.mapping(keys: ["file_sd"], what: "a mapping {file_sd: [targets/*.json]}") else { return nil }
        guard let f = m.required("file_sd", example: "file_sd: [targets/*.json]"),
              let items = f.sequenceOrScalar(what: "a list of file paths or globs") else { return nil }
        let globs = items.compactMap { $0.string(what: "a file path or glob") }.map { context.resolvePath($0) }
        guard !globs.isEmpty else {
            f.fail("no files; list at least one, e.g. [targets/*.json]")
            return nil
        }
        return FleetTemplate(probe: "", globs: globs)
    }

    /// `expected_status` or a `status` check: `[200]`, `2xx`, `[200-299, 404]`.
    func decodeStatusList(_ node: StrictNode) -> StatusMatcher? {
        guard let items = node.sequenceOrScalar(what: "a list of status codes, e.g. [200-399] or [2xx, 404]") else {
            return nil
        }
        guard !items.isEmpty else {
            node.fail("no status codes; list at least one, e.g. [200-399]")
            return nil
        }
        var ranges: [ClosedRange<Int>] = []
        var ok = true
        for item in items {
            guard let text = item.string(what: "a status code, e.g. 200, 2xx or 200-299") else {
                ok = false
                continue
            }
            guard let r = StatusMatcher.parseElement(text) else {
                item.invalid("status", reason: nil, fix: "write a code (200), a class (\"2xx\") or a range (\"200-299\"), codes 100-599, low to high")
                ok = false
                continue
            }
            ranges.append(r)
        }
        return ok ? StatusMatcher(ranges: ranges) : nil
    }
}
