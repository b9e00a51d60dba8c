#!/usr/bin/env python3
"""The fault suite (`make test-faults`): a testbed on PostgreSQL, variant full, under steady
load, broken one way at a time. For each fault: what is expected, the requests sent and
answered, the X-Road errors seen, the time to recover, whether a restart was needed, and the
messages lost: requests answered 200 whose request and response are not both in the message
log of the consumer and of a provider at the end (every record time-stamped too).

  IS (load) -> ss1 (consumer) -+-> ss3 (provider of DEV/COM/1003/SERVICE)        [pinned]
                               \\-> HAProxy 127.0.0.3 -> ss2 secondaries A, B    [pinned, or
                                    (a cluster on one database; its primary aside)  failover]
  All servers' databases on one PostgreSQL behind a forwarder (restart, black hole); the OCSP
  responder, the TSA and the configuration source behind forwarders of their own (down);
  ss1's data directory on a 64 MiB tmpfs (full).

Usage: run.py ROADSIDE_BINARY [ROW...]   (rows by number or name part; default all)
Needs root for the tmpfs (that row fails without it), HAProxy, PostgreSQL, openssl.
"""
import datetime
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from harness import Load, Postgres, Processes, http, table  # noqa: E402
from loopback import Forwarder, free_port, haproxy_config, haproxy_servers, haproxy_up  # noqa: E402
from testbed_support import wait_for  # noqa: E402

ROADSIDE = os.path.abspath(sys.argv[1])
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
ONLY = sys.argv[2:]

# The knobs every server gets: short periods, so each fault plays out in seconds.
INTERVAL = 5            # messagelog.timestamping_interval_s
FAILURE_PERIOD = 30     # messagelog.timestamp_failure_period_s
FRESHNESS = 30          # shared-params ocspFreshnessSeconds in the OCSP rows (else X-Road's 3600)
OCSP_CHECK = 5          # ocsp.check_interval_s
CONF_VALIDITY = 40      # testbed up --conf-validity-s: the configuration expires 40 s after signing
REFRESH = 5             # globalconf.refresh_interval_s
HEADER_TIMEOUT_MS = 3000
BODY_TIMEOUT_MS = 10000
BLACK_HOLE = 30         # seconds PostgreSQL is out of reach
# The longest a request may wait on an unreachable database: a statement's limit (5 s) plus the
# time to find the connection dead and fail a new one (connect 5 s), with a margin.
DB_WAIT_BOUND = 15
WORKERS = 4
CLIENT = "DEV/COM/1001/CLIENT"
PROVIDER_PATH = "/r1/DEV/COM/1003/SERVICE/echo/faults"
SS3 = "DEV/COM/1003/ss3"
SS2 = "DEV/COM/1002/ss2"

work = tempfile.mkdtemp(prefix="roadside-faults-")
procs = Processes(work)
rows = []


def say(text):
    print(text, flush=True)


class Servers:
    """The Security Servers of the suite and how each is started again."""

    def __init__(self):
        self.args, self.health = {}, {}

    def start(self, name, args, wait=True):
        self.args[name] = args
        procs.start(name, [ROADSIDE, "serve"] + args, ENV)
        if wait and not wait_for(lambda: self.ready(name), 60, 0.2):
            raise SystemExit(f"{name} is not ready:\n{procs.tail(name)}{http(self.health[name] + '/readyz')[2][:300]!r}")

    def again(self, name):
        self.start(name, self.args[name])

    def ready(self, name):
        return http(self.health[name] + "/readyz", timeout=2)[0] == 200

    def pids(self):
        return {n: procs.pid(n) for n in self.args}


ENV = {}
servers = Servers()


def row(number, fault, expected, restart="no", stops=None):
    """Decorator: a fault of the table. The function gets `expect(ok, what)` and returns the
    seconds it took to recover (None when it did not); the load's requests while it ran are
    the row's. Unless `restart` says a server is killed, no server may restart or die but
    the one the row `stops` itself."""
    def wrap(body):
        def run():
            load.row = fault
            pids = servers.pids()
            failed = []

            def expect(ok, what):
                say(("  ok:   " if ok else "  FAIL: ") + what)
                if not ok:
                    failed.append(what)

            say(f"== {number}. {fault}")
            started = time.monotonic()
            try:
                recovery = body(expect)
            except Exception as e:  # a row that breaks is a failed row, and the next still runs
                expect(False, f"the row ran to its end ({type(e).__name__}: {e})")
                recovery = None
            back = wait_for(lambda: load.all_ok_since(time.monotonic() - 2, 3), 90, 0.5)
            expect(back, "the load is answered 200 again after the row")
            if restart.startswith("no"):
                others = lambda p: {n: pid for n, pid in p.items() if n != stops}  # noqa: E731
                expect(others(servers.pids()) == others(pids),
                       "no server was restarted or died" + (f" but {stops}, which the row stops" if stops else ""))
            results = load.of(fault)
            errors = {}
            for r in results:
                if r[4] != 200:
                    key = r[5] or (str(r[4]) if r[4] else "no answer")
                    errors[key] = errors.get(key, 0) + 1
            rows.append({"number": number, "fault": fault, "expected": expected, "sent": len(results),
                         "ok": sum(1 for r in results if r[4] == 200), "refused": sum(1 for r in results if r[4] != 200),
                         "errors": ", ".join(f"{k} x{v}" for k, v in sorted(errors.items(), key=lambda kv: -kv[1])) or "-",
                         "recovery": "-" if recovery is None else f"{recovery:.1f} s", "restart": restart,
                         "lost": 0, "failed": failed, "seconds": time.monotonic() - started})
        run.number, run.fault = number, fault
        ROWS.append(run)
        return run
    return wrap


