// k6 side of bench/journey.sh: a 3-step journey per iteration, no think time.
//   create: POST /items {"name":"bag"}  -> 201 {"id":"42","ok":true}; capture id
//   read:   GET /items/${id}            -> 200 {"id":"42","name":"bag"}
//   delete: DELETE /items/${id}         -> 204
// Each request is tagged {step: create|read|delete}; the count>=0 thresholds
// (always true) only make k6 keep the submetrics http_reqs{step:X} so that
// --summary-export has per-step counts (bench/configs/journey.yml is kalm's side).
// env: URL base (default http://127.0.0.1:18080, a trailing / is dropped),
//      VUS (default 20), DURATION (default 10s)
import http from 'k6/http';
import { check } from 'k6';

const STEPS = ['create', 'read', 'delete'];

const thresholds = {};
for (const s of STEPS) {
  thresholds[`http_reqs{step:${s}}`] = ['count>=0'];
}

export const options = {
  vus: Number(__ENV.VUS || 20),
  duration: __ENV.DURATION || '10s',
  thresholds,
};

const base = (__ENV.URL || 'http://127.0.0.1:18080').replace(/\/+$/, '');
const jsonHeaders = { 'Content-Type': 'application/json' };

export default function () {
  const created = http.post(`${base}/items`, JSON.stringify({ name: 'bag' }), {
    headers: jsonHeaders,
    tags: { step: 'create' },
  });
  const createdOk = check(created, { 'create status is 201': (r) => r.status === 201 }, { step: 'create' });
  // A failed step ends the iteration (the next steps need its id).
  if (!createdOk) return;
  const id = created.json().id;

  const read = http.get(`${base}/items/${id}`, { tags: { step: 'read' } });
  const readOk = check(read, {
    'read status is 200': (r) => r.status === 200,
    'read $.id equals id': (r) => r.json().id === id,
  }, { step: 'read' });
  if (!readOk) return;

  const deleted = http.del(`${base}/items/${id}`, null, { tags: { step: 'delete' } });
  check(deleted, { 'delete status is 204': (r) => r.status === 204 }, { step: 'delete' });
}
