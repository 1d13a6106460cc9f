import CCurl

/// One engine thread: a libcurl multi handle, its event loop, and the VUs it owns.
///
/// A probe's VU `g` (0-based, across threads) lives on thread `(g + probe) % threads`.
/// Every thread evaluates the same schedule, a pure function of the elapsed time, so the
/// threads agree on the VU count without talking to each other. Open-model executors
/// split iterations the same way: thread t starts a probe's iterations
/// `(t − probe) mod threads`, `+ threads`, ..., each on a free VU of its own. With an
/// execution segment, VU counts are the segment's share (`ExecutionSegment.scale`) and
/// iteration k is the segment's k-th (`ExecutionSegment.element`).
final class EngineThread {
    let index: Int
    let threadCount: Int
    let scenario: ScenarioSpec
    let probes: [CompiledProbe]
    let schedule: VUSchedule?
    let sink: ResultSink
    let control: EngineControl
    let multi: OpaquePointer

    /// VUs by local index (timers refer to them by it).
    private var vus: [VirtualUser] = []
    /// Per probe: the global VU indexes this thread owns, ascending, and their VUs once made.
    private var owned: [[Int]]
    private var probeVUs: [[VirtualUser]]
    /// Per probe: how many of `owned` should be running now.
    private var wanted: [Int]
    private var timers = TimerHeap()
    private var inFlight = 0
    private var rng: FastRandom
    private var t0: UInt64 = 0
    private var nextControl: UInt64 = 0
    private var stopping = false
    private var retireGrace: UInt64
    private var stopGrace: UInt64
    private let thinkMin: UInt64
    /// `ScenarioSpec.startSpread` in nanoseconds (closed models only).
    private let startSpreadNs: UInt64
    /// `ScenarioSpec.timerSlack` in nanoseconds.
    private let timerSlackNs: UInt64
    private let thinkSpan: UInt64
    /// Open-model state per probe; empty for closed-model (VU) executors.
    private var arrivals: [ProbeArrivals] = []
    /// Whether the executor is an arrival-rate one (iterations started on a schedule).
    private var isOpenModel: Bool { !arrivals.isEmpty }