ROWS = []


def pin(server):
    if server:
        load.headers["X-Road-Security-Server"] = server
    else:
        load.headers.pop("X-Road-Security-Server", None)
    time.sleep(1.5)  # the requests in flight finish on the old target


def refused_since(t):
    """When the first request of this row started at or after `t` was refused."""
    with load.lock:
        hits = [r[3] for r in load.results if r[0] == load.row and r[2] >= t and r[4] != 200]
    return min(hits) if hits else None


def not_ok_between(t0, t1):
    """This row's requests started in [t0, t1) that were not answered 200."""
    with load.lock:
        return [r for r in load.results if r[0] == load.row and t0 <= r[2] < t1 and r[4] != 200]


MIN_FLOW = 5  # answers a window of two seconds or more has at the least when the load flows


def load_flowed(expect, t0, t1=None, what="the load", where=lambda r: True):
    """Expects the row's requests started in [t0, t1) (`where` them) all answered 200, and at
    least MIN_FLOW of them: a load that stalled answers nothing and refuses nothing."""
    t1 = time.monotonic() if t1 is None else t1
    with load.lock:
        during = [r for r in load.results if r[0] == load.row and t0 <= r[2] < t1 and where(r)]
    refused = [r for r in during if r[4] != 200]
    expect(not refused and len(during) >= MIN_FLOW,
           f"{what} flows meanwhile: {len(during) - len(refused)} answered 200 in {t1 - t0:.1f} s, "
           f"{len(refused)} not ({sorted({r[5] or str(r[4]) for r in refused})[:3]})")


def codes_between(t0, t1):
    return {r[5] for r in not_ok_between(t0, t1)}


def first_refusal(t0, within, after):
    """Waits up to `within` s for the row's first refusal of a request started at `t0` or later:
    (refused at all, seconds from t0 to it, the X-Road errors seen since t0), with a figure."""
    refused = wait_for(lambda: refused_since(t0) is not None, within, 0.5)
    at = (refused_since(t0) or t0) - t0
    codes = codes_between(t0, time.monotonic())
    say(f"  figure: first refusal {at:.1f} s after {after} ({codes})")
    return refused, at, codes


def only_codes(codes, *allowed):
    """Every code is one of X-Road's `allowed` (server.clientproxy.X or server.serverproxy.X)."""
    return bool(codes) and all(c.startswith("server.") and c.rsplit(".", 1)[1] in allowed for c in codes)


def kill_and_restart(expect, name, dead_for=1.0):
    time.sleep(2)
    killed = time.monotonic()
    procs.signal(name, signal.SIGKILL)
    time.sleep(dead_for)
    servers.again(name)
    first = wait_for(lambda: load.first_ok_since(killed + dead_for) is not None, 60)
    expect(first, f"{name} serves again once started")
    return load.first_ok_since(killed + dead_for) - killed if first else None


@row(1, "SIGKILL of the consumer (ss1)", "in flight fail; started again, it serves at once", restart="yes (killed)")
def consumer_killed(expect):
    return kill_and_restart(expect, "ss1")


@row(2, "SIGKILL of the provider (ss3)", "refused while down (X-Road error); serves once started", restart="yes (killed)")
def provider_killed(expect):
    return kill_and_restart(expect, "ss3")


@row(3, "SIGKILL of a cluster secondary behind HAProxy", "only requests in flight on it fail; the other serves",
     restart="no (the other node)", stops="secondary-a")
def secondary_killed(expect):
    pin(SS2)
    time.sleep(2)
    sessions = {name: current for name, (_, current) in haproxy_servers(work, "ss2").items()}
    expect(sessions.get("a", 0) > 0, f"ss1's connections to ss2 go through secondary A too when it is killed ({sessions})")
    killed = time.monotonic()
    procs.signal("secondary-a", signal.SIGKILL)
    time.sleep(4)
    late = not_ok_between(killed + 1.0, time.monotonic())
    expect(not late, f"every request started a second after the kill was answered 200 ({len(late)} not)")
    in_flight = not_ok_between(killed - 30, killed + 1.0)
    expect(len(in_flight) <= WORKERS, f"no more refused ({len(in_flight)}) than requests in flight ({WORKERS})")
    recovery = (load.first_ok_since(killed) or killed) - killed
    servers.again("secondary-a")
    expect(wait_for(lambda: haproxy_up(work, "ss2") == {"a", "b"}, 15), "secondary A back in HAProxy's pool")
    pin(SS3)
    return recovery


@row(4, "provider on two servers, one stopped", "failover at connect time: nothing refused", restart="no (the other server)",
     stops="ss3")
