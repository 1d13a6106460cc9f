import Exporter
import Foundation
import Measurements

extension ConfigDecoder {
    static let thresholdLongKeys = ["threshold", "abortOnFail", "delayAbortEval"]

    /// `thresholds:` (top level or a scenario's): metric key → list of expressions, in file order.
    ///
    /// Keys and expressions are parsed with k6's grammar here; a mistake is reported at its place.
    func decodeThresholds(_ node: StrictNode) -> [ThresholdDeclaration]? {
        guard let entries = node.freeMapping(what: "a mapping of metric names to lists of thresholds") else { return nil }
        var result: [ThresholdDeclaration] = []
        for e in entries {
            if e.key.range(of: #"^[a-zA-Z_][a-zA-Z0-9_]*(\{[^{}]*\})?$"#, options: .regularExpression) == nil {
                context.error("invalid metric \"\(e.key)\"; write a k6 metric name with an optional selector, e.g. http_req_duration{probe:api}",
                              at: e.keyMark, path: e.value.path)
                continue
            }
            do {
                _ = try Threshold.parseKey(e.key)
            } catch {
                context.error("\(error)", at: e.keyMark, path: e.value.path)
                continue
            }
            guard let items = e.value.sequence(what: "a list of thresholds, e.g. [\"p(95)<200\"]") else { continue }
            if items.isEmpty {
                e.value.fail("no thresholds listed; add e.g. [\"p(95)<200\"] or remove the key")
            }
            for item in items {
                if let t = decodeThreshold(item, metric: e.key) { result.append(t) }
            }
        }
        return result
    }

    /// One threshold: `"p(95)<200"` or `{threshold: "p(99)<500", abortOnFail: true, delayAbortEval: 10s}`.
    func decodeThreshold(_ item: StrictNode, metric: String) -> ThresholdDeclaration? {
        var exprNode = item
        var abortOnFail = false
        var delay = 0.0
        if case .mapping = item.node {
            guard let m = item.mapping(keys: Self.thresholdLongKeys) else { return nil }
            guard let t = m.required("threshold", example: "threshold: \"p(95)<200\"") else { return nil }
            exprNode = t
            if let n = m["abortOnFail"], let b = n.bool() { abortOnFail = b }
            if let n = m["delayAbortEval"], let d = n.duration() {
                delay = d
                if !abortOnFail, let e = m.entry("delayAbortEval") {
                    context.error("delayAbortEval only matters with abortOnFail: true; add that or remove it",
                                  at: e.keyMark, path: e.value.path)
                }
            }
        }
        guard let expr = exprNode.string(what: "a threshold expression like \"p(95)<200\"") else { return nil }
        let trimmed = expr.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, trimmed.contains(where: { $0 == "<" || $0 == ">" || $0 == "=" }) else {
            exprNode.invalid("threshold", reason: "no comparison", fix: "write AGGREGATION OPERATOR VALUE, e.g. \"p(95)<200\" or \"rate<0.01\"")
            return nil
        }
        let compiled: Threshold
        do {
            compiled = try Threshold(key: metric, expression: trimmed, abortOnFail: abortOnFail, delayAbortEval: delay)
        } catch {
            exprNode.fail("\(error)")
            return nil
        }
        return ThresholdDeclaration(
            compiled: compiled,
            file: context.file, line: exprNode.mark?.line ?? 0, column: exprNode.mark?.column ?? 0, path: exprNode.path)
    }
}
