/// A growable byte buffer written through a raw pointer: the writers'
/// output before it is handed over. Not an owner: whoever holds it calls
/// `deallocate()` (ExpositionCore keeps it in a class that does so in deinit).
/// `reserve(n)` before the unchecked `put`/`copy` writes of up to n bytes.
struct ByteSink {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    func deallocate() { base.deallocate() }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    func string() -> String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    @inline(__always)
    mutating func reserve(_ n: Int) {
        if count &+ n > capacity { grow(count &+ n) }
    }

    @inline(never)
    private mutating func grow(_ needed: Int) {
        let newCapacity = Swift.max(needed, capacity &* 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// Unchecked: `reserve` first.
    @inline(__always)
    mutating func put(_ b: UInt8) {
        base[count] = b
        count &+= 1
    }

    /// Unchecked: `reserve` first.
    @inline(__always)
    mutating func copy(_ p: UnsafePointer<UInt8>, _ n: Int) {
        (base + count).update(from: p, count: n)
        count &+= n
    }

    @inline(__always)
    mutating func append(_ b: UInt8) {
        reserve(1)
        put(b)
    }

    @inline(__always)
    mutating func append(_ p: UnsafeBufferPointer<UInt8>) {
        guard let a = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        copy(a, p.count)
    }

    @inline(__always)
    mutating func append(_ s: StaticString) {
        reserve(s.utf8CodeUnitCount)
        copy(s.utf8Start, s.utf8CodeUnitCount)
    }

    @inline(__always)
    mutating func append(_ s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    @inline(__always)
    mutating func append(_ s: Substring) {
        var s = s
        s.withUTF8 { append($0) }
    }
}