def failover(expect):
    # ss1 remembers the server that connected first for an hour (X-Road's fastest connect). With
    # HAProxy (ss2's address) down while it chooses, that is ss3: the server stopped below.
    procs.signal("haproxy", signal.SIGTERM)
    pin(None)
    time.sleep(1)
    start_haproxy()
    time.sleep(1)
    stopped = time.monotonic()
    before = [r[1] for r in load.of(load.row) if r[4] == 200]
    served = logged_count(DB["ss3"], before, what="DISTINCT query_id")
    expect(served > 0, f"ss3 serves the requests of the row before it stops ({served} of {len(before)})")
    procs.signal("ss3", signal.SIGTERM)
    time.sleep(5)
    refused = not_ok_between(stopped - 30, time.monotonic())
    expect(not refused, f"no request refused while ss3 stops and is stopped ({len(refused)}: "
           f"{sorted({r[5] for r in refused})})")
    after = [r[1] for r in load.of(load.row) if r[4] == 200 and r[2] > stopped + 1]
    expect(logged_count(DB["ss2"], after) > 0, f"ss2 serves them once ss3 is stopped ({len(after)} answered)")
    recovery = (load.first_ok_since(stopped) or stopped) - stopped
    servers.again("ss3")
    pin(SS3)
    return recovery


@row(5, "PostgreSQL restarted", "refused while it restarts; servers reconnect by themselves")
def pg_restarted(expect):
    time.sleep(2)
    t0 = time.monotonic()
    pg.restart()
    back = time.monotonic()
    say(f"  figure: PostgreSQL restarted in {back - t0:.1f} s")
    ok = wait_for(lambda: load.all_ok_since(time.monotonic() - 2, 3), 60, 0.2)
    expect(ok, "messages flow again without a restart of any server")
    return (load.first_ok_since(back) or back) - back if ok else None


@row(6, "PostgreSQL unreachable without a reset (black hole, 30 s)",
     "refused within the statement timeout, not hung; back by itself")
def pg_black_hole(expect):
    time.sleep(2)
    t0 = time.monotonic()
    pg_fwd.black_hole()
    time.sleep(BLACK_HOLE)
    pg_fwd.up()
    healed = time.monotonic()
    during = [r for r in load.of(load.row) if r[2] < healed and r[3] > t0]  # in flight at some point of it
    slowest = max((r[3] - r[2] for r in during), default=0)
    say(f"  figure: {len(during)} requests during the black hole, slowest answered in {slowest:.1f} s")
    expect(any(r[4] != 200 for r in during), "requests are refused while the database does not answer")
    expect(all(r[4] != 0 for r in during if r[4] != 200), "every refused request got an HTTP answer (none hung up)")
    expect(slowest <= DB_WAIT_BOUND, f"none waited longer than the database's time limits allow "
           f"({slowest:.1f} s; bound {DB_WAIT_BOUND} s)")
    ok = wait_for(lambda: load.all_ok_since(time.monotonic() - 2, 3), 60, 0.2)
    expect(ok, "messages flow again once the route is back, without a restart")
    return (load.first_ok_since(healed) or healed) - healed if ok else None


def set_freshness(seconds):
    """ocspFreshnessSeconds in the published shared parameters, in use on every server when this
    returns. The requests meanwhile are nobody's row: a shorter freshness makes responses that
    were fresh stale until the servers fetch again."""
    row_was, load.row = load.row, "(between rows)"
    shared = os.path.join(INST, "globalconf", "shared-params.xml")
    text = re.sub(r"<ocspFreshnessSeconds>\d+</ocspFreshnessSeconds>", f"<ocspFreshnessSeconds>{seconds}</ocspFreshnessSeconds>",
                  open(shared).read())
    with open(shared + ".tmp", "w") as f:
        f.write(text)
    os.replace(shared + ".tmp", shared)
    time.sleep(2 * REFRESH + 2)  # republished within a second, downloaded within REFRESH
    wait_for(lambda: load.all_ok_since(time.monotonic() - 1, 3), 30, 0.2)
    load.row = row_was


def logged_count(db, ids, where="TRUE", what="*"):
    """How many of the records in `db`'s message log of the exchanges `ids` are `where` (with
    `what` "DISTINCT query_id": how many of the exchanges)."""
    if not ids:
        return 0
    quoted = ",".join(f"'{i}'" for i in ids)
    return int(pg.sql(db, f"SELECT COUNT({what}) FROM messagelog_records WHERE {where} AND query_id IN ({quoted})")[0][0])


def unstamped(db, ids):
    return logged_count(db, ids, "timestamp_id IS NULL")


@row(7, "TSA down within the failure period (15 s of 30)", "nothing refused; records time-stamped once it is back")
def tsa_short(expect):
    t0 = time.monotonic()
    tsa_fwd.down()
    time.sleep(15)
    ids = [r[1] for r in load.of(load.row) if r[4] == 200]
    waiting = unstamped(DB["ss1"], ids)
    tsa_fwd.up()
    up = time.monotonic()
    load_flowed(expect, t0, up, "the load, while the TSA is down,")
    expect(waiting > 0, f"records wait for a time-stamp while the TSA is down ({waiting} on ss1)")
    stamped = wait_for(lambda: unstamped(DB["ss1"], ids) == 0, 2 * INTERVAL + 15, 0.5)
    expect(stamped, f"the {len(ids)} exchanges answered while it was down are time-stamped on ss1 after it is back")
    recovered = time.monotonic() - up if stamped else None
    # Every server's failure is over (a success cleared it), not only ss1's: a provider whose
    # last retry ran just before the TSA came back still counts its failure from this row, and
    # row 8 measures the failure period from its own start.
    cleared = wait_for(lambda: not failing_servers(), 2 * INTERVAL + 15, 0.5)
    expect(cleared, f"every server's time-stamping works again after the row (still failing: {failing_servers()})")
    return recovered


def failing_servers():
    """The servers whose message log keeps a time-stamping failure (messagelog_state)."""
    query = "SELECT COUNT(*) FROM messagelog_state WHERE key = 'timestamping.failing_since'"
    return [name for name, db in DB.items() if int(pg.sql(db, query)[0][0]) != 0]


