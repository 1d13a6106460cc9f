/// Every metric family kalm exposes, defined once (docs/metrics.md documents each).
public enum MetricCatalogue {
    // MARK: Probes, cumulative

    public static let requests = MetricDescriptor(
        "kalm_http_requests_total", .counter, scope: .probe, labels: ["code"],
        help: "HTTP requests made, by status code (0: no response).")
    public static let failures = MetricDescriptor(
        "kalm_http_request_failures_total", .counter, scope: .probe, labels: ["reason"],
        help: "Failed HTTP requests by reason: dns, connect, tls, timeout, status, body_limit, other.")
    public static let duration = MetricDescriptor(
        "kalm_http_request_duration_seconds", .histogram, scope: .probe, unit: "seconds",
        help: "Request duration (send + wait + receive, k6 http_req_duration) of responses with an expected status.")
    public static let phases = MetricDescriptor(
        "kalm_http_request_phase_seconds", .histogram, scope: .probe, labels: ["phase"], unit: "seconds",
        help: "Time spent in each phase of a request: dns, connect, tls, send, wait (time to first byte), receive.")
    public static let iterations = MetricDescriptor(
        "kalm_iterations_total", .counter, scope: .probe, labels: ["result"],
        help: "Iterations (one request, its checks, the think time) by result.")
    public static let checks = MetricDescriptor(
        "kalm_checks_total", .counter, scope: .probe, labels: ["check", "result"],
        help: "Check outcomes by check and result.")
    public static let dataSent = MetricDescriptor(
        "kalm_data_sent_bytes_total", .counter, scope: .probe, unit: "bytes",
        help: "Bytes sent, headers included.")
    public static let dataReceived = MetricDescriptor(
        "kalm_data_received_bytes_total", .counter, scope: .probe, unit: "bytes",
        help: "Bytes received, headers included.")
    public static let droppedIterations = MetricDescriptor(
        "kalm_dropped_iterations_total", .counter, scope: .probe,
        help: "Arrival-rate iterations that could not start because no VU was free.")
    public static let startLag = MetricDescriptor(
        "kalm_iteration_start_lag_seconds", .histogram, scope: .probe, unit: "seconds",
        help: "How late arrival-rate iterations started against their schedule.")

    // MARK: Probes, last result

    public static let probeSuccess = MetricDescriptor(
        "kalm_probe_success", .gauge, scope: .probe,
        help: "Whether the last iteration succeeded (1) or failed (0).")
    public static let lastSuccess = MetricDescriptor(
        "kalm_probe_last_success_timestamp_seconds", .gauge, scope: .probe, unit: "seconds",
        help: "Unix time of the last successful iteration.")
    public static let certExpiry = MetricDescriptor(
        "kalm_tls_cert_expiry_timestamp_seconds", .gauge, scope: .agent, labels: ["probe"], unit: "seconds",
        help: "Earliest certificate expiry in the chain an HTTPS probe last saw, Unix time.")

    // MARK: Probes, rolling windows

    public static let windowLatency = MetricDescriptor(
        "kalm_window_latency_seconds", .summary, scope: .probe, labels: ["window"], unit: "seconds",
        help: "Latency quantiles of answered requests over each rolling window.")
    public static let windowAvailability = MetricDescriptor(
        "kalm_window_availability_ratio", .gauge, scope: .probe, labels: ["window"], unit: "ratio",
        help: "Successful iterations / iterations over each rolling window.")
    public static let windowErrors = MetricDescriptor(
        "kalm_window_error_ratio", .gauge, scope: .probe, labels: ["window"], unit: "ratio",
        help: "Failed requests / requests over each rolling window.")
    public static let windowRate = MetricDescriptor(
        "kalm_window_requests_per_second", .gauge, scope: .probe, labels: ["window"],
        help: "Requests per second over each rolling window.")
    public static let vus = MetricDescriptor(
        "kalm_vus", .gauge, scope: .probe,
        help: "VUs running now, per probe.")
    public static let vusMax = MetricDescriptor(
        "kalm_vus_max", .gauge, scope: .probe,
        help: "The most VUs the scenario's executor may use, per probe.")

    // MARK: Scenarios and thresholds

    public static let scenarioActive = MetricDescriptor(
        "kalm_scenario_active", .gauge, scope: .scenario,
        help: "Whether the scenario is running now (1) or not (0).")
    public static let thresholdPassing = MetricDescriptor(
        "kalm_threshold_passing", .gauge, scope: .scenario, labels: ["metric", "threshold", "window"],
        help: "Whether a threshold holds (1) or not (0) over each rolling window; no sample for a window without data.")

