/// Every metric family kalm exposes, defined once (docs/metrics.md documents each).
public enum MetricCatalogue {
    // MARK: Probes, cumulative

    /// `kalm_http_requests_total`: requests by status code (0: no response).
    public static let requests = MetricDescriptor(
        "kalm_http_requests_total", .counter, scope: .probe, labels: ["code"],
        help: "HTTP requests made, by status code (0: no response).")
    /// `kalm_http_request_failures_total`: failed requests by reason.
    public static let failures = MetricDescriptor(
        "kalm_http_request_failures_total", .counter, scope: .probe, labels: ["reason"],
        help: "Failed HTTP requests by reason: dns, connect, tls, timeout, status, body_limit, other; journeys add capture and auth.")
    /// `kalm_http_request_duration_seconds`: duration of responses with an expected status, in seconds.
    public static let duration = MetricDescriptor(
        "kalm_http_request_duration_seconds", .histogram, scope: .probe, unit: "seconds",
        help: "Request duration (send + wait + receive, k6 http_req_duration) of responses with an expected status.")
    /// `kalm_http_request_phase_seconds`: time spent in each request phase, in seconds.
    public static let phases = MetricDescriptor(
        "kalm_http_request_phase_seconds", .histogram, scope: .probe, labels: ["phase"], unit: "seconds",
        help: "Time spent in each phase of a request: dns, connect, tls, send, wait (time to first byte), receive.")
    /// `kalm_auth_token_fetches_total`: OAuth2 token fetches by result.
    public static let tokenFetches = MetricDescriptor(
        "kalm_auth_token_fetches_total", .counter, scope: .probe, labels: ["result"],
        help: "OAuth2 client-credentials token fetches by result: success, or why it failed (auth, dns, connect, tls, timeout, status, other).")
    /// `kalm_iterations_total`: iterations by result.
    public static let iterations = MetricDescriptor(
        "kalm_iterations_total", .counter, scope: .probe, labels: ["result"],
        help: "Iterations (one request, or one pass through a journey's steps, with checks and think time) by result.")
    /// `kalm_checks_total`: check outcomes by check and result.
    public static let checks = MetricDescriptor(
        "kalm_checks_total", .counter, scope: .probe, labels: ["check", "result"],
        help: "Check outcomes by check and result.")
    /// `kalm_data_sent_bytes_total`: bytes sent, headers included.
    public static let dataSent = MetricDescriptor(
        "kalm_data_sent_bytes_total", .counter, scope: .probe, unit: "bytes",
        help: "Bytes sent, headers included.")
    /// `kalm_data_received_bytes_total`: bytes received, headers included.
    public static let dataReceived = MetricDescriptor(
        "kalm_data_received_bytes_total", .counter, scope: .probe, unit: "bytes",
        help: "Bytes received, headers included.")
    /// `kalm_dropped_iterations_total`: arrival-rate iterations dropped because no VU was free.
    public static let droppedIterations = MetricDescriptor(
        "kalm_dropped_iterations_total", .counter, scope: .probe,
        help: "Arrival-rate iterations that could not start because no VU was free.")
    /// `kalm_iteration_start_lag_seconds`: how late arrival-rate iterations started, in seconds.
    public static let startLag = MetricDescriptor(
        "kalm_iteration_start_lag_seconds", .histogram, scope: .probe, unit: "seconds",
        help: "How late arrival-rate iterations started against their schedule.")

    // MARK: Probes, last result

    /// `kalm_probe_success`: whether the last iteration succeeded (1) or failed (0).
    public static let probeSuccess = MetricDescriptor(
        "kalm_probe_success", .gauge, scope: .probe,
        help: "Whether the last iteration succeeded (1) or failed (0).")
    /// `kalm_probe_last_success_timestamp_seconds`: Unix time of the last successful iteration.
    public static let lastSuccess = MetricDescriptor(
        "kalm_probe_last_success_timestamp_seconds", .gauge, scope: .probe, unit: "seconds",
        help: "Unix time of the last successful iteration.")
    /// `kalm_tls_cert_expiry_timestamp_seconds`: earliest certificate expiry an HTTPS probe last saw, Unix time.
    public static let certExpiry = MetricDescriptor(
        "kalm_tls_cert_expiry_timestamp_seconds", .gauge, scope: .agent, labels: ["probe"], unit: "seconds",
        help: "Earliest certificate expiry in the chain an HTTPS probe last saw, Unix time.")

    // MARK: Probes, rolling windows

