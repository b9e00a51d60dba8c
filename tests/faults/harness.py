"""What the fault suite (run.py) is built from: child processes that die with it, its own
PostgreSQL, the steady load with every answer recorded, and the table it prints (the forwarders
and HAProxy are tests/support/loopback.py's)."""
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from pg import Pg  # noqa: E402


def http(url, headers=None, data=None, timeout=15, method=None):
    """(status, headers, body bytes); status 0 and the error's text when no HTTP answer came."""
    req = urllib.request.Request(url, headers=headers or {}, data=data, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except Exception as e:  # refused, reset, timed out
        return 0, {}, f"{type(e).__name__}: {e}".encode()


class Processes:
    """Children of the suite, each logging to <work>/<name>.log; they die with the suite."""

    def __init__(self, work):
        self.work, self.procs = work, {}

    @staticmethod
    def _die_with_parent():
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    def start(self, name, args, env=None):
        log = open(os.path.join(self.work, name + ".log"), "a")
        self.procs[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                            preexec_fn=self._die_with_parent)
        return self.procs[name]

    def pid(self, name):
        p = self.procs.get(name)
        return p.pid if p and p.poll() is None else None

    def signal(self, name, sig, wait=30):
        p = self.procs[name]
        p.send_signal(sig)
        p.wait(timeout=wait)

    def tail(self, name, n=20):
        try:
            with open(os.path.join(self.work, name + ".log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def stop_all(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()


class Postgres(Pg):
    """A PostgreSQL server of the suite's own (tests/pg/pg-harness.sh), so it may be restarted."""

    def __init__(self, work, repo):
        self.info = os.path.join(work, "pg.info")
        self.harness = os.path.join(repo, "tests", "pg", "pg-harness.sh")
        subprocess.run(["bash", self.harness, "start", self.info], check=True, stdout=subprocess.DEVNULL)
        super().__init__(self.info)
        self.pgbin = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(x) for x in v.split(".")])[-1]

    def restart(self):
        ctl = f"/usr/lib/postgresql/{self.pgbin}/bin/pg_ctl"
        args = [ctl, "-D", os.path.join(self.host, "data"), "-m", "fast", "-w", "-t", "60", "restart"]
        if os.getuid() == 0:
            args = ["runuser", "-u", "postgres", "--"] + args
        subprocess.run(args, check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(["bash", self.harness, "stop", self.info], stdout=subprocess.DEVNULL)


class Load:
    """Steady load through a client proxy: `workers` keep-alive connections, each sending the
    next request as soon as the last is answered. Every request gets an X-Road id of its own and
    is recorded: (row, id, started, ended, HTTP status or 0, X-Road-Error). `target` (the
    request's headers beyond the id, and its path) may be changed while it runs."""

    def __init__(self, client_proxy, path, headers, workers=4):
        self.host, self.port = client_proxy.split(":")
        self.path, self.headers, self.workers = path, dict(headers), workers
        self.row = "warm-up"
        self.results = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = []

    def start(self):
        self.threads = [threading.Thread(target=self._worker, args=(n,), daemon=True) for n in range(self.workers)]
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)

    def _worker(self, n):
        import http.client
        conn = None
        while not self.stopping.is_set():
            row, path, headers = self.row, self.path, dict(self.headers)
            qid = f"fault-{n}-{uuid.uuid4()}"
            started = time.monotonic()
            status, error = 0, ""
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.host, int(self.port), timeout=30)
                conn.request("GET", path, headers={**headers, "X-Road-Id": qid})
                r = conn.getresponse()
                r.read()
                status, error = r.status, r.getheader("X-Road-Error", "")
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:
                error = type(e).__name__
                if conn:
                    conn.close()
                conn = None
            with self.lock:
                self.results.append((row, qid, started, time.monotonic(), status, error))
            if status != 200:
                time.sleep(0.05)  # a refused request does not become a busy loop

    def of(self, row):
        with self.lock:
            return [r for r in self.results if r[0] == row]

    def first_ok_since(self, t):
        """When the first request started at or after `t` was answered 200 (None: none yet)."""
        with self.lock:
            oks = [r[3] for r in self.results if r[2] >= t and r[4] == 200]
        return min(oks) if oks else None

    def all_ok_since(self, t, at_least=5):
        with self.lock:
            after = [r for r in self.results if r[2] >= t]
        return len(after) >= at_least and all(r[4] == 200 for r in after)


def table(rows):
    """The suite's table: one line per fault."""
    head = ["fault", "expected", "sent", "200", "refused", "errors seen", "recovery", "restart", "lost", "result"]
    cells = [[r["fault"], r["expected"], str(r["sent"]), str(r["ok"]), str(r["refused"]), r["errors"],
              r["recovery"], r["restart"], str(r["lost"]), "PASS" if r["passed"] else "FAIL"] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(head)]
    widths[1] = min(widths[1], 58)
    widths[5] = min(widths[5], 48)

    def line(values):
        return " | ".join(v.ljust(w) if i not in (1, 5) else v[:w].ljust(w) for i, (v, w) in enumerate(zip(values, widths)))

    out = [line(head), "-+-".join("-" * w for w in widths)] + [line(c) for c in cells]
    return "\n".join(out)
