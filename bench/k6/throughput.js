// k6 side of bench/throughput.sh: 50 VUs, no think time, GET the fast endpoint.
// env: URL (default http://127.0.0.1:18080/), DURATION (default 10s), VUS (default 50)
import http from 'k6/http';

export const options = {
  vus: Number(__ENV.VUS || 50),
  duration: __ENV.DURATION || '10s',
};

const url = __ENV.URL || 'http://127.0.0.1:18080/';

export default function () {
  http.get(url);
}
