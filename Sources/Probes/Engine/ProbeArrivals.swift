/// One probe's arrival-rate iterations on one engine thread: which global iteration indexes
/// it starts, when the next is due, and its share of the VU pool (ARCHITECTURE.md, "Arrival-rate executors").
struct ProbeArrivals {
    let schedule: ArrivalSchedule
    /// Global iteration index this thread starts next, and the step between its indexes.
    var next: Int
    let step: Int
    /// Monotonic ns the next iteration is due; `.max` once the schedule has ended.
    var nextStart: UInt64 = .max
    /// This thread's share of `preallocated_vus` and of `max_vus`.
    let preallocated: Int
    let maxVUs: Int
    /// VUs of this probe waiting for an iteration, and how many are running one.
    var free: [VirtualUser] = []
    var busy = 0
}
