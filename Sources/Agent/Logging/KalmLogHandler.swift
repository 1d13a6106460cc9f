import Foundation
import KalmSupport
import Logging

/// A swift-log handler writing one line per event to stderr in logfmt (default) or JSON,
/// as Prometheus exporters do: `ts=... level=info msg="..." key=value`.
public struct KalmLogHandler: LogHandler {
    /// The line format: logfmt or JSON.
    public enum Format: String, CaseIterable, Sendable {
        case logfmt, json
    }

    /// The least severe level this handler writes.
    public var logLevel: Logger.Level
    /// Metadata added to every event; an event's own metadata wins on a key clash.
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let format: Format
    private let sink: LogSink

    /// A handler for the logger `label` (written as `component` unless it is `kalm`), writing to `sink`.
    public init(label: String, level: Logger.Level, format: Format, sink: LogSink = .stderr) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    /// The handler metadata value for `key`.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Writes `event` as one line: `ts`, `level`, `component` (not for `kalm`), `msg`, then metadata sorted by key.
    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("ts", Self.timestamp()),
            ("level", event.level.shortName),
        ]
        if label != "kalm" { fields.append(("component", label)) }
        fields.append(("msg", event.message.description))
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            fields.append((key, Self.render(merged[key]!)))
        }
        let line: String
        switch format {
        case .logfmt: line = fields.map { "\($0.0)=\(Self.logfmtValue($0.1))" }.joined(separator: " ")
        case .json: line = "{" + fields.map { "\(JSONText.quoted($0.0)):\(JSONText.quoted($0.1))" }.joined(separator: ",") + "}"
        }
        sink.write(line + "\n")
    }

    static func render(_ v: Logger.Metadata.Value) -> String {
        switch v {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return "[" + a.map(render).joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.keys.sorted().map { "\($0)=\(render(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    static func logfmtValue(_ s: String) -> String {
        let needsQuotes = s.isEmpty || s.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.isNewline || $0 == "\t" }
        guard needsQuotes else { return s }
        var out = "\""
        for c in s {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.append(c)
            }
        }
        return out + "\""
    }


    static func timestamp() -> String {
        let now = Date()
        var t = time_t(now.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        let ms = Int((now.timeIntervalSince1970 - Double(t)) * 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), ms)
    }
}

extension Logger.Level {
    var shortName: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .notice: return "info"
        case .warning: return "warn"
        case .error: return "error"
        case .critical: return "error"
        }
    }
}

/// Where log lines go: stderr, or a buffer (tests).
public final class LogSink: Sendable {
    /// Lines kept in memory; nil for stderr. The lock also keeps lines whole on stderr.
    private let buffer: Locked<[String]?>

    private init(buffered: Bool) {
        buffer = Locked(buffered ? [] : nil)
    }

    /// The sink that writes each line to standard error.
    public static let stderr = LogSink(buffered: false)
    /// A sink that keeps lines in memory, for tests.
    public static func memory() -> LogSink { LogSink(buffered: true) }

    func write(_ line: String) {
        buffer.withLock { lines in
            if lines != nil {
                lines!.append(line)
            } else {
                FileHandle.standardError.write(line.data(using: .utf8)!)
            }
        }
    }

    /// The lines written so far (memory sinks only).
    public var lines: [String] {
        buffer.withLock { $0 ?? [] }
    }
}
