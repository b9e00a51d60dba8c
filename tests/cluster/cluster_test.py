#!/usr/bin/env python3
"""The cluster on loopback: one PostgreSQL, a primary and two secondaries serving one
Security Server identity behind HAProxy (TCP mode, TLS passed through, health checks on
/readyz), and a standalone Security Server as the client's side.

  ss1 (standalone, client) --TLS--> HAProxy 127.0.0.3:PORT --> secondary A 127.0.0.12:PORT
                                                           \\-> secondary B 127.0.0.13:PORT
  (and the same for the OCSP responders' port, where ss1 gets ss2's OCSP status)
  primary 127.0.0.11:PORT (not behind HAProxy: it takes configuration changes)

Checks, in order:
  1. a request goes through; exactly one node holds the OCSP lease;
  2. a configuration change applied on the primary is in use on both secondaries within 5 s
     (LISTEN/NOTIFY; their polling is set to 60 s so it cannot be what delivers it), and the
     new service answers through the load balancer;
  3. `roadside apply` on a secondary is refused (exit 3, a message naming the primary);
  4. maintenance mode on secondary A: its /readyz is 503, HAProxy drains it, traffic goes on;
  5. secondary A is killed under load: only requests in flight on it fail, each one seen by
     the client and counted; every request started after the kill succeeds through B; the
     number of answers equals the number of requests (nothing is lost silently);
  6. the primary is stopped: traffic through B goes on.

Usage: cluster_test.py ROADSIDE_BINARY PG_CONNINFO_FILE   (ctest passes both)
"""
import ctypes
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from loopback import free_port, haproxy_config, haproxy_up  # noqa: E402
from pg import Pg  # noqa: E402

ROADSIDE = os.path.abspath(sys.argv[1])
PG_INFO = sys.argv[2]
failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)


def figure(text):
    print("figure: " + text, flush=True)


