// k6 side of bench/stress.sh: 1000 VUs, the guide's 0.5–2.5 s think time, one check.
// env: URL, DURATION (default 60s), VUS (default 1000)
import http from 'k6/http';
import { check, sleep } from 'k6';

export const options = {
  vus: Number(__ENV.VUS || 1000),
  duration: __ENV.DURATION || '60s',
};

const url = __ENV.URL || 'http://127.0.0.1:18080/';

export default function () {
  const r = http.get(url);
  check(r, { 'status is 200': (res) => res.status === 200 });
  sleep(Math.random() * 2 + 0.5);
}
