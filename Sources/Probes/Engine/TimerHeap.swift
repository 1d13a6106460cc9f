/// A binary min-heap of (deadline, VU) pairs: the think-time timers of one engine thread.
struct TimerHeap {
    struct Entry {
        var deadline: UInt64
        var vu: Int32
        /// The VU's generation when the timer was set; a stale entry is skipped on pop.
        var generation: UInt32
    }

    private var items: [Entry] = []

    var isEmpty: Bool { items.isEmpty }
    var count: Int { items.count }
    var nextDeadline: UInt64? { items.first?.deadline }

    mutating func reserve(_ n: Int) { items.reserveCapacity(n) }

    mutating func push(_ e: Entry) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].deadline <= items[i].deadline { break }
            items.swapAt(p, i)
            i = p
        }
    }

    /// Removes and returns the earliest entry if it is due at `now`.
    mutating func popDue(_ now: UInt64) -> Entry? {
        guard let first = items.first, first.deadline <= now else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, items[l].deadline < items[m].deadline { m = l }
                if r < items.count, items[r].deadline < items[m].deadline { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return first
    }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }
}