    /// `kalm_window_latency_seconds`: latency quantiles over each rolling window, in seconds.
    public static let windowLatency = MetricDescriptor(
        "kalm_window_latency_seconds", .summary, scope: .probe, labels: ["window"], unit: "seconds",
        help: "Latency quantiles of answered requests over each rolling window.")
    /// `kalm_window_availability_ratio`: successful iterations / iterations over each rolling window.
    public static let windowAvailability = MetricDescriptor(
        "kalm_window_availability_ratio", .gauge, scope: .probe, labels: ["window"], unit: "ratio",
        help: "Successful iterations / iterations over each rolling window.")
    /// `kalm_window_error_ratio`: failed requests / requests over each rolling window.
    public static let windowErrors = MetricDescriptor(
        "kalm_window_error_ratio", .gauge, scope: .probe, labels: ["window"], unit: "ratio",
        help: "Failed requests / requests over each rolling window.")
    /// `kalm_window_requests_per_second`: requests per second over each rolling window.
    public static let windowRate = MetricDescriptor(
        "kalm_window_requests_per_second", .gauge, scope: .probe, labels: ["window"],
        help: "Requests per second over each rolling window.")
    /// `kalm_vus`: VUs running now, per probe.
    public static let vus = MetricDescriptor(
        "kalm_vus", .gauge, scope: .probe,
        help: "VUs running now, per probe.")
    /// `kalm_vus_max`: the most VUs the scenario's executor may use, per probe.
    public static let vusMax = MetricDescriptor(
        "kalm_vus_max", .gauge, scope: .probe,
        help: "The most VUs the scenario's executor may use, per probe.")

    // MARK: Scenarios and thresholds

    /// `kalm_scenario_active`: whether the scenario is running now (1) or not (0).
    public static let scenarioActive = MetricDescriptor(
        "kalm_scenario_active", .gauge, scope: .scenario,
        help: "Whether the scenario is running now (1) or not (0).")
    /// `kalm_threshold_passing`: whether a threshold holds (1) or not (0) over each rolling window.
    public static let thresholdPassing = MetricDescriptor(
        "kalm_threshold_passing", .gauge, scope: .scenario, labels: ["metric", "threshold", "window"],
        help: "Whether a threshold holds (1) or not (0) over each rolling window; no sample for a window without data.")

    // MARK: Scheduled windows

    /// `kalm_scenario_last_run_timestamp_seconds`: Unix time the last scheduled window ended.
    public static let lastRunAt = MetricDescriptor(
        "kalm_scenario_last_run_timestamp_seconds", .gauge, scope: .scenario, unit: "seconds",
        help: "Unix time the scenario's last scheduled window ended.")
    /// `kalm_scenario_last_run_passed`: whether every threshold held over the last scheduled window.
    public static let lastRunPassed = MetricDescriptor(
        "kalm_scenario_last_run_passed", .gauge, scope: .scenario,
        help: "Whether every threshold that applies to the scenario held over its last window.")
    /// `kalm_scenario_skipped_runs_total`: firings skipped because the previous window was still running.
    public static let skippedRuns = MetricDescriptor(
        "kalm_scenario_skipped_runs_total", .counter, scope: .scenario,
        help: "Firings skipped because the previous window was still running.")
    /// `kalm_soak_latency_drift_ratio`: a latency stat over the last 10% of the steady state / the first 10%.
    public static let soakDrift = MetricDescriptor(
        "kalm_soak_latency_drift_ratio", .gauge, scope: .probe, labels: ["stat"], unit: "ratio",
        help: "A latency stat over the last 10% of the steady state divided by the same over the first 10%.")
    /// `kalm_soak_latency_slope_seconds_per_hour`: least-squares slope of a latency stat over the steady state, in seconds per hour.
    public static let soakSlope = MetricDescriptor(
        "kalm_soak_latency_slope_seconds_per_hour", .gauge, scope: .probe, labels: ["stat"],
        help: "Least-squares slope of a latency stat per slot over the steady state.")
    /// `kalm_soak_error_ratio`: failed requests / requests over the steady state.
    public static let soakErrors = MetricDescriptor(
        "kalm_soak_error_ratio", .gauge, scope: .probe, unit: "ratio",
        help: "Failed requests / requests over the steady state.")
    /// `kalm_soak_window_start_timestamp_seconds`: Unix time the last soak steady state started.
    public static let soakWindowStart = MetricDescriptor(
        "kalm_soak_window_start_timestamp_seconds", .gauge, scope: .scenario, unit: "seconds",
        help: "Unix time the last soak window's steady state started.")
    /// `kalm_soak_window_end_timestamp_seconds`: Unix time the last soak steady state ended.
    public static let soakWindowEnd = MetricDescriptor(
        "kalm_soak_window_end_timestamp_seconds", .gauge, scope: .scenario, unit: "seconds",
        help: "Unix time the last soak window's steady state ended.")
    /// `kalm_capacity_requests_per_second`: successful requests per second at a breakpoint run's last passing evaluation.
    public static let capacity = MetricDescriptor(
        "kalm_capacity_requests_per_second", .gauge, scope: .probe,
        help: "Successful requests per second at the last passing evaluation of a breakpoint run.")

