import ArgumentParser
import KalmSupport
import Logging

/// `--log.level` and `--log.format`, as Prometheus exporters spell them.
struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log.level"), help: "Only log messages with this severity or above: debug, info, warn, error.")
    var level: LogLevelArgument = .info

    @Option(name: .customLong("log.format"), help: "Output format of log messages: logfmt or json.")
    var format: LogFormatArgument = .logfmt

    /// Installs the handler process-wide and returns the root logger.
    func bootstrap() -> Logger {
        let lvl = level.level
        let fmt = format.format
        LoggingBootstrap.install(level: lvl, format: fmt)
        return Logger(label: "kalm")
    }
}

/// Installs kalm's log handler once per process (swift-log allows one bootstrap).
enum LoggingBootstrap {
    private static let installed = Locked(false)

    static func install(level: Logger.Level, format: KalmLogHandler.Format) {
        installed.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in KalmLogHandler(label: label, level: level, format: format) }
        }
    }
}

enum LogLevelArgument: String, ExpressibleByArgument, CaseIterable {
    case debug, info, warn, error
    var level: Logger.Level {
        switch self {
        case .debug: return .debug
        case .info: return .info
        case .warn: return .warning
        case .error: return .error
        }
    }
}

enum LogFormatArgument: String, ExpressibleByArgument, CaseIterable {
    case logfmt, json
    var format: KalmLogHandler.Format { self == .json ? .json : .logfmt }
}
