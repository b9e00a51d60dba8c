#!/usr/bin/env python3
"""The message log of two Security Servers on loopback (variant full, each on a PostgreSQL
database of its own), as docs/message-log.md promises it:

  1. nothing lost: under load (16 connections, 30 s) the consumer ss1 is killed with SIGKILL
     and started again; every request answered 200 has its request and response records on
     ss1, and all are time-stamped within two intervals. The same with the provider ss2
     killed. Figures: requests answered, records checked, lost (must be 0).
  2. ss1's time-stamping services are [a dead URL, a TSA behind a forwarder this test
     controls]: the second is used. The forwarder stopped with a failure period of 60 s:
     messages past it get timestamper_failed; started again, traffic resumes within one
     interval, without a restart.
  3. /asic: the containers of a query pass `roadside verify-asic`, the JDK verifier
     (../shared/tools/jdk-xades-verify) and `openssl ts -verify`.
  4. archives of ss1 (every 5 s, grouped by member, GPG-encrypted, uploaded to an S3-compatible
     server this test starts): three consecutive archives of a member decrypt with
     `gpg --decrypt` and verify chained with `roadside verify-archive --previous-digest`; each
     member has its own files; every archive is in the bucket; cleanup (ss1 restarted with a
     keep period of 0 days) removes the archived records and keeps the rest.
  5. body logging off (ss2): a marker sent in the body is in neither ss2's database nor its
     archives; ss1 (body logging on) has it in both.

Usage: acceptance.py ROADSIDE_BINARY PG_CONNINFO_FILE
"""
import ctypes
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from loopback import Forwarder, free_port  # noqa: E402  ("the TSA": a forwarder to the testbed's, switched off and on)
from pg import Pg  # noqa: E402

ROADSIDE = os.path.abspath(sys.argv[1])
PG_INFO = sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.environ.get("ROADSIDE_SHARED", os.path.join(HERE, "..", "..", "..", "shared"))
INTERVAL = 10  # messagelog.timestamping_interval_s of both servers
RETRY = 5  # messagelog.timestamp_retry_delay_s: while failing, a try every 5 s
failures = []
work = tempfile.mkdtemp(prefix="roadside-messagelog-")
procs = {}


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what, flush=True)
    if not ok:
        failures.append(what)


def figure(text):
    print("figure: " + text, flush=True)


def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def http(url, headers=None, data=None, timeout=15):
    """(status, headers, body bytes); status 0 when no HTTP answer came."""
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except Exception as e:
        return 0, {}, f"{type(e).__name__}: {e}".encode()


def wait_for(predicate, timeout, step=0.2):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def start(name, args, env_extra=None):
    env = dict(os.environ)
    env.update(env_extra or {})
    log = open(os.path.join(work, name + ".log"), "a")
    procs[name] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=die_with_parent)
    return procs[name]


def tail(name, n=20):
    try:
        with open(os.path.join(work, name + ".log")) as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def stop_all():
    for p in procs.values():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs.values():
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()


class S3Server:
    """tests/s3/s3-server.js: s3rver behind a check of every SigV4 signature."""

    SECRET = "acceptance-secret-" + uuid.uuid4().hex[:8]

    def __init__(self):
        self.dir = os.path.join(work, "s3")
        os.makedirs(self.dir)
        script = os.path.join(HERE, "..", "s3", "s3-server.js")
        if not shutil.which("node") or not os.path.isdir(os.path.join(HERE, "..", "s3", "node_modules", "s3rver")):
            raise SystemExit("no S3-compatible server: scripts/setup.sh installs Node.js and s3rver (tests/s3/node_modules)")
        self.port = free_port()
        start("s3", ["node", script, "--dir", self.dir, "--secret", self.SECRET, "--port", str(self.port), "--bucket", "archives"])
        if not wait_for(lambda: "s3 server listening" in tail("s3"), 20):
            raise SystemExit("the S3 server did not start:\n" + tail("s3"))

    def options(self):
        return ["--set", f"messagelog.archive_s3_endpoint=http://127.0.0.1:{self.port}", "--set", "messagelog.archive_s3_bucket=archives",
                "--set", "messagelog.archive_s3_prefix=ss1/", "--set", "messagelog.archive_s3_access_key_id=S3RVER",
                "--set", f"messagelog.archive_s3_secret_access_key={self.SECRET}"]

    def objects(self):
        """The keys in the bucket (s3rver keeps an object as a folder of its key under the bucket's)."""
        keys = set()
        root = os.path.join(self.dir, "archives")
        for dirpath, _, files in os.walk(root):
            for f in files:
                if f.endswith("._S3rver_object"):
                    keys.add(os.path.relpath(os.path.join(dirpath, f[: -len("._S3rver_object")]), root))
        return keys


