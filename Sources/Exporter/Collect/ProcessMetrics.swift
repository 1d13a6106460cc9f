import Foundation

/// The standard process collector's families (Prometheus client libraries' names), from /proc.
public enum ProcessMetrics {
    /// Unix time this process started, read once.
    static let startTime: Double = {
        // /proc/self/stat field 22 is the start time in clock ticks since boot; btime is boot time.
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let btime = bootTime() else {
            return Date().timeIntervalSince1970
        }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so starttime (field 22) is index 19.
        guard fields.count > 19, let ticks = Double(fields[19]) else { return Date().timeIntervalSince1970 }
        return btime + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }()

    /// Boot time (Unix seconds): /proc/stat's btime; where /proc/stat is hidden (systemd's
    /// ProcSubset=pid), the same value from the clocks: CLOCK_REALTIME − CLOCK_BOOTTIME.
    static func bootTime(procStat: String = "/proc/stat") -> Double? {
        if let statAll = try? String(contentsOfFile: procStat, encoding: .utf8),
           let btimeLine = statAll.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
           let btime = Double(btimeLine.split(separator: " ")[1]) {
            return btime
        }
        var real = timespec(), boot = timespec()
        guard clock_gettime(CLOCK_REALTIME, &real) == 0, clock_gettime(CLOCK_BOOTTIME, &boot) == 0 else { return nil }
        return (Double(real.tv_sec) - Double(boot.tv_sec) + (Double(real.tv_nsec) - Double(boot.tv_nsec)) / 1e9).rounded(.down)
    }

    /// The process families, each with one series carrying `labels`.
    public static func collect(labels: MetricLabels) -> [MetricFamily] {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        var rss = 0.0, vsize = 0.0
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) {
            let f = statm.split(separator: " ")
            let page = Double(sysconf(Int32(_SC_PAGESIZE)))
            if f.count > 1 { vsize = (Double(f[0]) ?? 0) * page; rss = (Double(f[1]) ?? 0) * page }
        }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)

        func family(_ descriptor: MetricDescriptor, _ value: Double) -> MetricFamily {
            var f = MetricFamily(descriptor)
            f.add(value, labels: labels)
            return f
        }
        return [
            family(MetricCatalogue.processCPU, cpu),
            family(MetricCatalogue.processResident, rss),
            family(MetricCatalogue.processVirtual, vsize),
            family(MetricCatalogue.processOpenFDs, Double(max(0, fds - 1))),
            family(MetricCatalogue.processMaxFDs, Double(lim.rlim_cur)),
            family(MetricCatalogue.processStart, startTime),
        ]
    }
}