    init(index: Int, threadCount: Int, scenario: ScenarioSpec, probes: [CompiledProbe], sink: ResultSink, control: EngineControl) throws {
        guard let m = curl_multi_init() else { throw EngineError(.handleInit, message: "curl_multi_init failed (out of memory?)") }
        self.index = index
        self.threadCount = threadCount
        self.scenario = scenario
        self.probes = probes
        self.schedule = VUSchedule(scenario.executor)
        self.sink = sink
        self.control = control
        self.multi = m
        let segment = scenario.segment
        let maxVUs = scenario.maxVUsPerProbe
        owned = probes.map { p in
            (0..<maxVUs).filter { ($0 + p.index) % threadCount == index }
        }
        probeVUs = Array(repeating: [], count: probes.count)
        wanted = Array(repeating: 0, count: probes.count)
        rng = FastRandom(seed: MonotonicClock.now() &+ UInt64(index) &* 0x9E37_79B9)
        if case .rampingVUs(_, _, let g) = scenario.executor {
            retireGrace = UInt64(max(0, g) * 1e9)
        } else {
            retireGrace = UInt64(max(0, scenario.gracefulStop) * 1e9)
        }
        stopGrace = UInt64(max(0, scenario.gracefulStop) * 1e9)
        thinkMin = UInt64(max(0, scenario.thinkTime.min) * 1e9)
        startSpreadNs = scenario.executor.isOpenModel ? 0 : UInt64(max(0, scenario.startSpread) * 1e9)
        timerSlackNs = scenario.executor.isOpenModel ? 0 : UInt64(max(0, scenario.timerSlack) * 1e9)
        thinkSpan = UInt64(max(0, scenario.thinkTime.max - scenario.thinkTime.min) * 1e9)
        let ownedTotal = owned.reduce(0) { $0 + $1.count }
        // Idle connections stay pooled while their VUs think: the default cache (4 × handles
        // currently added) would close them whenever few requests are in flight.
        _ = kalm_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, max(16, ownedTotal * 2))
        // One request per connection, like k6's per-VU connections: no HTTP/2 multiplexing
        // of different VUs onto one connection.
        _ = kalm_multi_setopt_long(m, CURLMOPT_PIPELINING, Int(CURLPIPE_NOTHING))
        timers.reserve(ownedTotal)
        if let sched = ArrivalSchedule(scenario.executor) {
            let pre: Int
            switch scenario.executor {
            case .constantArrivalRate(_, _, _, let p, _), .rampingArrivalRate(_, _, _, let p, _): pre = p
            default: pre = 0
            }
            let preScaled = segment.scale(pre)
            arrivals = probes.map { p in
                let mine = owned[p.index]
                return ProbeArrivals(schedule: sched, next: ((index - p.index) % threadCount + threadCount) % threadCount,
                                step: threadCount, preallocated: mine.filter { $0 < preScaled }.count, maxVUs: mine.count)
            }
        }
        control.register(multi: m, thread: index)
    }

    deinit {
        control.register(multi: nil, thread: index)
        for vu in vus where vu.state == .inFlight { curl_multi_remove_handle(multi, vu.easy) }
        vus.removeAll()
        probeVUs.removeAll()
        curl_multi_cleanup(multi)
    }

    /// Runs the loop until the executor has ended (or a stop was requested) and no request is in flight.
    func run(startedAt: UInt64) {
        t0 = startedAt
        nextControl = t0
        if isOpenModel {
            for probe in arrivals.indices {
                arrivals[probe].nextStart = startTime(probe: probe, iteration: arrivals[probe].next)
                for _ in 0..<arrivals[probe].preallocated {
                    if let vu = makeVU(probe: probe) { arrivals[probe].free.append(vu) }
                }
            }
        }
        var running: Int32 = 0
        var left: Int32 = 0
        while true {
            var now = MonotonicClock.now()
            if !stopping, control.stopRequested.load(ordering: .relaxed) {
                let grace = min(stopGrace, control.stopGrace.load(ordering: .relaxed))
                beginStop(now: now, grace: grace)
            }
            if now >= nextControl { controlTick(now: now) }
            while let timer = timers.popDue(now) { timerFired(timer, now: now) }
            curl_multi_perform(multi, &running)
            while let msg = curl_multi_info_read(multi, &left) {
                guard msg.pointee.msg == CURLMSG_DONE, let easy = msg.pointee.easy_handle else { continue }
                let code = msg.pointee.data.result
                var owner: UnsafeMutableRawPointer? = nil
                _ = kalm_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &owner)
                guard let owner else { continue }
                now = MonotonicClock.now()
                complete(Unmanaged<VirtualUser>.fromOpaque(owner).takeUnretainedValue(), code: code, now: now)
            }
            if stopping, inFlight == 0 { break }
            var timeout = 1000
            var curlTimeout = -1
            curl_multi_timeout(multi, &curlTimeout)
            if curlTimeout >= 0 { timeout = min(timeout, curlTimeout) }
            now = MonotonicClock.now()
            if let deadline = timers.nextDeadline { timeout = min(timeout, Self.msUntil(coalesced(deadline), now)) }
            if nextControl != .max { timeout = min(timeout, Self.msUntil(nextControl, now)) }
            if timeout > 0 { curl_multi_poll(multi, nil, 0, Int32(timeout), nil) }
        }
        for probe in probes.indices { control.setActive(thread: index, probe: probe, count: 0) }
    }

    /// `deadline` rounded up to the timer slack's grid, so VUs whose think times end within
    /// one slack share one wake-up (and their requests one poll) instead of one each.
    @inline(__always)
    private func coalesced(_ deadline: UInt64) -> UInt64 {
        guard timerSlackNs > 0 else { return deadline }
        let (q, r) = deadline.quotientAndRemainder(dividingBy: timerSlackNs)
        return r == 0 ? deadline : (q &+ 1) &* timerSlackNs
    }

    @inline(__always)
    private static func msUntil(_ deadline: UInt64, _ now: UInt64) -> Int {
        deadline <= now ? 0 : Int((deadline - now + 999_999) / 1_000_000)
    }

    // MARK: Executor control

    /// Applies the schedule's VU count for now, cuts off overdue requests, and plans the next tick.
    private func controlTick(now: UInt64) {
        let elapsed = Double(now - t0) / 1e9
        if isOpenModel, !stopping {
            arrivalTick(now: now)
        } else if let schedule, !stopping {
            if elapsed >= schedule.totalDuration {
                beginStop(now: now, grace: stopGrace)
            } else {
                let target = scenario.segment.scale(schedule.target(at: elapsed))
                for probe in probes.indices { setWanted(probe: probe, globalTarget: target, now: now) }
                let next = schedule.nextChange(after: elapsed) ?? .infinity
                nextControl = next.isFinite ? t0 + UInt64(max(next, elapsed + 0.001) * 1e9) : .max
            }
        }
        cutOffOverdue(now: now)
        if stopping || retiringInFlight > 0 {
            // Check deadlines of retiring requests at least every 100 ms.
            nextControl = min(nextControl, now + 100_000_000)
        }
    }

    private var retiringInFlight = 0

    // MARK: Open model

    /// Monotonic ns at which `iteration` of `probe` is due; `.max` past the schedule's end.
    /// `iteration` counts this segment's iterations; the schedule's is the segment's element.
    private func startTime(probe: Int, iteration: Int) -> UInt64 {
        let global = scenario.segment.isWhole ? iteration : scenario.segment.element(iteration)
        guard let offset = arrivals[probe].schedule.startTime(ofIteration: global) else { return .max }
        return t0 &+ UInt64(offset * 1e9)
    }

    /// Starts every iteration that is due, on a free VU or a new one up to max_vus; with
    /// none left the iteration is dropped (and counted), as in k6.
    private func arrivalTick(now: UInt64) {
        var next = UInt64.max
        for probe in arrivals.indices {
            while arrivals[probe].nextStart <= now {
                let due = arrivals[probe].nextStart
                var vu = arrivals[probe].free.popLast()
                if vu == nil, probeVUs[probe].count < arrivals[probe].maxVUs { vu = makeVU(probe: probe) }
                if let vu {
                    arrivals[probe].busy += 1
                    sink.recordStartLag(probe: probe, lag: .nanoseconds(Int64(now &- due)))
                    startIteration(vu, now: now)
                } else {
                    sink.recordDroppedIteration(probe: probe)
                }
                arrivals[probe].next += arrivals[probe].step
                arrivals[probe].nextStart = startTime(probe: probe, iteration: arrivals[probe].next)
            }
            control.setActive(thread: index, probe: probe, count: arrivals[probe].busy)
            next = min(next, arrivals[probe].nextStart)
        }
        if next == .max {
            beginStop(now: now, grace: stopGrace)
        } else {
            nextControl = next
        }
    }

    /// A finished open-model iteration gives its VU back.
    private func release(_ vu: VirtualUser) {
        let probe = vu.probe.index
        arrivals[probe].busy -= 1
        arrivals[probe].free.append(vu)
    }

    /// The probe's next VU of this thread's share, or nil when the share is used up.
    private func makeVU(probe: Int) -> VirtualUser? {
        guard probeVUs[probe].count < owned[probe].count else { return nil }
        let globalIndex = owned[probe][probeVUs[probe].count]
        guard let vu = try? VirtualUser(probe: probes[probe], globalIndex: globalIndex, localIndex: Int32(vus.count),
                                        connectionReuse: scenario.connectionReuse, seed: rng.next()) else { return nil }
        vus.append(vu)
        probeVUs[probe].append(vu)
        return vu
    }

    private func setWanted(probe p: Int, globalTarget: Int, now: UInt64) {
        let ids = owned[p]
        var local = 0
        while local < ids.count, ids[local] < globalTarget { local += 1 }
        let old = wanted[p]
        guard local != old else { return }
        if local > old {
            for k in old..<local { activate(probe: p, position: k, now: now) }
        } else {
            for k in local..<old { retire(probeVUs[p][k], now: now, grace: retireGrace) }
        }
        // A VU that could not be made (out of memory) is not wanted: ramp-down must not index past them.
        wanted[p] = min(local, probeVUs[p].count)
        control.setActive(thread: index, probe: p, count: wanted[p])
    }

    private func activate(probe p: Int, position k: Int, now: UInt64) {
        while probeVUs[p].count <= k {
            // Out of memory: run with fewer VUs rather than crash.
            guard makeVU(probe: p) != nil else { return }
        }
        let vu = probeVUs[p][k]
        if vu.retiring {
            vu.retiring = false
            vu.hardDeadline = .max
            if vu.state == .inFlight { retiringInFlight -= 1 }
        }
        guard vu.state == .idle else { return }
        if startSpreadNs > 0, !vu.started {
            wait(vu, now: now, for: startOffset(vu), then: .firstIteration)
        } else {
            startIteration(vu, now: now)
        }
    }

    /// The VU's fixed offset within `startSpread`: the golden-ratio sequence over the VUs of
    /// every probe, so any number of them cover the spread evenly.
    private func startOffset(_ vu: VirtualUser) -> UInt64 {
        let k = Double(vu.probe.index + vu.globalIndex * probes.count)
        let frac = (k * 0.618_033_988_749_895).truncatingRemainder(dividingBy: 1)
        return UInt64(frac * Double(startSpreadNs))
    }

    /// Stops `vu` after its current request; a thinking VU stops now.
    private func retire(_ vu: VirtualUser, now: UInt64, grace: UInt64) {
        switch vu.state {
        case .idle:
            break
        case .thinking:
            // The sleep is cut short: its request is counted, but the truncated
            // iteration_duration would understate the think time, so it is not recorded.
            vu.generation &+= 1
            vu.state = .idle
        case .inFlight:
            if !vu.retiring { retiringInFlight += 1 }
            vu.retiring = true
            vu.hardDeadline = min(vu.hardDeadline, now &+ grace)
        }
    }

    private func beginStop(now: UInt64, grace: UInt64) {
        if stopping {
            return
        }
        stopping = true
        nextControl = now
        for p in 0..<probes.count {
            for vu in probeVUs[p] { retire(vu, now: now, grace: grace) }
            wanted[p] = 0
            control.setActive(thread: index, probe: p, count: 0)
        }
    }

    /// Aborts retiring requests past their deadline (k6's gracefulRampDown / gracefulStop).
    private func cutOffOverdue(now: UInt64) {
        guard retiringInFlight > 0 else { return }
        for vu in vus where vu.state == .inFlight && vu.retiring && vu.hardDeadline <= now {
            curl_multi_remove_handle(multi, vu.easy)
            inFlight -= 1
            retiringInFlight -= 1
            vu.retiring = false
            vu.hardDeadline = .max
            vu.state = .idle  // interrupted: like k6, not counted as a request or iteration
        }
    }

    // MARK: Iterations

    @inline(__always)
    private func startIteration(_ vu: VirtualUser, now: UInt64) {
        vu.started = true
        vu.iterationStart = now
        guard vu.beginIteration() else {
            // A `unique` data source ran out: this VU starts no more iterations.
            vu.state = .idle
            if isOpenModel {
                release(vu)
                sink.recordDroppedIteration(probe: vu.probe.index)
            }
            return
        }
        startStep(vu, now: now)
    }

    /// Sends the VU's current step, or waits for its token, or fails it without a request.
    private func startStep(_ vu: VirtualUser, now: UInt64) {
        switch vu.prepareRequest(bodyChoice: Int(truncatingIfNeeded: rng.next() >> 1), now: now) {
        case .ready:
            break
        case .waitForToken:
            wait(vu, now: now, for: 10_000_000, then: .resumeStep)
            return
        case .fail(let reason):
            var result = ResponseReader.unsent(vu, reason: reason, now: now)
            stepFinished(vu, &result, now: now)
            return
        }
        if curl_multi_add_handle(multi, vu.easy) != CURLM_OK {
            // Out of memory in libcurl: the step fails unsent, so the VU goes on (or is released).
            var result = ResponseReader.unsent(vu, reason: .other, now: now)
            stepFinished(vu, &result, now: now)
            return
        }
        vu.iterationSentNothing = false
        if vu.state != .inFlight, vu.retiring { retiringInFlight += 1 }
        vu.state = .inFlight
        inFlight += 1
    }

    /// Sets a timer for `vu`: a pause between steps, a token wait, or think time.
    private func wait(_ vu: VirtualUser, now: UInt64, for ns: UInt64, then action: VirtualUser.TimerAction) {
        if vu.state == .inFlight, vu.retiring {
            // A retiring VU does not sleep: its iteration ends here, uncounted (see retire).
            retiringInFlight -= 1
            vu.retiring = false
            vu.hardDeadline = .max
            vu.state = .idle
            if isOpenModel { release(vu) }
            return
        }
        vu.state = .thinking
        vu.timerAction = action
        vu.generation &+= 1
        timers.push(.init(deadline: now &+ ns, vu: vu.localIndex, generation: vu.generation))
    }

    private func timerFired(_ e: TimerHeap.Entry, now: UInt64) {
        let vu = vus[Int(e.vu)]
        guard vu.state == .thinking, vu.generation == e.generation else { return }
        switch vu.timerAction {
        case .resumeStep:
            vu.state = .idle
            startStep(vu, now: now)
        case .endIteration:
            endIteration(vu, now: now)
            vu.state = .idle
            if isOpenModel { release(vu) } else { startIteration(vu, now: now) }
        case .firstIteration:
            vu.state = .idle
            startIteration(vu, now: now)
        }
    }

    @inline(__always)
    private func endIteration(_ vu: VirtualUser, now: UInt64) {
        sink.recordIteration(probe: vu.probe.index, duration: .nanoseconds(Int64(now &- vu.iterationStart)))
    }

    private func complete(_ vu: VirtualUser, code: CURLcode, now: UInt64) {
        curl_multi_remove_handle(multi, vu.easy)
        inFlight -= 1
        var result = ResponseReader.read(vu, code: code, now: now)
        if vu.tokenGeneration >= 0, let token = vu.probe.token, result.status > 0 {
            if result.status == 401 { token.rejected(generation: vu.tokenGeneration) } else { token.accepted(generation: vu.tokenGeneration) }
        }
        if vu.step.mayUseTLS, result.tls > 0, let expiry = CertificateExpiry.earliest(vu.easy) {
            sink.recordCertificateExpiry(probe: vu.probe.index, unixSeconds: expiry)
        }
        stepFinished(vu, &result, now: now)
    }

    /// Records a finished step, then goes on: the next step, or the iteration's end.
    private func stepFinished(_ vu: VirtualUser, _ result: inout RequestResult, now: UInt64) {
        let probe = vu.probe
        let step = vu.step
        vu.iterationOK = vu.iterationOK && result.success
        let last = vu.current + 1 == probe.steps.count || (!result.success && !step.spec.continueOnFailure)
        result.endsIteration = last
        if probe.spec.isJourney { result.iterationSucceeded = vu.iterationOK }
        sink.record(result)
        if !last {
            if vu.retiring, vu.hardDeadline <= now {
                endRetired(vu)
                return
            }
            vu.current += 1
            if let pause = step.spec.pause {
                let lo = UInt64(max(0, pause.min) * 1e9), span = UInt64(max(0, pause.max - pause.min) * 1e9)
                wait(vu, now: now, for: lo &+ (span == 0 ? 0 : UInt64(rng.unit() * Double(span))), then: .resumeStep)
            } else {
                startStep(vu, now: now)
            }
            return
        }
        if vu.retiring {
            endRetired(vu)
            // Without think time the iteration is complete; with it, its sleep is skipped (see retire).
            if thinkSpan == 0 && thinkMin == 0 { endIteration(vu, now: now) }
            return
        }
        var sleep = thinkMin &+ (thinkSpan == 0 ? 0 : UInt64(rng.unit() * Double(thinkSpan)))
        // An iteration that could send nothing (no token yet, say) would spin: wait at least 250 ms.
        if vu.iterationSentNothing { sleep = max(sleep, 250_000_000) }
        if sleep == 0 {
            endIteration(vu, now: now)
            vu.state = .idle
            if isOpenModel { release(vu) } else { startIteration(vu, now: now) }
            return
        }
        vu.state = .thinking
        vu.timerAction = .endIteration
        vu.generation &+= 1
        timers.push(.init(deadline: now &+ sleep, vu: vu.localIndex, generation: vu.generation))
    }

    /// A retiring VU whose request (or journey) ended: it stops here.
    private func endRetired(_ vu: VirtualUser) {
        if vu.state == .inFlight { retiringInFlight -= 1 }
        vu.retiring = false
        vu.hardDeadline = .max
        vu.state = .idle
    }
}
