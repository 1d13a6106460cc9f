extension Duration {
    /// The duration in whole nanoseconds (rounded toward zero; saturates at `Int64`'s range).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return whole.addingReportingOverflow(attoseconds / 1_000_000_000).overflow
            ? (seconds < 0 ? .min : .max) : whole + attoseconds / 1_000_000_000
    }
}

extension Duration {
    /// The duration in whole microseconds (rounded toward zero), the unit kalm's histograms keep.
    public var microseconds: Int64 { nanoseconds / 1000 }
}