class Postgres(Pg):
    def __init__(self):
        super().__init__(PG_INFO)

    def create(self, name):
        self.sql("postgres", f"CREATE DATABASE {name}")
        return ["--set", f"database.host={self.host}", "--set", f"database.port={self.port}", "--set",
                "database.user=postgres", "--set", f"database.name={name}", "--set", "database.sslmode=disable"]


class Server:
    def __init__(self, name, info, extra_args, env):
        self.name, self.info, self.args, self.env = name, info, extra_args, env
        self.health = f"http://127.0.0.1:{free_port()}"
        self.client = "http://" + info["client_http"]

    def start(self):
        start(self.name, [ROADSIDE, "serve", "--config", self.info["config"], "--health-port", self.health.rsplit(":", 1)[1]]
              + self.args, self.env)
        if not wait_for(lambda: http(self.health + "/readyz", timeout=2)[0] == 200, 60):
            raise SystemExit(f"{self.name} not ready:\n" + tail(self.name) + http(self.health + "/readyz")[2].decode())

    def stop(self):
        procs[self.name].send_signal(signal.SIGTERM)
        procs[self.name].wait(timeout=30)

    def kill(self):
        procs[self.name].send_signal(signal.SIGKILL)
        procs[self.name].wait()

    def metric(self, name):
        status, _, body = http(self.health + "/metrics", timeout=3)
        if status != 200:
            return None
        m = re.search(r"^" + re.escape(name) + r"(?:\{[^}]*\})? ([0-9.e+-]+)$", body.decode(), re.M)
        return float(m.group(1)) if m else None


OTHER = "DEV/COM/1003/OTHER"  # a second member's subsystem on ss1


def rest_get(client_url, query_id, path="/r1/DEV/COM/1002/SERVICE/echo/load", timeout=15, client="DEV/COM/1001/CLIENT"):
    return http(client_url + path, {"X-Road-Client": client, "X-Road-Id": query_id}, timeout=timeout)


def load(client_url, seconds, during=None):
    """16 keep-alive connections for `seconds`; the X-Road ids answered 200, and all sent."""
    import http.client
    host, port = client_url.split("//")[1].split(":")
    answered, sent, lock = [], [], threading.Lock()
    end = time.monotonic() + seconds

    def worker(n):
        conn = None
        while time.monotonic() < end:
            qid = f"load-{n}-{uuid.uuid4()}"
            with lock:
                sent.append(qid)
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host, int(port), timeout=15)
                conn.request("GET", "/r1/DEV/COM/1002/SERVICE/echo/load", headers={"X-Road-Client": "DEV/COM/1001/CLIENT",
                                                                                   "X-Road-Id": qid})
                r = conn.getresponse()
                r.read()
                if r.status == 200:
                    with lock:
                        answered.append(qid)
            except Exception:
                if conn:
                    conn.close()
                conn = None
                time.sleep(0.05)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    if during:
        during()
    for t in threads:
        t.join()
    return answered, sent


def records_of(pg, db):
    """{query_id: {response: time-stamped?}} of a server's database."""
    out = {}
    for qid, response, stamped in pg.sql(db, "SELECT query_id, response, timestamp_id IS NOT NULL FROM messagelog_records"):
        out.setdefault(qid, {})[response == "1"] = stamped == "t"
    return out


