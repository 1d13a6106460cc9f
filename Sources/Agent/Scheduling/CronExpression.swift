import Foundation

/// A 5-field cron expression (minute hour day-of-month month day-of-week) with the usual
/// syntax: `*`, `a`, `a-b`, `*/n`, `a-b/n`, lists, month and weekday names, 7 = Sunday,
/// and `@hourly`/`@daily`/`@weekly`/`@monthly`/`@yearly`. As in Vixie cron, when both
/// day-of-month and day-of-week are restricted, a day matching either fires.
struct CronExpression: Equatable, CustomStringConvertible {
    let source: String
    private let minutes: Set<Int>
    private let hours: Set<Int>
    private let days: Set<Int>
    private let months: Set<Int>
    private let weekdays: Set<Int>
    private let daysRestricted: Bool
    private let weekdaysRestricted: Bool

    struct ParseError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    static let macros = ["@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                         "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"]
    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    init(_ text: String) throws {
        source = text
        let expanded = Self.macros[text.trimmingCharacters(in: .whitespaces).lowercased()] ?? text
        let f = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard f.count == 5 else {
            throw ParseError(message: "cron \"\(text)\" has \(f.count) fields; write 5 (minute hour day-of-month month day-of-week), e.g. \"0 2 * * 0\" for Sundays at 02:00")
        }
        minutes = try Self.field(f[0], "minute", 0...59, names: [])
        hours = try Self.field(f[1], "hour", 0...23, names: [])
        days = try Self.field(f[2], "day-of-month", 1...31, names: [])
        months = try Self.field(f[3], "month", 1...12, names: Self.monthNames, nameBase: 1)
        var wd = try Self.field(f[4], "day-of-week", 0...7, names: Self.dayNames)
        if wd.contains(7) { wd.remove(7); wd.insert(0) }
        weekdays = wd
        daysRestricted = f[2] != "*" && !f[2].hasPrefix("*/")
        weekdaysRestricted = f[4] != "*" && !f[4].hasPrefix("*/")
    }

    var description: String { source }

    private static func field(_ text: String, _ name: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0) throws -> Set<Int> {
        var out: Set<Int> = []
        func value(_ s: Substring) throws -> Int {
            if let v = Int(s) {
                guard range.contains(v) else {
                    throw ParseError(message: "cron \(name) \(v) is outside \(range.lowerBound)–\(range.upperBound)")
                }
                return v
            }
            if let i = names.firstIndex(of: s.lowercased()) { return i + nameBase }
            throw ParseError(message: "cron \(name) \"\(s)\" is not a number\(names.isEmpty ? "" : " or a name (\(names.prefix(3).joined(separator: ", ")), ...)")")
        }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            var spec = part
            var step = 1
            if let slash = part.firstIndex(of: "/") {
                guard let s = Int(part[part.index(after: slash)...]), s > 0 else {
                    throw ParseError(message: "cron \(name) step in \"\(part)\" must be a positive number")
                }
                step = s
                spec = part[..<slash]
            }
            let lo: Int, hi: Int
            if spec == "*" {
                lo = range.lowerBound
                hi = range.upperBound
            } else if let dash = spec.firstIndex(of: "-") {
                lo = try value(spec[..<dash])
                hi = try value(spec[spec.index(after: dash)...])
                guard lo <= hi else { throw ParseError(message: "cron \(name) range \"\(spec)\" runs backwards") }
            } else {
                lo = try value(spec)
                hi = part.contains("/") ? range.upperBound : lo
            }
            for v in stride(from: lo, through: hi, by: step) { out.insert(v) }
        }
        return out
    }

    /// The first firing strictly after `date`, in `timeZone`; nil if none within 5 years.
    func next(after date: Date, in timeZone: TimeZone) -> Date? {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        // Start at the next whole minute.
        var t = Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let limit = date.addingTimeInterval(5 * 366 * 86400)
        while t < limit {
            let c = cal.dateComponents([.month, .day, .hour, .minute, .weekday], from: t)
            if !months.contains(c.month!) {
                let firstOfMonth = cal.date(from: cal.dateComponents([.year, .month], from: t))!
                t = cal.date(byAdding: .month, value: 1, to: firstOfMonth)!
                continue
            }
            let dom = days.contains(c.day!), dow = weekdays.contains(c.weekday! - 1)
            let dayOK = (daysRestricted && weekdaysRestricted) ? (dom || dow) : (dom && dow)
            if !dayOK {
                t = cal.date(byAdding: .day, value: 1, to: cal.startOfDay(for: t))!
                continue
            }
            if !hours.contains(c.hour!) {
                // The next local hour (zones with :30 and :45 offsets have no UTC-aligned hours).
                let hourStart = cal.date(from: cal.dateComponents([.year, .month, .day, .hour], from: t))!
                t = hourStart.addingTimeInterval(3600)
                continue
            }
            if !minutes.contains(c.minute!) {
                t = t.addingTimeInterval(60)
                continue
            }
            return t
        }
        return nil
    }
}
