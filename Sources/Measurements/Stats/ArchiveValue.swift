import Foundation

/// Numbers read back from an archive (`--summary-export`'s `kalm` object): JSON gives NSNumber, an in-memory archive Swift integers
/// and doubles. Nil for anything else, a negative count, or a value that does not fit.
public enum ArchiveValue {
    public static func uint64(_ x: Any?) -> UInt64? {
        switch x {
        case let v as UInt64: return v
        case let v as Int: return v >= 0 ? UInt64(v) : nil
        case let v as NSNumber:
            let d = v.doubleValue
            guard d >= 0, d == d.rounded(), d < 1.8e19 else { return nil }
            return v.uint64Value
        default: return nil
        }
    }

    public static func int64(_ x: Any?) -> Int64? {
        switch x {
        case let v as Int64: return v
        case let v as Int: return Int64(v)
        case let v as NSNumber:
            let d = v.doubleValue
            guard d == d.rounded(), abs(d) < 9.2e18 else { return nil }
            return v.int64Value
        default: return nil
        }
    }

    public static func int(_ x: Any?) -> Int? { int64(x).map(Int.init) }

    public static func double(_ x: Any?) -> Double? {
        switch x {
        case let v as Double: return v
        case let v as Int: return Double(v)
        case let v as UInt64: return Double(v)
        case let v as NSNumber: return v.doubleValue
        default: return nil
        }
    }
}