@row(8, "TSA down past the failure period", "timestamper_failed after the period; back within an interval")
def tsa_long(expect):
    t0 = time.monotonic()
    tsa_fwd.down()
    refused, at, codes = first_refusal(t0, FAILURE_PERIOD + 3 * INTERVAL + 15, "the TSA went down")
    # (Consumer or provider: whichever's failure period ends first refuses.)
    expect(refused and only_codes(codes, "timestamper_failed"), f"refused with timestamper_failed ({codes})")
    expect(at >= FAILURE_PERIOD - 1, f"not before the failure period ({at:.1f} s >= {FAILURE_PERIOD} s)")
    tsa_fwd.up()
    up = time.monotonic()
    ok = wait_for(lambda: load.first_ok_since(up) is not None, 3 * INTERVAL, 0.2)
    recovery = (load.first_ok_since(up) or up) - up
    expect(ok and recovery <= INTERVAL + 3, f"messages taken again within an interval ({recovery:.1f} s)")
    return recovery if ok else None


@row(9, "OCSP responder down until freshness runs out", "refused once the responses are stale; back by itself")
def ocsp_down(expect):
    set_freshness(FRESHNESS)
    t0 = time.monotonic()
    ocsp_fwd.down()
    refused, at, codes = first_refusal(t0, FRESHNESS + 2 * OCSP_CHECK + 30, "the responder went down")
    expect(refused, "messages are refused once the OCSP responses are older than the freshness")
    # (A stale response for a signer is incorrect_validation_info; for the provider's TLS
    # certificate, ssl_authentication_failed.)
    expect(only_codes(codes, "incorrect_validation_info", "ssl_authentication_failed"),
           f"each refusal is X-Road's for a stale OCSP response ({codes})")
    expect(at >= FRESHNESS / 2, f"not while the last responses were fresh ({at:.1f} s)")
    ocsp_fwd.up()
    up = time.monotonic()
    ok = wait_for(lambda: load.all_ok_since(time.monotonic() - 1, 3), 2 * OCSP_CHECK + 30, 0.2)
    expect(ok, "messages flow again once the responder answers, without a restart")
    recovery = (load.first_ok_since(up) or up) - up if ok else None
    set_freshness(3600)
    return recovery


@row(10, "configuration source down until the configuration expires",
     "global_conf_outdated once expired; back at the next download")
def config_down(expect):
    t0 = time.monotonic()
    conf_fwd.down()
    refused, at, codes = first_refusal(t0, CONF_VALIDITY + 2 * REFRESH + 15, "the source went down")
    expect(refused and only_codes(codes, "global_conf_outdated"), f"refused with global_conf_outdated ({codes})")
    conf_fwd.up()
    up = time.monotonic()
    ok = wait_for(lambda: load.all_ok_since(time.monotonic() - 1, 3), 3 * REFRESH + 10, 0.2)
    expect(ok, "messages flow again after the next download, without a restart")
    return (load.first_ok_since(up) or up) - up if ok else None


def big_request(size, row_name):
    """A REST POST of `size` bytes through ss1 (spooled: over 1 MiB), recorded as the load's are."""
    qid = f"fault-big-{uuid.uuid4()}"
    t0 = time.monotonic()
    status, headers, body = http(f"http://{SS1_CLIENT}{PROVIDER_PATH}", {"X-Road-Client": CLIENT, "X-Road-Id": qid,
                                 "X-Road-Security-Server": SS3, "Content-Type": "application/octet-stream"},
                                 data=os.urandom(size), timeout=60)
    with load.lock:
        load.results.append((row_name, qid, t0, time.monotonic(), status, headers.get("X-Road-Error", "")))
    return status, headers.get("X-Road-Error", ""), body