def nothing_lost(pg, ss, victim, dbs, label):
    """Load through ss1; `victim` killed 8 s in and started again 4 s later."""
    def kill_and_restart():
        time.sleep(8)
        victim.kill()
        time.sleep(4)
        victim.start()

    answered, sent = load(ss["ss1"].client, 30, kill_and_restart)
    figure(f"{label}: {len(sent)} requests sent in 30 s over 16 connections, {len(answered)} answered 200")
    check(len(answered) > 100, f"{label}: the load got answers ({len(answered)})")
    ended = time.monotonic()
    for server_db in dbs:  # both servers keep every answered exchange
        stamped_in = None
        deadline = ended + 2 * INTERVAL + 15  # two intervals, and a restarted server's start
        while time.monotonic() < deadline:
            pending = int(pg.sql(server_db, "SELECT COUNT(*) FROM messagelog_records WHERE timestamp_id IS NULL")[0][0])
            if pending == 0:
                stamped_in = time.monotonic() - ended
                break
            time.sleep(0.5)
        recs = records_of(pg, server_db)
        lost = [q for q in answered if not (recs.get(q, {}).get(False) is not None and recs.get(q, {}).get(True) is not None)]
        unstamped = [q for q in answered if q in recs and not all(recs[q].values())]
        figure(f"{label}: {len(answered)} answered exchanges checked on {server_db}: {len(answered) * 2} records, "
               f"lost {len(lost)}, not time-stamped {len(unstamped)}"
               + (f", all time-stamped {stamped_in:.1f} s after the load" if stamped_in is not None else ""))
        check(not lost, f"{label}: every answered request has its request and response records on {server_db}"
              + (f" (lost e.g. {lost[:3]})" if lost else ""))
        check(stamped_in is not None and stamped_in <= 2 * INTERVAL + 15,
              f"{label}: every record on {server_db} is time-stamped within two intervals of the load's end "
              f"({'never' if stamped_in is None else f'{stamped_in:.1f} s'})")