def die_with_parent():
    # Children die with this test, so a failed run leaves no server holding its ports.
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def http(url, headers=None, timeout=10):
    """(status, body) of a GET; status 0 and the error's text when no HTTP answer came."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except Exception as e:  # connection refused/reset, timeout
        return 0, f"{type(e).__name__}: {e}"


def metric(health_url, name):
    status, body = http(health_url + "/metrics", timeout=3)
    if status != 200:
        return None
    m = re.search(r"^" + re.escape(name) + r"(?:\{[^}]*\})? ([0-9.e+-]+)$", body, re.M)
    return float(m.group(1)) if m else None


def wait_for(predicate, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


work = tempfile.mkdtemp(prefix="roadside-cluster-")
procs = {}


def start(name, args, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    log = open(os.path.join(work, name + ".log"), "w")
    procs[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent)
    return procs[name]


def stop_all():
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def tail(name, n=15):
    try:
        with open(os.path.join(work, name + ".log")) as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def main():
    pg_server = Pg(PG_INFO)
    pg_host, pg_port = pg_server.host, pg_server.port
    db = "roadside_cluster_" + os.path.basename(work).split("-")[-1].lower().replace("_", "")
    pg_server.sql("postgres", f"CREATE DATABASE {db}")

    # The instance: authorities, publisher and services here; its servers started below.
    pin = "cluster-test-" + os.urandom(6).hex()
    env = {"XROAD_TOKEN_PIN": pin}
    inst = os.path.join(work, "instance")
    subprocess.run([ROADSIDE, "testbed", "init", "--dir", inst, "--servers", "2"], check=True, env={**os.environ, **env},
                   stdout=subprocess.DEVNULL)
    start("testbed", [ROADSIDE, "testbed", "up", "--dir", inst, "--no-servers"], env)
    if not wait_for(lambda: '"testbed is up"' in tail("testbed", 50), 15):
        raise SystemExit("testbed did not start:\n" + tail("testbed"))
    with open(os.path.join(inst, "instance.json")) as f:
        instance = json.load(f)
    ss1, ss2 = instance["servers"]
    port = ss2["server_port"]
    ocsp_port = ss2["ocsp_port"]  # each node serves its OCSP responses on its own address, like 5577
    client = "http://" + ss1["client_http"]
    echo = client + "/r1/DEV/COM/1002/SERVICE/echo/cluster"
    xclient = {"X-Road-Client": "DEV/COM/1001/CLIENT"}

    # ss1: standalone, as the testbed makes it.
    start("ss1", [ROADSIDE, "serve", "--config", ss1["config"]], env)

    # ss2: three nodes on one PostgreSQL database.
    pg = ["--set", f"database.host={pg_host}", "--set", f"database.port={pg_port}", "--set", "database.user=postgres",
          "--set", f"database.name={db}", "--set", "database.sslmode=disable"]
    nodes = {"primary": "127.0.0.11", "secondary-a": "127.0.0.12", "secondary-b": "127.0.0.13"}
    health = {}
    for name, address in nodes.items():
        role = "primary" if name == "primary" else "secondary"
        hp = free_port()
        health[name] = f"http://127.0.0.1:{hp}"
        args = [ROADSIDE, "serve", "--config", ss2["config"], "--data-dir", os.path.join(work, name), "--health-port", str(hp),
                "--set", f"node.role={role}", "--set", f"proxy.server_address={address}",
                "--set", f"proxy.client_port={free_port()}", "--set", f"proxy.client_tls_port={free_port()}",
                "--set", "admin.port=0",
                "--set", "server_conf.poll_interval_s=60"] + pg
        start(name, args, env)
        if name == "primary":  # secondaries serve what the primary has put in the database
            if not wait_for(lambda: http(health["primary"] + "/readyz")[0] == 200, 30):
                raise SystemExit("primary not ready:\n" + tail("primary") + http(health["primary"] + "/readyz")[1])

    # HAProxy: TCP, TLS passed through, health checks on /readyz; the server proxies' port
    # and the OCSP responders' port alike.
    nodes_of = {"a": ("127.0.0.12", health["secondary-a"].rsplit(":", 1)[1]),
                "b": ("127.0.0.13", health["secondary-b"].rsplit(":", 1)[1])}
    cfg = os.path.join(work, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write(haproxy_config(work, [("ss2", "127.0.0.3", port, nodes_of), ("ss2-ocsp", "127.0.0.3", ocsp_port, nodes_of)]))
    start("haproxy", ["haproxy", "-db", "-f", cfg])

    ready = all(wait_for(lambda n=n: http(health[n] + "/readyz")[0] == 200, 30) for n in ("secondary-a", "secondary-b")) and \
        wait_for(lambda: http(ss1_health() + "/readyz")[0] == 200, 30) and \
        wait_for(lambda: haproxy_up(work, "ss2") == {"a", "b"} and haproxy_up(work, "ss2-ocsp") == {"a", "b"}, 10)  # both pass their checks
    if not ready:
        for n in ("ss1", "secondary-a", "secondary-b"):
            print(f"--- {n}\n{tail(n)}")
        raise SystemExit("cluster not ready")

    # 1. Through the load balancer; one OCSP fetcher.
    status, body = http(echo + "?step=1", xclient)
    check(status == 200 and "/echo/cluster" in body, f"a request through HAProxy to a secondary: {status}")
    leases = [metric(health[n], "roadside_ocsp_lease_held") for n in nodes]
    check(sum(x or 0 for x in leases) == 1, f"exactly one node fetches OCSP responses (lease held: {leases})")

    # 2. A configuration change on the primary reaches both secondaries.
    with open(ss2["server_conf"]) as f:
        conf = f.read()
    subjects = re.search(r"- service: echo\n        subjects: (\[.*\])", conf).group(1)
    services_url = re.search(r"url: (\S+)/echo", conf).group(1)
    conf = conf.replace("    services:\n", f"    services:\n      - code: echo2\n        type: REST\n        url: {services_url}/echo\n", 1)
    conf = conf.replace("    access:\n", f"    access:\n      - service: echo2\n        subjects: {subjects}\n", 1)
    changed = os.path.join(work, "server-conf-2.yaml")
    with open(changed, "w") as f:
        f.write(conf)
    before = metric(health["secondary-a"], "roadside_server_conf_revision")
    applied_at = time.monotonic()
    r = subprocess.run([ROADSIDE, "apply", changed, "--config", ss2["config"], "--set", "node.role=primary",
                        "--data-dir", os.path.join(work, "primary")] + pg, capture_output=True, text=True)
    check(r.returncode == 0, f"apply on the primary: {r.stdout.strip()} {r.stderr.strip()}")
    seen = {}
    for n in ("secondary-a", "secondary-b"):
        if wait_for(lambda n=n: (metric(health[n], "roadside_server_conf_revision") or 0) > (before or 0), 5, 0.02):
            seen[n] = time.monotonic() - applied_at
    check(len(seen) == 2, "the change is in use on both secondaries within 5 s: " +
          ", ".join(f"{n} after {t * 1000:.0f} ms" for n, t in seen.items()))
    figure("configuration change to both secondaries: " + ", ".join(f"{n} {t * 1000:.0f} ms" for n, t in seen.items()))
    answers = [http(client + "/r1/DEV/COM/1002/SERVICE/echo2/new", xclient)[0] for _ in range(4)]
    check(answers == [200] * 4, f"the new service answers through the load balancer: {answers}")

    # 3. A write on a secondary.
    r = subprocess.run([ROADSIDE, "apply", changed, "--config", ss2["config"], "--set", "node.role=secondary",
                        "--data-dir", os.path.join(work, "secondary-a")] + pg, capture_output=True, text=True)
    check(r.returncode == 3 and "secondary" in r.stderr and "primary" in r.stderr,
          f"apply on a secondary is refused: exit {r.returncode}: {r.stderr.strip()}")

    # 4. Maintenance mode drains a secondary.
    def control(node, *args):
        return subprocess.run([ROADSIDE, *args, "--data-dir", os.path.join(work, node)], capture_output=True, text=True)

    r = control("secondary-a", "maintenance", "on")
    status, body = http(health["secondary-a"] + "/readyz")
    check(r.returncode == 0 and status == 503 and "maintenance" in body, f"maintenance on: /readyz {status} {body[:120]}")
    time.sleep(1.0)  # HAProxy: two failed checks 300 ms apart
    answers = [http(echo + f"?maintenance={i}", xclient)[0] for i in range(6)]
    check(answers == [200] * 6, f"traffic goes on while A is in maintenance: {answers}")
    r = control("secondary-a", "maintenance", "off")
    check(r.returncode == 0 and wait_for(lambda: http(health["secondary-a"] + "/readyz")[0] == 200, 3),
          "maintenance off: /readyz 200 again")
    time.sleep(1.0)  # back in HAProxy's pool

    # 5. Kill secondary A under load.
    results = []  # (started, finished, status, detail)
    lock = threading.Lock()
    stop_load = threading.Event()
    issued = [0]

    def load(worker):
        i = 0
        while not stop_load.is_set():
            t0 = time.monotonic()
            with lock:
                issued[0] += 1
            status, body = http(echo + f"?w={worker}&i={i}", xclient, timeout=30)
            with lock:
                results.append((t0, time.monotonic(), status, body[:200]))
            i += 1

    workers = [threading.Thread(target=load, args=(w,)) for w in range(6)]
    for w in workers:
        w.start()
    time.sleep(2.0)
    killed_at = time.monotonic()
    procs["secondary-a"].send_signal(signal.SIGKILL)
    procs["secondary-a"].wait()
    died_at = time.monotonic()  # its sockets are closed: connections made until now were on it
    time.sleep(4.0)

    # 6. Stop the primary; traffic goes on.
    primary_stopped_at = time.monotonic()
    procs["primary"].send_signal(signal.SIGTERM)
    procs["primary"].wait(timeout=15)
    time.sleep(3.0)
    stop_load.set()
    for w in workers:
        w.join(timeout=60)

    ok = [r for r in results if r[2] == 200]
    failed = [r for r in results if r[2] != 200]
    in_flight_at_kill = [r for r in results if r[0] < died_at and r[1] > killed_at]
    after_kill = [r for r in results if r[0] >= died_at]
    after_primary = [r for r in results if r[0] >= primary_stopped_at]
    figure(f"under load: {len(results)} requests, {len(ok)} succeeded, {len(failed)} failed, "
           f"{len(in_flight_at_kill)} in flight at the kill")
    for r in failed:
        print(f"  failed: started {(r[0] - killed_at) * 1000:+.1f} ms from the kill, status {r[2]}: {r[3]}")
    check(len(results) == issued[0], f"every request has an answer the client saw: {len(results)} of {issued[0]}")
    figure(f"the killed secondary was gone {(died_at - killed_at) * 1000:.1f} ms after SIGKILL")
    check(all(r[0] < died_at and r[1] > killed_at for r in failed), "only requests in flight on the killed secondary failed")
    check(len(failed) <= len(workers), f"no more failures ({len(failed)}) than requests in flight ({len(workers)})")
    check(after_kill and all(r[2] == 200 for r in after_kill),
          f"every request started after the kill succeeded ({len(after_kill)})")
    check(after_primary and all(r[2] == 200 for r in after_primary),
          f"with the primary stopped, traffic goes on ({len(after_primary)} requests, all 200)")
    check(wait_for(lambda: metric(health["secondary-b"], "roadside_ocsp_lease_held") == 1, 70, 0.5),
          "secondary B fetches OCSP responses once the others are gone")


def ss1_health():
    with open(os.path.join(work, "instance", "instance.json")) as f:
        return json.load(f)["servers"][0]["health_url"]


if __name__ == "__main__":
    try:
        main()
    except SystemExit as e:
        failures.append(str(e))
        print("FAIL: " + str(e))
    finally:
        stop_all()
    if failures:
        print(f"cluster test: {len(failures)} failed; logs in {work}")
        sys.exit(1)
    print("cluster test: all passed")
    subprocess.run(["rm", "-rf", work])