@row(11, "the spool and data directory full (64 MiB tmpfs)", "large bodies refused (io_error); small ones flow")
def disk_full(expect):
    if not TMPFS:
        expect(False, "ss1's data directory is on a tmpfs (mounting one needs root)")
        return None
    filler = os.path.join(SS1_DATA, "filler")
    st = os.statvfs(SS1_DATA)
    free = st.f_bavail * st.f_frsize
    with open(filler, "wb") as f:
        f.truncate(0)
        chunk = b"\0" * (1 << 20)
        for _ in range(max(0, free // (1 << 20) - 1)):
            f.write(chunk)
    st = os.statvfs(SS1_DATA)
    t_full = time.monotonic()
    say(f"  figure: {st.f_bavail * st.f_frsize / 2**20:.1f} MiB left free on ss1's data directory")
    answers = [big_request(4 << 20, load.row) for _ in range(3)]
    expect(all(a[0] >= 500 and a[1] for a in answers), "4 MiB bodies are refused with an X-Road error: "
           + ", ".join(f"{a[0]} {a[1] or a[2][:100]!r}" for a in answers))
    time.sleep(2)  # the load goes on a while beside the full disk
    load_flowed(expect, t_full, what="small messages (not spooled)", where=lambda r: not r[1].startswith("fault-big"))
    os.unlink(filler)
    freed = time.monotonic()
    status, error, body = big_request(4 << 20, load.row)
    expect(status == 200, f"with the space back, a 4 MiB body goes through ({status} {error} {body[:150]!r})")
    return time.monotonic() - freed if status == 200 else None


@row(12, "slow clients (40 slow heads, 4 slow bodies)", "each cut off at its timeout; others unaffected")
def slow_clients(expect):
    host, port = SS1_CLIENT.split(":")
    cut = []

    def slow(head_only, n):
        s = socket.create_connection((host, int(port)), timeout=30)
        t0 = time.monotonic()
        try:
            if head_only:
                s.sendall(b"GET " + PROVIDER_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n")
            else:
                s.sendall(f"POST {PROVIDER_PATH} HTTP/1.1\r\nHost: x\r\nX-Road-Client: {CLIENT}\r\n"
                          f"Content-Length: 1000000\r\n\r\n".encode())
            while time.monotonic() - t0 < 40:
                # The server's cut is its answer or its close: readable within the next second.
                if select.select([s], [], [], 1.0)[0]:
                    break
                s.sendall(b"X-Slow: 1\r\n" if head_only else b"x")
        except OSError:
            pass
        finally:
            cut.append((head_only, time.monotonic() - t0))
            s.close()

    threads = [threading.Thread(target=slow, args=(i < 40, i)) for i in range(44)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    heads = [d for h, d in cut if h]
    bodies = [d for h, d in cut if not h]
    say(f"  figure: slow heads cut after {min(heads):.1f}-{max(heads):.1f} s, slow bodies after "
        f"{min(bodies):.1f}-{max(bodies):.1f} s")
    expect(max(heads) < HEADER_TIMEOUT_MS / 1000 + 1.5, f"every slow head is cut off at the header timeout "
           f"({HEADER_TIMEOUT_MS / 1000:.0f} s)")
    expect(max(bodies) < BODY_TIMEOUT_MS / 1000 + 1.5, f"every slow body is cut off by the body timeout "
           f"({BODY_TIMEOUT_MS / 1000:.0f} s) or the minimum rate")
    load_flowed(expect, t0)
    return 0.0


@row(13, "oversized clients (12 and 20 MiB bodies, 100 KiB head)",
     "logging_failed over the loggable size, 413 over the message limit, 431; others unaffected")
def oversized(expect):
    t0 = time.monotonic()
    url, headers = f"http://{SS1_CLIENT}{PROVIDER_PATH}", {"X-Road-Client": CLIENT, "Content-Type": "application/octet-stream"}
    status, got, body = http(url, headers, data=b"\0" * (12 << 20), timeout=30)
    expect(status == 500 and got.get("X-Road-Error") == "server.clientproxy.logging_failed",
           f"a body over messagelog.max_loggable_body_bytes (10 MiB): logging_failed, as X-Road ({status} "
           f"{got.get('X-Road-Error')} {body[:120]!r})")
    status, got, body = http(url, headers, data=b"\0" * (20 << 20), timeout=30)
    # (X-Road's client proxy has no such limit and so no fault code for it: the refusal names it.)
    expect(status == 413 and b"16777216" in body, f"a body over proxy.max_message_bytes (16 MiB): 413 naming the limit "
           f"({status} {body[:120]!r})")
    status, got, body = http(url, {"X-Road-Client": CLIENT, "X-Big": "a" * (100 << 10)})
    expect(status == 431, f"a head over http.max_header_bytes: 431 ({status})")
    time.sleep(2)  # the load goes on a while beside it
    load_flowed(expect, t0)
    return 0.0


def tls_attempt(cert=None, key=None, max_version=None, ciphers=None):
    """A TLS client on ss3's server proxy: what came of it. "handshake refused by the server:
    ..." when the server answered the handshake with an alert; "answered ..." with the HTTP
    status line of a POST sent over it; else "no connection: ...", "handshake failed here:
    ..." (the client would not go on) or "closed without an answer"."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    if max_version:
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        ctx.maximum_version = max_version
    if ciphers:
        ctx.set_ciphers(ciphers)
    if cert:
        ctx.load_cert_chain(cert, key)
    try:
        raw = socket.create_connection((SS3_ADDRESS, SERVER_PORT), timeout=10)
    except OSError as e:
        return f"no connection: {type(e).__name__} {str(e)[:80]}"
    try:
        with raw:
            with ctx.wrap_socket(raw) as s:
                s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/mixed; boundary=b\r\n"
                          b"Content-Length: 4\r\n\r\n--b\n")
                answer = b""
                s.settimeout(3)
                try:
                    while len(answer) < 16384 and (chunk := s.recv(4096)):
                        answer += chunk
                except TimeoutError:
                    pass  # a kept-alive connection: what came is the answer
                if not answer:
                    return "closed without an answer"
                text = answer.decode(errors="replace")
                fault = re.search(r"<faultcode>([^<]+)</faultcode>|X-Road-Error: (\S+)", text)
                return f"answered {text.splitlines()[0]}" + (f" fault {fault.group(1) or fault.group(2)}" if fault else "")
    except ssl.SSLError as e:
        # An alert the server sent is named ..._ALERT_... by OpenSSL; a failure of its own is not.
        by = "refused by the server" if "ALERT" in (e.reason or "") else "failed here"
        return f"handshake {by}: {e.reason or type(e).__name__} {str(e)[:80]}"
    except OSError as e:
        return f"handshake refused by the server: {type(e).__name__} (the connection was reset or closed)"


def make_certs():
    """A self-signed client certificate, and one of the testbed's CA that expired last year."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    folder = os.path.join(work, "attacker")
    os.makedirs(folder)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with open(os.path.join(folder, "key.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    with open(INSTANCE["ca"]["cert"], "rb") as f:
        ca_cert = x509.load_pem_x509_certificate(f.read())
    ca_key_path = os.path.join(INST, "ca", "ca.key")
    with open(ca_key_path, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "attacker")])
    now = datetime.datetime.now(datetime.timezone.utc)

    def cert(issuer, signer, not_before, not_after, path):
        c = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
             .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
             .sign(signer, hashes.SHA256()))
        with open(path, "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.PEM))
        return path

    self_signed = cert(name, key, now - datetime.timedelta(days=1), now + datetime.timedelta(days=30),
                       os.path.join(folder, "self-signed.pem"))
    expired = cert(ca_cert.subject, ca_key, now - datetime.timedelta(days=400), now - datetime.timedelta(days=35),
                   os.path.join(folder, "expired.pem"))
    return self_signed, expired, os.path.join(folder, "key.pem")


def refused_attacker(expect, outcome):
    say(f"  figure: {outcome}")
    expect(outcome.startswith("handshake refused by the server")
           or re.match(r"answered HTTP/1.1 [45]\d\d .* fault server\.serverproxy\.\S+", outcome) is not None,
           "the connection is refused at the handshake, or answered with an X-Road fault")


def load_unaffected(expect, since):
    time.sleep(2)  # the load goes on a while beside it
    load_flowed(expect, since)


def attacker_with(which):
    """A row's body: a TLS client with the attacker's certificate `which` (of make_certs)."""
    def body(expect):
        t0 = time.monotonic()
        certs = dict(zip(("self-signed", "expired", "key"), CERTS))
        refused_attacker(expect, tls_attempt(certs[which], certs["key"]))
        load_unaffected(expect, t0)
        return 0.0
    return body


row(14, "TLS: a client certificate of an unknown CA", "refused at the handshake or by the server; others unaffected")(
    attacker_with("self-signed"))
row(15, "TLS: an expired client certificate of the instance's CA", "refused; others unaffected")(attacker_with("expired"))


@row(16, "TLS: a downgrade to TLS 1.1, and TLS 1.2 without forward secrecy", "both refused at the handshake")
def tls_downgrade(expect):
    t0 = time.monotonic()
    certs = dict(zip(("self-signed", "expired", "key"), CERTS))
    old = tls_attempt(certs["self-signed"], certs["key"], max_version=ssl.TLSVersion.TLSv1_1, ciphers="DEFAULT:@SECLEVEL=0")
    weak = tls_attempt(certs["self-signed"], certs["key"], max_version=ssl.TLSVersion.TLSv1_2,
                       ciphers="AES128-SHA:AES256-GCM-SHA384:@SECLEVEL=0")
    # The control: the same client with TLS 1.2 and ECDHE gets past the handshake.
    control = tls_attempt(certs["self-signed"], certs["key"], max_version=ssl.TLSVersion.TLSv1_2,
                          ciphers="ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384")  # X-Road's TLS 1.2 suites
    say(f"  figure: TLS 1.1: {old}; TLS 1.2 with RSA key exchange: {weak}; TLS 1.2 with ECDHE: {control}")
    expect(control.startswith("answered"), "the same client with TLS 1.2 and ECDHE gets past the handshake")
    expect(old.startswith("handshake refused by the server"), "TLS 1.1 is refused by the server")
    expect(weak.startswith("handshake refused by the server"), "TLS 1.2 with RSA key exchange is refused by the server")
    load_unaffected(expect, t0)
    return 0.0


@row(17, "TLS: the provider's authentication certificate revoked, then good again",
     "refused (ssl_authentication_failed) once OCSP says revoked; back once that answer is stale")
def tls_revoked(expect):
    issued_path = os.path.join(INST, "ca", "issued.json")
    with open(issued_path) as f:
        issued = json.load(f)
    # The authentication certificate is the one named after the server (CN=ss3).
    key = next((k for k, v in issued.items() if v.get("subject", "").startswith("CN=ss3,")), None)
    expect(key is not None, "ss3's authentication certificate is one the CA issued")
    if key is None:
        return None
    set_freshness(FRESHNESS)  # so the revocation is learnt within seconds
    t0 = time.monotonic()
    issued[key]["revoked"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_json(issued_path, issued)
    refused, at, codes = first_refusal(t0, FRESHNESS + 3 * OCSP_CHECK + 30, "the revocation")
    expect(refused and only_codes(codes, "ssl_authentication_failed"), f"messages to ss3 are refused with ssl_authentication_failed ({codes})")
    del issued[key]["revoked"]
    write_json(issued_path, issued)
    good = time.monotonic()
    ok = wait_for(lambda: load.all_ok_since(time.monotonic() - 1, 3), FRESHNESS + 3 * OCSP_CHECK + 30, 0.5)
    recovery = (load.first_ok_since(good) or good) - good if ok else None
    # (The consumer keeps the revoked answer it fetched until it is stale, as a good one.)
    expect(ok and recovery <= FRESHNESS + 2 * OCSP_CHECK, f"messages flow again once OCSP says good, within the "
           f"freshness of the revoked answer, without a restart ({recovery and round(recovery, 1)} s)")
    set_freshness(3600)
    return recovery


def write_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(tmp, path)


def lost_messages():
    """Fills in each row's lost count: answered 200, yet not both records on ss1 and on a
    provider. Waits first until every record is time-stamped (or two intervals pass)."""
    def pending():
        return sum(int(pg.sql(db, "SELECT COUNT(*) FROM messagelog_records WHERE timestamp_id IS NULL")[0][0])
                   for db in DB.values())
    stamped = wait_for(lambda: pending() == 0, 3 * INTERVAL + 20, 1)

    def logged(db):
        out = {}
        for qid, response in pg.sql(db, "SELECT query_id, response FROM messagelog_records"):
            out.setdefault(qid, set()).add(response)
        return out

    consumer = logged(DB["ss1"])
    providers = [logged(DB["ss2"]), logged(DB["ss3"])]
    total = 0
    for r in rows:
        answered = [x[1] for x in load.results if x[0] == r["fault"] and x[4] == 200]
        lost = [q for q in answered if consumer.get(q) != {"0", "1"} or not any(p.get(q) == {"0", "1"} for p in providers)]
        r["lost"] = len(lost)
        total += len(answered)
        if lost:
            r["failed"].append(f"lost {len(lost)}, e.g. {lost[:3]}")
    say(f"figure: {total} answered exchanges checked on ss1 and the providers; "
        f"{'every record time-stamped' if stamped else f'{pending()} records still not time-stamped'}")
    return stamped


def setup():
    global pg, pg_fwd, ocsp_fwd, tsa_fwd, conf_fwd, INST, INSTANCE, DB, SS1_CLIENT, SS1_DATA, TMPFS, load, CERTS
    global SS3_ADDRESS, SERVER_PORT
    pin_code = "faults-" + os.urandom(6).hex()
    ENV["XROAD_TOKEN_PIN"] = pin_code
    pg = Postgres(work, REPO)
    suffix = uuid.uuid4().hex[:6]
    DB = {name: f"faults_{name}_{suffix}" for name in ("ss1", "ss2", "ss3")}
    for db in DB.values():
        pg.sql("postgres", f"CREATE DATABASE {db}")
    pg_fwd = Forwarder(pg.port)
    pg_fwd.up()

    INST = os.path.join(work, "instance")
    subprocess.run([ROADSIDE, "testbed", "init", "--dir", INST, "--servers", "3"], check=True,
                   env={**os.environ, **ENV}, stdout=subprocess.DEVNULL)
    subprocess.run([ROADSIDE, "testbed", "add-client", "--dir", INST, "--server", "2", "DEV/COM/1003/SERVICE"], check=True,
                   env={**os.environ, **ENV}, stdout=subprocess.DEVNULL)
    with open(os.path.join(INST, "instance.json")) as f:
        INSTANCE = json.load(f)
    ports = INSTANCE["ports"]
    ocsp_fwd = Forwarder(ports["authorities"])
    tsa_fwd = Forwarder(ports["authorities"])
    conf_fwd = Forwarder(ports["publisher"])
    for fwd in (ocsp_fwd, tsa_fwd, conf_fwd):
        fwd.up()
    ocsp_url = INSTANCE["ca"]["ocsp_url"].replace(f":{ports['authorities']}/", f":{ocsp_fwd.port}/")
    tsa_url = INSTANCE["tsa_url"].replace(f":{ports['authorities']}/", f":{tsa_fwd.port}/")
    shared = os.path.join(INST, "globalconf", "shared-params.xml")
    text = open(shared).read().replace(INSTANCE["ca"]["ocsp_url"], ocsp_url).replace(INSTANCE["tsa_url"], tsa_url)
    if "<ocspFreshnessSeconds>" not in text:
        raise SystemExit("shared-params.xml has no ocspFreshnessSeconds to shorten")
    open(shared, "w").write(text)
    anchor = INSTANCE["anchor"]
    text = open(anchor).read().replace(f":{ports['publisher']}/", f":{conf_fwd.port}/")
    open(anchor, "w").write(text)
    import yaml
    servers_info = {f"ss{i + 1}": s for i, s in enumerate(INSTANCE["servers"])}
    for s in servers_info.values():
        conf = open(s["server_conf"]).read().replace(INSTANCE["tsa_url"], tsa_url)
        open(s["server_conf"], "w").write(conf)
    # ss2 offers ss3's services too: one provider on two servers.
    ss3_doc = yaml.safe_load(open(servers_info["ss3"]["server_conf"]))
    ss2_doc = yaml.safe_load(open(servers_info["ss2"]["server_conf"]))
    provider = [c for c in ss3_doc["clients"] if c["id"] == "SUBSYSTEM:DEV/COM/1003/SERVICE"]
    ss2_doc["clients"] = [c for c in ss2_doc["clients"] if c["id"] != "SUBSYSTEM:DEV/COM/1003/SERVICE"] + provider
    with open(servers_info["ss2"]["server_conf"], "w") as f:
        yaml.safe_dump(ss2_doc, f)

    procs.start("testbed", [ROADSIDE, "testbed", "up", "--dir", INST, "--no-servers", "--conf-validity-s", str(CONF_VALIDITY)], ENV)
    if not wait_for(lambda: '"testbed is up"' in procs.tail("testbed", 50), 30):
        raise SystemExit("testbed did not start:\n" + procs.tail("testbed"))

    def db_args(name):
        return ["--set", "database.host=127.0.0.1", "--set", f"database.port={pg_fwd.port}", "--set", "database.user=postgres",
                "--set", f"database.name={DB[name]}", "--set", "database.sslmode=disable",
                "--set", "database.statement_timeout_ms=5000", "--set", "database.connect_timeout_s=5"]

    common = ["--set", "variant=full", "--set", f"messagelog.timestamping_interval_s={INTERVAL}",
              "--set", "messagelog.timestamp_retry_delay_s=2", "--set", f"messagelog.timestamp_failure_period_s={FAILURE_PERIOD}",
              "--set", f"ocsp.check_interval_s={OCSP_CHECK}", "--set", f"globalconf.refresh_interval_s={REFRESH}",
              "--set", f"http.header_timeout_ms={HEADER_TIMEOUT_MS}", "--set", f"http.body_timeout_ms={BODY_TIMEOUT_MS}",
              "--set", "proxy.spool_min_free_bytes=8388608", "--set", f"proxy.max_message_bytes={16 << 20}"]

    def health(name):
        port = free_port()
        servers.health[name] = f"http://127.0.0.1:{port}"
        return ["--health-port", str(port)]

    # ss1 on a data directory of its own, a 64 MiB tmpfs.
    SS1_DATA = os.path.join(work, "ss1-data")
    os.makedirs(SS1_DATA)
    TMPFS = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", SS1_DATA], capture_output=True).returncode == 0
    if not TMPFS:
        say("note: no tmpfs for ss1's data directory (needs root); the disk-full row will fail")
    servers.start("ss1", ["--config", servers_info["ss1"]["config"], "--data-dir", SS1_DATA] + health("ss1") + common + db_args("ss1"))
    servers.start("ss3", ["--config", servers_info["ss3"]["config"]] + health("ss3") + common + db_args("ss3"))
    # ss2: a primary and two secondaries on one database, the secondaries behind HAProxy.
    ss2 = servers_info["ss2"]
    nodes = {"primary": "127.0.0.11", "secondary-a": "127.0.0.12", "secondary-b": "127.0.0.13"}
    for name, address in nodes.items():
        role = "primary" if name == "primary" else "secondary"
        servers.start(name, ["--config", ss2["config"], "--data-dir", os.path.join(work, name), "--set", f"node.role={role}",
                             "--set", f"proxy.server_address={address}", "--set", f"proxy.client_port={free_port()}",
                             "--set", f"proxy.client_tls_port={free_port()}", "--set", "admin.port=0"]
                      + health(name) + common + db_args("ss2"), wait=(name == "primary"))
    for name in ("secondary-a", "secondary-b"):
        if not wait_for(lambda: servers.ready(name), 60):
            raise SystemExit(f"{name} is not ready:\n{procs.tail(name)}")
    port, ocsp_port = ss2["server_port"], ss2["ocsp_port"]

    health_port = lambda name: servers.health[name].rsplit(":", 1)[1]
    nodes_of = {"a": ("127.0.0.12", health_port("secondary-a")), "b": ("127.0.0.13", health_port("secondary-b"))}
    cfg = os.path.join(work, "haproxy.cfg")
    with open(cfg, "w") as f:
        f.write(haproxy_config(work, [("ss2", ss2["address"], port, nodes_of), ("ss2-ocsp", ss2["address"], ocsp_port, nodes_of)]))
    start_haproxy()

    SS1_CLIENT = servers_info["ss1"]["client_http"]
    SS3_ADDRESS, SERVER_PORT = servers_info["ss3"]["address"], servers_info["ss3"]["server_port"]
    for target in (SS3, SS2):
        status, headers, body = http(f"http://{SS1_CLIENT}{PROVIDER_PATH}", {"X-Road-Client": CLIENT, "X-Road-Security-Server": target})
        if status != 200:
            raise SystemExit(f"a request to {target} is not answered: {status} {body[:300]!r}")
    CERTS = make_certs()
    load = Load(SS1_CLIENT, PROVIDER_PATH, {"X-Road-Client": CLIENT, "X-Road-Security-Server": SS3}, WORKERS)
    load.start()
    time.sleep(3)


def start_haproxy():
    procs.start("haproxy", ["haproxy", "-db", "-f", os.path.join(work, "haproxy.cfg")])
    if not wait_for(lambda: haproxy_up(work, "ss2") == {"a", "b"}, 15):
        raise SystemExit("HAProxy does not see both secondaries:\n" + procs.tail("haproxy"))


def main():
    setup()
    warm = load.of("warm-up")
    say(f"figure: warm-up {len(warm)} requests in 3 s over {WORKERS} connections, {sum(1 for r in warm if r[4] == 200)} answered 200")
    chosen = [r for r in ROWS if not ONLY or str(r.number) in ONLY
              or any(not o.isdigit() and o.lower() in r.fault.lower() for o in ONLY)]
    for r in chosen:
        r()
    load.row = "end"
    time.sleep(1)
    load.stop()
    stamped = lost_messages()
    for r in rows:
        r["passed"] = not r["failed"]
    say("")
    say(table(rows))
    failed = [r for r in rows if r["failed"]]
    for r in failed:
        say(f"FAIL {r['number']}. {r['fault']}: " + "; ".join(r["failed"]))
    if not stamped:
        say("FAIL: records still not time-stamped at the end")
    return not failed and stamped


if __name__ == "__main__":
    # A TERM (a CI timeout, a Ctrl-C's cousin) ends the suite through its clean-up below: the
    # servers, PostgreSQL and the tmpfs are not left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("terminated"))
    ok = False
    try:
        ok = main()
    except SystemExit as e:
        print(f"FAIL: {e}")
    finally:
        procs.stop_all()
        if "TMPFS" in globals() and TMPFS:
            subprocess.run(["umount", SS1_DATA])
        if "pg" in globals():
            pg.stop()
    if not ok:
        print(f"fault suite: failed; logs in {work}")
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)
    print("fault suite: every row passed, nothing lost")