def main():
    pg = Postgres()
    suffix = uuid.uuid4().hex[:8]
    pin = "messagelog-test-" + os.urandom(6).hex()
    env = {"XROAD_TOKEN_PIN": pin}
    inst = os.path.join(work, "instance")
    subprocess.run([ROADSIDE, "testbed", "init", "--dir", inst, "--servers", "2"], check=True, env={**os.environ, **env},
                   stdout=subprocess.DEVNULL)
    with open(os.path.join(inst, "instance.json")) as f:
        instance = json.load(f)
    tsa_port = int(instance["tsa_url"].split(":")[2].split("/")[0])
    tsa = Forwarder(tsa_port)
    tsa.up()
    dead = f"http://127.0.0.1:{free_port()}/tsa"
    live = f"http://127.0.0.1:{tsa.port}/tsa"
    # ss1 tries a dead TSA first, then the forwarder; ss2 goes to the testbed's TSA directly.
    s1 = instance["servers"][0]
    conf = open(s1["server_conf"]).read()
    conf = conf.replace("url: " + instance["tsa_url"], f"url: {dead}\n  - name: DEV Test TSA behind a forwarder\n    url: {live}", 1)
    open(s1["server_conf"], "w").write(conf)
    # A second member on ss1, so its archives group by member into two chains.
    subprocess.run([ROADSIDE, "testbed", "add-client", "--dir", inst, "--server", "1", OTHER], check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, **env})
    import yaml
    doc = yaml.safe_load(open(s1["server_conf"]))
    doc["clients"].append({"id": "SUBSYSTEM:" + OTHER, "connection": "NOAUTH"})
    with open(s1["server_conf"], "w") as f:
        yaml.safe_dump(doc, f)
    start("testbed", [ROADSIDE, "testbed", "up", "--dir", inst, "--no-servers"], env)
    if not wait_for(lambda: '"testbed is up"' in tail("testbed", 50), 30):
        raise SystemExit("testbed did not start:\n" + tail("testbed"))

    gpg_home = os.path.join(work, "gpghome")
    os.makedirs(gpg_home, mode=0o700)
    subprocess.run(["gpg", "--homedir", gpg_home, "--batch", "--passphrase", "", "--quick-gen-key", "ss1 archives <ss1@example>",
                    "default", "default", "never"], check=True, capture_output=True)
    s3 = S3Server()
    archives = {name: os.path.join(work, "archives-" + name) for name in ("ss1", "ss2")}
    archiving = lambda name: ["--set", "messagelog.archive_interval=0/5 * * * * ?", "--set", "messagelog.archive_grouping=member",
                              "--set", f"messagelog.archive_path={archives[name]}"]
    common = ["--set", "variant=full", "--set", f"messagelog.timestamping_interval_s={INTERVAL}",
              "--set", f"messagelog.timestamp_retry_delay_s={RETRY}"]
    ss = {
        "ss1": Server("ss1", instance["servers"][0], common + pg.create(f"ml_ss1_{suffix}") +
                      ["--set", "messagelog.timestamp_failure_period_s=60"] + archiving("ss1") +
                      ["--set", "messagelog.archive_encryption_enabled=true", "--set", f"messagelog.archive_gpg_home={gpg_home}"] +
                      s3.options(), env),
        "ss2": Server("ss2", instance["servers"][1], common + pg.create(f"ml_ss2_{suffix}") +
                      ["--set", "messagelog.body_logging=false"] + archiving("ss2"), env),
    }
    for s in ss.values():
        s.start()
    status, _, body = rest_get(ss["ss1"].client, "warm-up")
    check(status == 200, f"a request goes through both servers ({status} {body[:200]!r})")

    # 1. Nothing lost, the consumer and then the provider killed under load.
    nothing_lost(pg, ss, ss["ss1"], [f"ml_ss1_{suffix}", f"ml_ss2_{suffix}"], "consumer killed")
    nothing_lost(pg, ss, ss["ss2"], [f"ml_ss2_{suffix}", f"ml_ss1_{suffix}"], "provider killed")

    # 2. Two TSAs, the first dead: the second is used.
    used = pg.sql(f"ml_ss1_{suffix}", "SELECT DISTINCT tsa_url FROM messagelog_timestamps")
    check([u[0] for u in used] == [live], f"with the first TSA down, every time-stamp came from the second ({used})")

    # ... and the TSA down longer than the failure period (60 s): refused, then back by itself.
    tsa.down()
    stopped = time.monotonic()
    status, _, _ = rest_get(ss["ss1"].client, "while-tsa-down")
    check(status == 200, "a message is taken while time-stamping has failed for less than the period")
    refused_at = None
    while time.monotonic() - stopped < 60 + 3 * INTERVAL + 10:
        status, headers, body = rest_get(ss["ss1"].client, f"tsa-down-{uuid.uuid4()}")
        if status != 200:
            refused_at = time.monotonic() - stopped
            break
        time.sleep(1)
    error = headers.get("X-Road-Error", "") if refused_at else ""
    figure(f"TSA down: first refusal {refused_at and f'{refused_at:.1f}'} s after it stopped ({error})")
    check(error == "server.clientproxy.timestamper_failed", f"past the period messages get timestamper_failed ({error or body[:200]!r})")
    check(refused_at is not None and refused_at >= 60, "not before the period has passed")
    check(ss["ss1"].metric("roadside_readiness_ok") in (None, 0.0) or http(ss["ss1"].health + "/readyz")[0] == 503,
          "readiness reports the failure")
    tsa.up()
    back = time.monotonic()
    resumed_in = None
    while time.monotonic() - back < 2 * INTERVAL + 5:
        status, _, _ = rest_get(ss["ss1"].client, f"tsa-back-{uuid.uuid4()}")
        if status == 200:
            resumed_in = time.monotonic() - back
            break
        time.sleep(0.5)
    figure(f"TSA back: traffic resumed {resumed_in and f'{resumed_in:.1f}'} s later (interval {INTERVAL} s), no restart")
    check(resumed_in is not None and resumed_in <= INTERVAL + 2, "traffic resumes within one interval of the TSA answering")

    # 3. /asic containers pass three verifiers.
    qid = "asic-" + str(uuid.uuid4())
    status, _, _ = rest_get(ss["ss1"].client, qid)
    check(status == 200, "a request to fetch the containers of")
    wait_for(lambda: int(pg.sql(f"ml_ss1_{suffix}", "SELECT COUNT(*) FROM messagelog_records WHERE timestamp_id IS NULL")[0][0]) == 0,
             2 * INTERVAL + 5)
    verify_containers(ss["ss1"], qid, inst)

    # 4. Body logging off on ss2: the marker is nowhere there; on ss1 it is.
    marker = "MARKER-" + uuid.uuid4().hex
    status, _, _ = http(ss["ss1"].client + "/r1/DEV/COM/1002/SERVICE/echo/marker", {"X-Road-Client": "DEV/COM/1001/CLIENT",
                                                                                     "Content-Type": "text/plain"},
                        data=marker.encode())
    check(status == 200, "a request with a marker in its body goes through")
    dump = {}
    for name in ("ss1", "ss2"):
        out = subprocess.run(["pg_dump", "-h", pg.host, "-p", str(pg.port), "-U", "postgres", "-a", "-t", "messagelog_*",
                              f"ml_{name}_{suffix}"], capture_output=True)
        dump[name] = out.stdout
    check(marker.encode() in dump["ss1"] or marker.encode().hex().encode() in dump["ss1"],
          "ss1 (body logging on) holds the marker")
    check(marker.encode() not in dump["ss2"] and marker.encode().hex().encode() not in dump["ss2"],
          "ss2 (body logging off) does not hold the marker in its database")

    # 4. Archives, and 5.'s marker in them.
    other_id = "other-" + str(uuid.uuid4())
    rest_get(ss["ss1"].client, other_id, client=OTHER)  # refused by ss2 (no access right), its request logged on ss1
    time.sleep(INTERVAL + 12)  # time-stamped, then archived within 5 s
    verify_archives(ss["ss1"], archives["ss1"], gpg_home, inst, marker, s3)
    ss2_text = b"".join(unzipped(p) for p in archive_files(archives["ss2"]))
    check(len(archive_files(archives["ss2"])) > 0, "ss2 writes archives too")
    check(marker.encode() not in ss2_text, "ss2's archives do not hold the marker either")

    # Cleanup: ss1 again with a keep period of 0 days; the archived records go, the rest stays.
    before = int(pg.sql(f"ml_ss1_{suffix}", "SELECT COUNT(*) FROM messagelog_records")[0][0])
    ss["ss1"].stop()
    ss["ss1"].args += ["--set", "messagelog.keep_records_for_days=0", "--set", "messagelog.clean_interval=0/5 * * * * ?"]
    ss["ss1"].start()
    rest_get(ss["ss1"].client, "after-cleanup-" + str(uuid.uuid4()))
    cleaned = wait_for(lambda: int(pg.sql(f"ml_ss1_{suffix}", "SELECT COUNT(*) FROM messagelog_records WHERE archived = 1")[0][0]) == 0,
                       30, step=1)
    after = int(pg.sql(f"ml_ss1_{suffix}", "SELECT COUNT(*) FROM messagelog_records")[0][0])
    figure(f"cleanup: {before} records before, {after} after (keep period 0 days)")
    check(cleaned and after < before, "cleanup removes the archived records past the keep period")


