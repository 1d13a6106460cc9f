// k6 side of bench/accuracy.sh: 5 VUs, GET the 50 ms sleep endpoint.
// env: URL (default http://127.0.0.1:18081/), DURATION (default 30s), VUS (default 5)
import http from 'k6/http';

export const options = {
  vus: Number(__ENV.VUS || 5),
  duration: __ENV.DURATION || '30s',
};

const url = __ENV.URL || 'http://127.0.0.1:18081/';

export default function () {
  http.get(url);
}
