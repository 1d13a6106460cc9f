import Foundation

/// scripts/decode-exposition: kalm's output decoded by decoders that are not kalm's (Python's
/// protobuf runtime with proto/metrics.proto, prometheus_client's strict OpenMetrics parser).
public enum ExpositionDecoder {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/decode-exposition").path

    /// Whether protoc and Python's protobuf and prometheus_client are installed (scripts/test installs them).
    public static var available: Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/protoc") else { return false }
        return (try? runTool("/usr/bin/env", ["python3", "-c", "import google.protobuf, prometheus_client"]).status) == 0
    }

    /// The decoded families as JSON objects (`format`: "protobuf" or "openmetrics"); throws with the decoder's complaint.
    public static func decode(_ body: Data, format: String = "protobuf") throws -> [[String: Any]] {
        let r = try runTool(script, [format], stdin: body)
        guard r.status == 0 else { throw TestFailure("decode-exposition \(format): \(r.stderr)") }
        guard let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] else {
            throw TestFailure("decode-exposition printed no list: \(r.stdout.prefix(200))")
        }
        return json
    }

    /// The same for bytes.
    public static func decode(_ bytes: [UInt8], format: String = "protobuf") throws -> [[String: Any]] {
        try decode(Data(bytes), format: format)
    }
}