def archive_files(folder):
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.startswith("mlog-")) if os.path.isdir(folder) else []


def unzipped(path):
    """Every byte an archive holds: its containers opened too (their entries are deflated)."""
    out = []
    with zipfile.ZipFile(path) as z:
        for n in z.namelist():
            data = z.read(n)
            out.append(data)
            if n.endswith(".asice"):
                with zipfile.ZipFile(io.BytesIO(data)) as c:
                    out += [c.read(m) for m in c.namelist()]
    return b"".join(out)


def verify_archives(server, folder, gpg_home, inst, marker, s3):
    files = archive_files(folder)
    figure(f"ss1 wrote {len(files)} archive files: {[os.path.basename(f) for f in files[:4]]}...")
    check(all(f.endswith(".zip.gpg") for f in files) and files, "ss1's archives are GPG-encrypted (.zip.gpg)")
    groups = {}
    for f in files:
        # mlog-<group>-<start>-<end>-<digest16>.zip.gpg: the group is what precedes the times
        m = re.match(r"mlog-(.+)-(\d{14})-(\d{14})-([0-9a-f]{16})\.zip\.gpg$", os.path.basename(f))
        check(m is not None, f"{os.path.basename(f)} is named as X-Road names archives")
        if m:
            groups.setdefault(m.group(1), []).append((m.group(2), f))
    figure(f"archive groups on ss1: {sorted(groups)}")
    check(len(groups) == 2, f"grouping by member gives each member its own archives ({sorted(groups)})")
    shared_params = find_shared_params(inst)
    all_text = b""
    for group, entries in groups.items():
        entries.sort()
        previous = None
        for i, (_, f) in enumerate(entries):
            plain = f[:-4]
            r = subprocess.run(["gpg", "--homedir", gpg_home, "--batch", "--yes", "--output", plain, "--decrypt", f],
                               capture_output=True, text=True)
            check(r.returncode == 0, f"gpg --decrypt opens {os.path.basename(f)} ({r.stderr.strip()[-200:]})")
            if r.returncode != 0:
                break
            all_text += unzipped(plain)
            if i >= 3:
                continue  # the first three of each chain are verified, every one is searched for the marker
            args = [ROADSIDE, "verify-archive", "--trust", shared_params, plain]
            if previous:
                args += ["--previous-digest", previous]
            r = subprocess.run(args, capture_output=True, text=True)
            check(r.returncode == 0, f"verify-archive {os.path.basename(plain)}"
                  + (" --previous-digest of the one before" if previous else " (first of its chain)")
                  + f": {r.stderr.strip()[-300:]}")
            previous = r.stdout.strip().splitlines()[-1] if r.returncode == 0 and r.stdout.strip() else None
        if group.endswith("1001"):
            check(len(entries) >= 3, f"three consecutive archives of {group} verified chained ({len(entries)} written)")
    check(marker.encode() in all_text, "ss1's archives hold the marker (body logging on)")
    uploaded = s3.objects()
    missing = [os.path.basename(f) for f in files if "ss1/" + os.path.basename(f) not in uploaded]
    figure(f"S3 bucket holds {len(uploaded)} objects; ss1's archives missing there: {missing[:3]}")
    check(files and not missing, "every archive is uploaded to the S3-compatible server")


