#!/usr/bin/env python3
"""bench/siege.py: scrape latency and probe rate of a kalm endpoint under attack.

Used by bench/endpoint_siege.sh. Two phases against one running agent:
  baseline  scrapes alone;
  siege     the same scrapes while IDLE connections sit open (half of them through a
            finished TLS handshake when --ca is given, half raw TCP that never speaks),
            SLOWLORIS connections send one header byte per second and reconnect when
            closed, and FLOODERS keep-alive clients send GETs with random wrong passwords
            as fast as answers come back.
A scrape is a new connection (TCP, TLS handshake when --ca, basic auth when --user), a GET
of /metrics and its whole body, every --interval s; its latency is connect to last byte.
The probes' request rate is the growth of sum(kalm_http_requests_total) over each phase.
Prints one JSON object. Every loop is bounded by the phase's duration.
"""
import argparse, base64, json, os, random, selectors, socket, ssl, statistics, sys, threading, time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--baseline", type=float, default=20)
    p.add_argument("--siege", type=float, default=60)
    p.add_argument("--interval", type=float, default=0.25)
    p.add_argument("--idle", type=int, default=2000)
    p.add_argument("--slowloris", type=int, default=50)
    p.add_argument("--flooders", type=int, default=2)
    return p.parse_args()


A = parse()
HOST = "127.0.0.1"
CTX = None
if A.ca:
    CTX = ssl.create_default_context(cafile=A.ca)
    CTX.check_hostname = False  # the certificate names 127.0.0.1 as an IP SAN; no SNI needed


def auth_header(user, password):
    if not user:
        return b""
    return b"Authorization: Basic " + base64.b64encode(f"{user}:{password}".encode()) + b"\r\n"


def connect(handshake=True, timeout=5):
    s = socket.create_connection((HOST, A.port), timeout=timeout)
    # As Go's (Prometheus's) client does: without it, the request written right after the
    # TLS Finished waits for a delayed ACK (40 ms), which is the client's delay, not kalm's.
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if CTX and handshake:
        s = CTX.wrap_socket(s, server_hostname=None)
    return s


def read_response(s):
    """Reads one HTTP/1.1 response (Content-Length framed); returns (status, body)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the head")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the body")
        body += chunk
    return status, body


def scrape():
    t0 = time.perf_counter()
    s = connect()
    try:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: kalm\r\n" + auth_header(A.user, A.password) + b"Connection: close\r\n\r\n")
        status, body = read_response(s)
    finally:
        s.close()
    return time.perf_counter() - t0, status, body


def requests_total(body):
    total = 0.0
    for line in body.decode(errors="replace").splitlines():
        if line.startswith("kalm_http_requests_total"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def pct(values, q):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] if v else None


def scrape_phase(seconds):
    latencies, failures, first, last = [], 0, None, None
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            took, status, body = scrape()
            if status == 200:
                latencies.append(took)
                total = requests_total(body)
                first = first if first is not None else (start, total)
                last = (start, total)
            else:
                failures += 1
        except Exception:
            failures += 1
        time.sleep(max(0, A.interval - (time.monotonic() - start)))
    rate = (last[1] - first[1]) / (last[0] - first[0]) if first and last and last[0] > first[0] else None
    ms = [x * 1000 for x in latencies]
    return {"scrapes": len(ms), "failures": failures, "p50_ms": pct(ms, 0.5), "p99_ms": pct(ms, 0.99),
            "max_ms": max(ms) if ms else None, "probe_req_per_s": rate}


class Siege:
    def __init__(self):
        self.stop = threading.Event()
        self.stats = {"idle_opened": 0, "idle_closed_by_server": 0, "idle_open_samples": [],
                      "slowloris_reconnects": 0, "slowloris_closed_by_server": 0, "flood_answers": {}, "flood_errors": 0}
        self.lock = threading.Lock()

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n

    def idle(self):
        sel = selectors.DefaultSelector()
        open_ = 0
        def open_one(i):
            nonlocal open_
            try:
                s = connect(handshake=(i % 2 == 0))
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ, i)
                open_ += 1
                self.count("idle_opened")
            except Exception:
                pass
        for i in range(A.idle):
            if self.stop.is_set():
                break
            open_one(i)
        while not self.stop.is_set():
            # A readable idle socket was closed by the server: hold another one in its place.
            for key, _ in sel.select(timeout=0.5):
                sel.unregister(key.fileobj)
                key.fileobj.close()
                open_ -= 1
                self.count("idle_closed_by_server")
                open_one(key.data)
            with self.lock:
                self.stats["idle_open_samples"].append(open_)
        for key in list(sel.get_map().values()):
            key.fileobj.close()

    def slowloris(self):
        head = b"GET /metrics HTTP/1.1\r\nHost: kalm\r\nX-Slow: " + b"a" * 4000
        conns = []
        def fresh():
            try:
                s = connect()
                s.settimeout(0.01)
                return [s, 0]
            except Exception:
                return None
        conns = [c for c in (fresh() for _ in range(A.slowloris)) if c]
        while not self.stop.wait(1.0):
            for i, c in enumerate(conns):
                s, sent = c
                try:
                    try:
                        s.recv(4096)
                        # Anything read (a 408) or an EOF: the server gave up on this one.
                        self.count("slowloris_closed_by_server")
                        raise ConnectionError
                    except (socket.timeout, ssl.SSLWantReadError, BlockingIOError):
                        pass
                    s.send(head[sent:sent + 1])
                    c[1] = (sent + 1) % len(head)
                except Exception:
                    try:
                        s.close()
                    except Exception:
                        pass
                    self.count("slowloris_reconnects")
                    conns[i] = fresh() or c
        for s, _ in conns:
            s.close()

    def flooder(self):
        s = None
        while not self.stop.is_set():
            try:
                if s is None:
                    s = connect()
                pw = "%016x" % random.getrandbits(64)
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: kalm\r\n" + auth_header(A.user or "prometheus", pw) + b"\r\n")
                status, _ = read_response(s)
                with self.lock:
                    self.stats["flood_answers"][status] = self.stats["flood_answers"].get(status, 0) + 1
            except Exception:
                self.count("flood_errors")
                if s:
                    s.close()
                s = None
        if s:
            s.close()

    def run(self, seconds):
        threads = [threading.Thread(target=self.idle, daemon=True), threading.Thread(target=self.slowloris, daemon=True)]
        threads += [threading.Thread(target=self.flooder, daemon=True) for _ in range(A.flooders)]
        for t in threads:
            t.start()
        # Let the idle connections pile up before measuring.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and self.stats["idle_opened"] < A.idle * 0.95:
            time.sleep(0.2)
        result = scrape_phase(seconds)
        self.stop.set()
        for t in threads:
            t.join(timeout=10)
        samples = self.stats.pop("idle_open_samples")
        self.stats["idle_open_median"] = statistics.median(samples) if samples else 0
        self.stats["flood_answers"] = {str(k): v for k, v in self.stats["flood_answers"].items()}
        return result


baseline = scrape_phase(A.baseline)
siege = Siege()
under = siege.run(A.siege)
print(json.dumps({"baseline": baseline, "siege": under, "attack": siege.stats}, indent=1))
