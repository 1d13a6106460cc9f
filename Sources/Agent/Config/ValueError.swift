/// Why a scalar value (a duration, a size, a stage list...) could not be parsed.
///
/// `reason` never repeats the value itself, so callers can quote the text as
/// written in the config (which may be an unexpanded `${SECRET}`) instead.
struct ValueError: Error, CustomStringConvertible, Equatable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}