    // MARK: The agent

    /// `kalm_build_info`: kalm's version and revision; always 1.
    public static let buildInfo = MetricDescriptor(
        "kalm_build_info", .gauge, scope: .agent, labels: ["revision", "version"],
        help: "kalm's version and revision; always 1.")
    /// `kalm_config_last_reload_successful`: whether the last configuration reload succeeded.
    public static let reloadSuccessful = MetricDescriptor(
        "kalm_config_last_reload_successful", .gauge, scope: .agent,
        help: "Whether the last configuration reload attempt was successful.")
    /// `kalm_config_last_reload_success_timestamp_seconds`: Unix time of the last successful reload.
    public static let reloadSuccessAt = MetricDescriptor(
        "kalm_config_last_reload_success_timestamp_seconds", .gauge, scope: .agent, unit: "seconds",
        help: "Timestamp of the last successful configuration reload.")

    /// `kalm_targets`: targets of a fleet probe this agent probes now (after sharding).
    public static let targets = MetricDescriptor(
        "kalm_targets", .gauge, scope: .agent, labels: ["probe"],
        help: "Targets of a probe with targets: that this agent probes now.")
    /// `kalm_target_file_errors_total`: reads of a targets file that failed (its last good targets are kept).
    public static let targetFileErrors = MetricDescriptor(
        "kalm_target_file_errors_total", .counter, scope: .agent, labels: ["probe"],
        help: "Reads of a probe's targets files that failed; the file's last good targets are kept.")

    /// `kalm_targets_last_change_timestamp_seconds`: when a fleet probe's targets last changed.
    public static let targetsChangedAt = MetricDescriptor(
        "kalm_targets_last_change_timestamp_seconds", .gauge, scope: .agent, labels: ["probe"], unit: "seconds",
        help: "Timestamp of the last change of a probe's targets (added or removed), or of the agent's start.")

    // MARK: The process (the names Prometheus client libraries use)

    /// `process_cpu_seconds_total`: user and system CPU time, in seconds.
    public static let processCPU = MetricDescriptor(
        "process_cpu_seconds_total", .counter, scope: .agent, unit: "seconds",
        help: "Total user and system CPU time spent in seconds.")
    /// `process_resident_memory_bytes`: resident memory size, in bytes.
    public static let processResident = MetricDescriptor(
        "process_resident_memory_bytes", .gauge, scope: .agent, unit: "bytes",
        help: "Resident memory size in bytes.")
    /// `process_virtual_memory_bytes`: virtual memory size, in bytes.
    public static let processVirtual = MetricDescriptor(
        "process_virtual_memory_bytes", .gauge, scope: .agent, unit: "bytes",
        help: "Virtual memory size in bytes.")
    /// `process_open_fds`: open file descriptors.
    public static let processOpenFDs = MetricDescriptor(
        "process_open_fds", .gauge, scope: .agent,
        help: "Number of open file descriptors.")
    /// `process_max_fds`: the limit on open file descriptors.
    public static let processMaxFDs = MetricDescriptor(
        "process_max_fds", .gauge, scope: .agent,
        help: "Maximum number of open file descriptors.")
    /// `process_start_time_seconds`: Unix time the process started.
    public static let processStart = MetricDescriptor(
        "process_start_time_seconds", .gauge, scope: .agent, unit: "seconds",
        help: "Start time of the process since unix epoch in seconds.")

    /// Every family (the writers sort families by name on output).
    public static let all: [MetricDescriptor] = [
        requests, failures, duration, phases, tokenFetches, iterations, checks, dataSent, dataReceived, droppedIterations, startLag,
        probeSuccess, lastSuccess, certExpiry, windowLatency, windowAvailability, windowErrors, windowRate, vus, vusMax,
        buildInfo, reloadSuccessful, reloadSuccessAt, scenarioActive, thresholdPassing, targets, targetFileErrors, targetsChangedAt,
        lastRunAt, lastRunPassed, skippedRuns, soakDrift, soakSlope, soakErrors, soakWindowStart, soakWindowEnd, capacity,
        processCPU, processResident, processVirtual, processOpenFDs, processMaxFDs, processStart,
    ]

    /// The descriptor named `name`, if kalm exposes it.
    public static func descriptor(named name: String) -> MetricDescriptor? {
        all.first { $0.name == name }
    }
}
