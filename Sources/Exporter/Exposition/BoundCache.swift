/// Remembers how bounds (`le`, `quantile`) are spelled: a histogram family
/// repeats the same dozen bounds for every series, and formatting a Double
/// costs far more than copying its bytes. Open addressing over the bit
/// pattern; once full, further bounds are formatted each time.
struct BoundCache {
    private static let slots = 256 // power of two
    private static let maxEntries = 192
    // Allocated on first use, so an unused cache costs nothing.
    private var keys: [UInt64] = []
    private var used: [Bool] = []
    private var offsets: [Int32] = []
    private var lengths: [Int32] = []
    private var arena: [UInt8] = []
    private var entries = 0
    let canonical: Bool

    init(canonical: Bool) {
        self.canonical = canonical
    }

    mutating func append(_ v: Double, to out: inout ByteSink) {
        if keys.isEmpty {
            keys = [UInt64](repeating: 0, count: Self.slots)
            used = [Bool](repeating: false, count: Self.slots)
            offsets = [Int32](repeating: 0, count: Self.slots)
            lengths = [Int32](repeating: 0, count: Self.slots)
            arena.reserveCapacity(2048)
        }
        let bits = v.bitPattern
        var slot = Int(truncatingIfNeeded: (bits &* 0x9E37_79B9_7F4A_7C15) >> 56) & (Self.slots - 1)
        while used[slot] {
            if keys[slot] == bits {
                let o = Int(offsets[slot]), n = Int(lengths[slot])
                arena.withUnsafeBufferPointer { out.append(UnsafeBufferPointer(rebasing: $0[o..<(o + n)])) }
                return
            }
            slot = (slot + 1) & (Self.slots - 1)
        }
        let start = out.count
        if canonical {
            ExpositionBytes.appendCanonicalFloat(v, to: &out)
        } else {
            ExpositionBytes.appendGoFloat(v, to: &out)
        }
        guard entries < Self.maxEntries else { return }
        entries += 1
        used[slot] = true
        keys[slot] = bits
        offsets[slot] = Int32(arena.count)
        lengths[slot] = Int32(out.count - start)
        arena.append(contentsOf: UnsafeBufferPointer(start: out.base + start, count: out.count - start))
    }
}