    // MARK: Scheduled windows

    public static let lastRunAt = MetricDescriptor(
        "kalm_scenario_last_run_timestamp_seconds", .gauge, scope: .scenario, unit: "seconds",
        help: "Unix time the scenario's last scheduled window ended.")
    public static let lastRunPassed = MetricDescriptor(
        "kalm_scenario_last_run_passed", .gauge, scope: .scenario,
        help: "Whether every threshold that applies to the scenario held over its last window.")
    public static let skippedRuns = MetricDescriptor(
        "kalm_scenario_skipped_runs_total", .counter, scope: .scenario,
        help: "Firings skipped because the previous window was still running.")
    public static let soakDrift = MetricDescriptor(
        "kalm_soak_latency_drift_ratio", .gauge, scope: .probe, labels: ["stat"], unit: "ratio",
        help: "A latency stat over the last 10% of the steady state divided by the same over the first 10%.")
    public static let soakSlope = MetricDescriptor(
        "kalm_soak_latency_slope_seconds_per_hour", .gauge, scope: .probe, labels: ["stat"],
        help: "Least-squares slope of a latency stat per slot over the steady state.")
    public static let soakErrors = MetricDescriptor(
        "kalm_soak_error_ratio", .gauge, scope: .probe, unit: "ratio",
        help: "Failed requests / requests over the steady state.")
    public static let soakWindowStart = MetricDescriptor(
        "kalm_soak_window_start_timestamp_seconds", .gauge, scope: .scenario, unit: "seconds",
        help: "Unix time the last soak window's steady state started.")
    public static let soakWindowEnd = MetricDescriptor(
        "kalm_soak_window_end_timestamp_seconds", .gauge, scope: .scenario, unit: "seconds",
        help: "Unix time the last soak window's steady state ended.")
    public static let capacity = MetricDescriptor(
        "kalm_capacity_requests_per_second", .gauge, scope: .probe,
        help: "Successful requests per second at the last passing evaluation of a breakpoint run.")

    // MARK: The agent

    public static let buildInfo = MetricDescriptor(
        "kalm_build_info", .gauge, scope: .agent, labels: ["revision", "version"],
        help: "kalm's version and revision; always 1.")
    public static let reloadSuccessful = MetricDescriptor(
        "kalm_config_last_reload_successful", .gauge, scope: .agent,
        help: "Whether the last configuration reload attempt was successful.")
    public static let reloadSuccessAt = MetricDescriptor(
        "kalm_config_last_reload_success_timestamp_seconds", .gauge, scope: .agent, unit: "seconds",
        help: "Timestamp of the last successful configuration reload.")

    // MARK: The process (the names Prometheus client libraries use)

    public static let processCPU = MetricDescriptor(
        "process_cpu_seconds_total", .counter, scope: .agent, unit: "seconds",
        help: "Total user and system CPU time spent in seconds.")
    public static let processResident = MetricDescriptor(
        "process_resident_memory_bytes", .gauge, scope: .agent, unit: "bytes",
        help: "Resident memory size in bytes.")
    public static let processVirtual = MetricDescriptor(
        "process_virtual_memory_bytes", .gauge, scope: .agent, unit: "bytes",
        help: "Virtual memory size in bytes.")
    public static let processOpenFDs = MetricDescriptor(
        "process_open_fds", .gauge, scope: .agent,
        help: "Number of open file descriptors.")
    public static let processMaxFDs = MetricDescriptor(
        "process_max_fds", .gauge, scope: .agent,
        help: "Maximum number of open file descriptors.")
    public static let processStart = MetricDescriptor(
        "process_start_time_seconds", .gauge, scope: .agent, unit: "seconds",
        help: "Start time of the process since unix epoch in seconds.")

    /// Every family (the writers sort families by name on output).
    public static let all: [MetricDescriptor] = [
        requests, failures, duration, phases, iterations, checks, dataSent, dataReceived, droppedIterations, startLag,
        probeSuccess, lastSuccess, certExpiry, windowLatency, windowAvailability, windowErrors, windowRate, vus, vusMax,
        buildInfo, reloadSuccessful, reloadSuccessAt, scenarioActive, thresholdPassing,
        lastRunAt, lastRunPassed, skippedRuns, soakDrift, soakSlope, soakErrors, soakWindowStart, soakWindowEnd, capacity,
        processCPU, processResident, processVirtual, processOpenFDs, processMaxFDs, processStart,
    ]

    /// The descriptor named `name`, if kalm exposes it.
    public static func descriptor(named name: String) -> MetricDescriptor? {
        all.first { $0.name == name }
    }
}
