import Foundation
import KalmTestSupport
import Testing
@testable import Agent

@Suite("cron")
struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!

    /// 2026-11-27T17:51:54Z (a Friday).
    static let friday = Date(timeIntervalSince1970: 1_795_801_914)

    static func iso(_ d: Date?, _ tz: TimeZone = utc) -> String {
        guard let d else { return "nil" }
        let f = ISO8601DateFormatter()
        f.timeZone = tz
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    @Test(arguments: [
        ("* * * * *", "2026-11-27T17:52:00Z"),
        ("*/15 * * * *", "2026-11-27T18:00:00Z"),
        ("0 2 * * 0", "2026-11-29T02:00:00Z"),        // Sundays at 02:00 (the guide's weekly soak)
        ("0 2 * * SUN", "2026-11-29T02:00:00Z"),
        ("0 2 * * 7", "2026-11-29T02:00:00Z"),
        ("30 9 1 * *", "2026-12-01T09:30:00Z"),
        ("0 0 1 jan *", "2027-01-01T00:00:00Z"),
        ("0 9-17/4 * * mon-fri", "2026-11-30T09:00:00Z"),
        ("0 0 13 * 5", "2026-12-04T00:00:00Z"),        // the 13th OR a Friday (Vixie semantics)
        ("@hourly", "2026-11-27T18:00:00Z"),
        ("@weekly", "2026-11-29T00:00:00Z"),
        ("0 0 29 2 *", "2028-02-29T00:00:00Z"),
    ])
    func nextFiring(expr: String, want: String) throws {
        let c = try CronExpression(expr)
        #expect(Self.iso(c.next(after: Self.friday, in: Self.utc)) == want)
    }

    @Test func timeZones() throws {
        // 09:00 in Kolkata (UTC+5:30) is 03:30 UTC; in Paris (CET, UTC+1) 08:00 UTC.
        let c = try CronExpression("0 9 * * *")
        #expect(Self.iso(c.next(after: Self.friday, in: TimeZone(identifier: "Asia/Kolkata")!)) == "2026-11-28T03:30:00Z")
        #expect(Self.iso(c.next(after: Self.friday, in: TimeZone(identifier: "Europe/Paris")!)) == "2026-11-28T08:00:00Z")
    }

    @Test func threeFiringsInARow() throws {
        let c = try CronExpression("0 */6 * * *")
        var t = Self.friday
        var got: [String] = []
        for _ in 0..<3 {
            t = c.next(after: t, in: Self.utc)!
            got.append(Self.iso(t))
        }
        #expect(got == ["2026-11-27T18:00:00Z", "2026-11-28T00:00:00Z", "2026-11-28T06:00:00Z"])
    }

    @Test(arguments: ["* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "5-1 * * * *",
                      "*/0 * * * *", "* * * foo *", "a * * * *"])
    func rejectsMistakes(expr: String) {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression(expr) }
    }

    @Test func everyCountsFromItsAnchor() {
        let s = ScenarioSchedule.every(6 * 3600)
        let anchor = Self.friday
        #expect(s.next(after: anchor, anchor: anchor) == anchor.addingTimeInterval(6 * 3600))
        #expect(s.next(after: anchor.addingTimeInterval(7 * 3600), anchor: anchor) == anchor.addingTimeInterval(12 * 3600))
    }
}
