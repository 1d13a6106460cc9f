// k6 side of bench/k6_compat.sh: the same test as bench/configs/compat.yml.
// env: URL (default http://127.0.0.1:18081/), DURATION (default 10s), VUS (default 5)
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  vus: Number(__ENV.VUS || 5),
  duration: __ENV.DURATION || '10s',
  thresholds: {
    http_req_duration: ['p(95)<200', 'p(99)<500', 'p(90)<40', 'avg<1000', 'med>40'],
    'http_req_duration{expected_response:true}': ['max<1000'],
    http_req_failed: ['rate<0.01'],
    http_reqs: ['rate>10', 'count>1000000'],
    checks: ['rate>0.99'],
    iterations: ['count>100'],
    http_req_waiting: ['p(95)<100'],
    data_received: ['count>0'],
    vus: ['value>=5'],
  },
};

const url = __ENV.URL || 'http://127.0.0.1:18081/';

export default function () {
  const r = http.get(url);
  check(r, { 'status is 200': (res) => res.status === 200 });
}
