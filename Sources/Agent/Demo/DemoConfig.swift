/// The config `kalm demo` runs: the load-testing guide's valuations probe and checks,
/// pointed at the built-in demo API. `kalm demo --print-config` prints it.
enum DemoConfig {
    static let yaml = """
        # kalm demo: the guide's valuations probe against the built-in demo API (${DEMO_API}).
        agent:
          labels: {env: demo}
          windows: [1m, 5m, 15m, 1h]

        probes:
          - name: valuations
            request:
              method: POST
              url: ${DEMO_API}/v1/valuations
              headers:
                Content-Type: application/json
                Authorization: "Bearer demo-key"
              bodies:
                - {brand: Louis Vuitton, category: bags, condition: excellent}
                - {brand: Rolex, category: watches, condition: good}
                - {brand: Hermès, category: bags, condition: new}
                - {brand: Cartier, category: jewelry, condition: excellent}
              timeout: 10s
            checks:
              - {name: status is 200, status: [200]}
              - {name: has valuation id, json_path: $.id}
              - {name: has estimated value, json_path: $.estimated_value}
          - name: health
            request:
              url: ${DEMO_API}/healthz
            checks:
              - {name: status is 200, status: [200]}

        # The guide's SLOs. The demo API fails ~0.5% of requests, so the error-rate and
        # availability thresholds fail in some windows: watch kalm_threshold_passing flip.
        thresholds:
          http_req_duration: ["p(95)<200", "p(99)<500"]
          http_req_failed: ["rate<0.001"]
          availability: ["rate>0.999"]

        scenarios:
          smoke:
            executor: constant-vus
            vus: 2
            think_time: 0.5s..2.5s
            continuous: true
        """
}