def verify_containers(server, qid, inst):
    url = (server.client + "/asic?xRoadInstance=DEV&memberClass=COM&memberCode=1001&subsystemCode=CLIENT&queryId=" + qid)
    status, headers, body = http(url)
    check(status == 200, f"/asic answers for {qid} ({status} {body[:200]!r})")
    if status != 200:
        return
    folder = os.path.join(work, "asic")
    os.makedirs(folder, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        names = [n for n in z.namelist() if n.endswith(".asice")]
        z.extractall(folder)
    check(len(names) == 2, f"/asic gives the request's and the response's containers ({names})")
    shared_params = find_shared_params(inst)
    ca = os.path.join(inst, "ca", "ca.pem")
    tsa_cert = os.path.join(inst, "ca", "tsa.pem")
    for n in names:
        path = os.path.join(folder, n)
        r = subprocess.run([ROADSIDE, "verify-asic", "--trust", shared_params, path], capture_output=True, text=True)
        check(r.returncode == 0, f"roadside verify-asic {n}: {r.stdout.strip()[:300]} {r.stderr.strip()[:300]}")
        parts = os.path.join(folder, n + ".d")
        with zipfile.ZipFile(path) as z:
            z.extractall(parts)
        r = subprocess.run(["java", os.path.join(SHARED, "tools", "jdk-xades-verify", "XadesVerify.java"),
                            os.path.join(parts, "META-INF", "signatures.xml"), parts], capture_output=True, text=True)
        check(r.returncode == 0, f"the JDK verifier accepts {n}: {r.stdout.strip()[:200]} {r.stderr.strip()[:200]}")
        tst = os.path.join(parts, "META-INF", "timestamp.tst")
        data = os.path.join(parts, "ts-hashchainresult.xml")
        if os.path.exists(tst):
            r = subprocess.run(["openssl", "ts", "-verify", "-data", data, "-in", tst, "-token_in", "-CAfile", ca,
                                "-untrusted", tsa_cert], capture_output=True, text=True)
            check(r.returncode == 0 and "Verification: OK" in r.stdout, f"openssl ts -verify {n}: {r.stdout.strip()} {r.stderr.strip()[:200]}")
        else:
            check(False, f"{n} carries a batch time-stamp (META-INF/timestamp.tst) for openssl ts -verify")


def find_shared_params(inst):
    for root, _, files in os.walk(os.path.join(inst, "public")):
        if "shared-params.xml" in files:
            return os.path.join(root, "shared-params.xml")
    for root, _, files in os.walk(inst):
        if "shared-params.xml" in files:
            return os.path.join(root, "shared-params.xml")
    raise SystemExit("no shared-params.xml in the instance")


if __name__ == "__main__":
    try:
        main()
    finally:
        stop_all()
    if failures:
        print(f"{len(failures)} check(s) failed; logs in {work}")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("messagelog acceptance: ok")
