import Foundation

/// When a scheduled scenario fires: a cron expression in a time zone, or a fixed interval.
enum ScenarioSchedule: Equatable, CustomStringConvertible {
    case cron(CronExpression, TimeZone)
    /// Every `seconds`, counted from when the agent (or the reload that set it) started.
    case every(Double)

    /// Nil when the scenario is not scheduled. Throws a message for a bad cron or time zone
    /// (the config loader has already checked the shape).
    init?(_ s: ScenarioConfig) throws {
        if let every = s.every {
            self = .every(every)
        } else if let text = s.schedule {
            let tzName = s.timezone ?? "UTC"
            guard let tz = TimeZone(identifier: tzName) else {
                throw CronExpression.ParseError(message: "unknown time zone \"\(tzName)\"; use an IANA name like Europe/Paris or UTC")
            }
            self = .cron(try CronExpression(text), tz)
        } else {
            return nil
        }
    }

    /// The first firing after `date`; `anchor` is when an `every` schedule started counting.
    func next(after date: Date, anchor: Date) -> Date? {
        switch self {
        case .cron(let c, let tz):
            return c.next(after: date, in: tz)
        case .every(let s):
            let n = ((date.timeIntervalSince(anchor)) / s).rounded(.down) + 1
            return anchor.addingTimeInterval(max(1, n) * s)
        }
    }

    var description: String {
        switch self {
        case .cron(let c, let tz): return "cron \"\(c.source)\" (\(tz.identifier == "GMT" ? "UTC" : tz.identifier))"
        case .every(let s): return "every \(GoDuration.format(seconds: s))"
        }
    }
}
