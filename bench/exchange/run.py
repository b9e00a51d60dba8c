#!/usr/bin/python3
"""bench/exchange (`make bench`): what a message costs through Roadside.

One loopback machine, three chains to the same service (the testbed's /bytes service):
  direct    wrk -> service
  nginx     wrk -> nginx (HTTP) -> mutual TLS -> nginx -> service   (the bare cost of two TLS proxy hops)
  roadside  wrk -> consumer server (client proxy) -> mutual TLS, signed and verified both ways
            -> provider server (server proxy) -> service; variant full: both servers log every
            message in their database (SQLite) before it goes on, time-stamp and archive them
  slim      the same with variant slim (no message log): the message log's cost is roadside/slim
  quiet     slim with monitoring off (opmon.enabled and log.access false): monitoring's cost
            (operational data, health data, the access log) is slim/quiet
  full-ec, slim-ec  roadside and slim with EC P-256 keys (testbed init --ecdsa) in place of RSA 2048
and two requests, keep-alive: GET with a 1 KiB response, POST with a 10 KiB body.

Each chain and request runs BENCH_ROUNDS times, interleaved, for BENCH_SECONDS each at full
load, each run once the machine is idle (slim and quiet twice, as a block ABBA or BAAB by
turns); the table quotes medians, and a ratio of two chains is the median of the rounds' ratios. Then each chain runs at half of Roadside's peak rate (wrk
paced with delay()) to measure the latency a server adds at a sane load: each Roadside chain at
half of its own peak, beside the direct call at the same rate. Each server's peak RSS (sampled
every 100 ms) and CPU (share of one core) are taken while it is under load. Last, a connection
sweep loads the roadside chain with BENCH_SWEEP connections (1,16,64,256): req/s, p99, errors
and RSS.

Environment: BENCH_SECONDS (8), BENCH_ROUNDS (3), BENCH_CONNECTIONS (16), BENCH_THREADS (2),
BENCH_SWEEP (1,16,64,256), BENCH_DIR (build/bench).
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = int(os.environ.get("BENCH_THREADS", "2"))
CLK_TCK = os.sysconf("SC_CLK_TCK")
SWEEP = [int(n) for n in os.environ.get("BENCH_SWEEP", "1,16,64,256").split(",")]
ROADSIDE_CHAINS = ("roadside", "slim", "full-ec", "slim-ec")
HERE = os.path.dirname(os.path.abspath(__file__))


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_ready(url, proc, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            die(f"{what} exited while starting (code {proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.1)
    die(f"{what} did not become ready at {url} within {timeout} s")


# --- process statistics -------------------------------------------------------------------

def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (state first), or None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = stat_fields(entry)
            if fields and int(fields[1]) == pid:
                out.append(int(entry))
    return out


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        fields = stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def rss_kib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Sampler:
    """Peak RSS and CPU time of process groups while a load runs."""

    def __init__(self, groups):
        self.groups = groups  # name -> list of pids
        self.peak = {name: 0 for name in groups}
        self.stop = threading.Event()

    def __enter__(self):
        self.start_ticks = {n: cpu_ticks(p) for n, p in self.groups.items()}
        self.start = time.time()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()
        return self

    def run(self):
        while not self.stop.is_set():
            for name, pids in self.groups.items():
                self.peak[name] = max(self.peak[name], rss_kib(pids))
            self.stop.wait(0.1)

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        elapsed = time.time() - self.start
        self.cpu = {n: 100.0 * (cpu_ticks(p) - self.start_ticks[n]) / CLK_TCK / elapsed for n, p in self.groups.items()}


def machine_ticks():
    """(busy, all) CPU ticks of the whole machine so far, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle, iowait
    return sum(v[:8]) - idle, sum(v[:8])


def settle(quiet_share=10.0, longest=20.0):
    """Waits until the whole machine is under quiet_share % busy (over 0.5 s), at most `longest`
    seconds: a chain must not pay for the work another left behind (the full variant's servers,
    and the testbed's time-stamping authority, go on working after their load)."""
    deadline = time.monotonic() + longest
    while time.monotonic() < deadline:
        busy0, all0 = machine_ticks()
        time.sleep(0.5)
        busy1, all1 = machine_ticks()
        if 100.0 * (busy1 - busy0) / max(1, all1 - all0) < quiet_share:
            return
    print(f"  (the machine was still busy after {longest:.0f} s; this run starts anyway)", flush=True)


# --- wrk -------------------------------------------------------------------------------------

def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(url, headers, script, seconds, connections=CONNECTIONS, threads=THREADS, env=None):
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=seconds + 60)
    if out.returncode != 0:
        die("wrk failed: " + out.stderr)
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", text).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", text).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(r"Socket errors: (.*)", text)
    return {"rps": rps, "p50": p50, "p99": p99, "non2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else "", "raw": text}


# --- the chains ------------------------------------------------------------------------------

def start_testbed(roadside, d, variant=None, env=None, ecdsa=False):
    inst = os.path.join(d, "instance")
    subprocess.run([roadside, "testbed", "init", "--dir", inst, "--servers", "2"] + (["--ecdsa"] if ecdsa else []), check=True,
                   stdout=subprocess.DEVNULL)
    if variant:  # the servers' own configuration files say which variant they run
        for s in json.load(open(os.path.join(inst, "instance.json")))["servers"]:
            with open(s["config"], "a") as f:
                f.write(f"\nvariant: {variant}\n")
    log = open(os.path.join(d, "testbed.log"), "w")
    up = subprocess.Popen([roadside, "testbed", "up", "--dir", inst], stdout=log, stderr=subprocess.STDOUT,
                          start_new_session=True, env={**os.environ, **(env or {})})
    j = json.load(open(os.path.join(inst, "instance.json")))
    for s in j["servers"]:
        wait_ready(s["health_url"] + "/readyz", up, "testbed server " + s["id"], timeout=90)
    servers = {}
    for name, s in zip(("consumer", "provider"), j["servers"]):
        pids = [int(p) for p in subprocess.run(["pgrep", "-f", "serve --config " + s["config"]], capture_output=True,
                                               text=True).stdout.split()]
        if len(pids) != 1:
            die(f"cannot tell the {name} server's process (pgrep found {pids})")
        servers[name] = pids
    service = [s for s in j["services"] if s["id"].endswith("/bytes")][0]["url"]
    return up, j, servers, service


NGINX_COMMON = """daemon off;
worker_processes 2;
pid {d}/{name}.pid;
error_log {d}/{name}-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {d}/{name}-tmp/body;
  proxy_temp_path {d}/{name}-tmp/proxy;
  fastcgi_temp_path {d}/{name}-tmp/fastcgi;
  uwsgi_temp_path {d}/{name}-tmp/uwsgi;
  scgi_temp_path {d}/{name}-tmp/scgi;
  client_body_buffer_size 64k;
  keepalive_requests 1000000;
{body}
}}
"""


def start_nginx(d, service):
    """Two nginx in a row with mutual TLS between them, keep-alive on every hop."""
    pki = os.path.join(d, "pki")
    os.makedirs(pki, exist_ok=True)

    def ssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=pki)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA")
    for name in ("front", "back"):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(pki, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName=DNS:{name}\n")
        ssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext")
    front_port, back_port = free_port(), free_port()
    svc = re.match(r"https?://([^/]+)", service).group(1)
    back = f"""  upstream service {{ server {svc}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{back_port} ssl;
    ssl_certificate {pki}/back.pem;
    ssl_certificate_key {pki}/back.key;
    ssl_client_certificate {pki}/ca.pem;
    ssl_verify_client on;
    location / {{ proxy_pass http://service; proxy_http_version 1.1; proxy_set_header Connection ""; }}
  }}"""
    front = f"""  upstream back {{ server 127.0.0.1:{back_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{front_port};
    location / {{
      proxy_pass https://back;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_certificate {pki}/front.pem;
      proxy_ssl_certificate_key {pki}/front.key;
      proxy_ssl_trusted_certificate {pki}/ca.pem;
      proxy_ssl_verify on;
      proxy_ssl_name back;
      proxy_ssl_session_reuse on;
    }}
  }}"""
    procs, groups = [], {}
    for name, body in (("nginx-back", back), ("nginx-front", front)):
        for t in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            os.makedirs(os.path.join(d, f"{name}-tmp", t), exist_ok=True)
        os.chmod(d, 0o755)
        conf = os.path.join(d, f"{name}.conf")
        with open(conf, "w") as f:
            f.write(NGINX_COMMON.format(d=d, name=name, body=body))
        p = subprocess.Popen(["nginx", "-p", d, "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(p)
    time.sleep(0.5)
    for p in procs:
        if p.poll() is not None:
            die("nginx exited: " + p.stderr.read().decode())
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{front_port}/bytes/16", timeout=2) as r:
                if r.status == 200:
                    break
        except Exception:
            time.sleep(0.1)
    else:
        die("the nginx chain does not answer; see " + d + "/nginx-*-error.log")
    groups["nginx front"] = [procs[1].pid] + children_of(procs[1].pid)
    groups["nginx back"] = [procs[0].pid] + children_of(procs[0].pid)
    return procs, groups, f"http://127.0.0.1:{front_port}"


def compare(requests, results, med, us, a, b, label, target):
    """A table of chain a against chain b (each: its name, its servers' prefix in `us`): req/s
    ratio (the median over rounds of the ratio of their mean rates in the round: each round runs
    both close together, so a drift of the machine's speed over the whole run cancels out), p50,
    p99 and both servers' CPU per message."""
    print(f"| request     | {label} req/s, median of rounds (target >= {target}) | p50 ms | p99 ms | CPU µs/message |")
    print("|-------------|------------------------------------------------|--------|--------|----------------|")
    for req in requests:
        m, n = med[(a[0], req)], med[(b[0], req)]
        def per_round(chain):
            runs = {}
            for x in results[(chain, req)]:
                runs.setdefault(x["round"], []).append(x["rps"])
            return {r: statistics.mean(v) for r, v in runs.items()}
        ra, rb = per_round(a[0]), per_round(b[0])
        ratio = statistics.median(ra[r] / rb[r] for r in ra if r in rb)
        cpu = [us.get((prefix + "consumer", req), 0) + us.get((prefix + "provider", req), 0) for _, prefix in (a, b)]
        print(f"| {req:11} | {ratio:46.2f} | {m['p50']:.2f}, {n['p50']:.2f} | "
              f"{m['p99']:.2f}, {n['p99']:.2f} | {cpu[0]:.0f}, {cpu[1]:.0f} |")


def main():
    if len(sys.argv) not in (2, 3):
        die("usage: run.py ROADSIDE_BINARY [BASELINE_BINARY]")
    roadside = os.path.abspath(sys.argv[1])
    # An older build to compare with, side by side: its own instance, a chain of its own.
    baseline = os.path.abspath(sys.argv[2]) if len(sys.argv) == 3 else None
    for tool in ("wrk", "nginx", "openssl", "pgrep"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            die(f"{tool} is missing; run `make setup` (scripts/setup.sh installs it)")
    d = os.path.abspath(os.environ.get("BENCH_DIR", "build/bench"))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)

    up, inst, roadside_groups, service = start_testbed(roadside, d, "full")
    nginx_procs = []
    base_up = slim_up = quiet_up = None
    ec_ups = []
    try:
        # The same two variants with EC P-256 keys (signing, authentication, TLS) in place of RSA 2048.
        ec = {}
        for name, variant in (("full-ec", "full"), ("slim-ec", "slim")):
            os.makedirs(os.path.join(d, name))
            ec_up, ec_inst, ec_groups, _ = start_testbed(roadside, os.path.join(d, name), variant, ecdsa=True)
            ec_ups.append(ec_up)
            ec[name] = (ec_inst, {name + " " + k: v for k, v in ec_groups.items()})
        # The same binary as variant slim (no message log), an instance of its own.
        os.makedirs(os.path.join(d, "slim"))
        slim_up, slim_inst, slim_groups, _ = start_testbed(roadside, os.path.join(d, "slim"), "slim")
        slim_groups = {"slim " + k: v for k, v in slim_groups.items()}
        # And once more with monitoring off, to measure what monitoring costs.
        os.makedirs(os.path.join(d, "quiet"))
        quiet_up, quiet_inst, quiet_groups, _ = start_testbed(
            roadside, os.path.join(d, "quiet"), "slim", {"ROADSIDE_OPMON_ENABLED": "false", "ROADSIDE_ACCESS_LOG": "false"})
        quiet_groups = {"quiet " + k: v for k, v in quiet_groups.items()}
        if baseline:
            os.makedirs(os.path.join(d, "baseline"))
            base_up, base_inst, base_groups, _ = start_testbed(baseline, os.path.join(d, "baseline"))
            base_groups = {"baseline " + k: v for k, v in base_groups.items()}
        nginx_procs, nginx_groups, nginx_url = start_nginx(d, service)
        consumer = inst["servers"][0]
        plain = lambda id: id.split(":", 1)[-1]  # "SUBSYSTEM:DEV/COM/1002/SERVICE" -> "DEV/COM/1002/SERVICE"
        provider_subsystem = plain(inst["servers"][1]["clients"][-1])
        client_subsystem = plain([c for c in consumer["clients"] if c.endswith("/CLIENT")][0])
        roadside_base = f"http://{consumer['client_http']}/r1/{provider_subsystem}/bytes"
        chains = {
            "direct": (service, [], {}),
            "nginx": (nginx_url + "/bytes", [], nginx_groups),
            "roadside": (roadside_base, ["X-Road-Client: " + client_subsystem], roadside_groups),
            "slim": (f"http://{slim_inst['servers'][0]['client_http']}/r1/{provider_subsystem}/bytes",
                     ["X-Road-Client: " + client_subsystem], slim_groups),
            "quiet": (f"http://{quiet_inst['servers'][0]['client_http']}/r1/{provider_subsystem}/bytes",
                      ["X-Road-Client: " + client_subsystem], quiet_groups),
        }
        for name, (ec_inst, ec_groups) in ec.items():
            chains[name] = (f"http://{ec_inst['servers'][0]['client_http']}/r1/{provider_subsystem}/bytes",
                            ["X-Road-Client: " + client_subsystem], ec_groups)
        if baseline:
            chains["baseline"] = (f"http://{base_inst['servers'][0]['client_http']}/r1/{provider_subsystem}/bytes",
                                  ["X-Road-Client: " + client_subsystem], base_groups)
        requests = {
            "GET 1 KiB": ("/1024", os.path.join(HERE, "get.lua")),
            "POST 10 KiB": ("", os.path.join(HERE, "post.lua")),
        }
        # Warm-up: pools, sessions, caches.
        for chain, (base, headers, _) in chains.items():
            for req, (suffix, script) in requests.items():
                res = wrk(base + suffix, headers, script, 2)
                if res["non2xx"]:
                    die(f"{chain} {req}: {res['non2xx']} non-2xx answers in the warm-up; see {d}/instance/servers/*/serve.log")

        results = {}  # (chain, req) -> list of runs
        peaks = {}  # (server, req) -> (rss KiB, cpu %)
        cpu_per_msg = {}  # (server, req) -> CPU µs per message, one per run
        # slim and quiet, whose ratio is a few per cent, run as a block of four, ABBA or BAAB by
        # turns: a drift of the machine's speed during the block cancels out in their ratio.
        units = [c for c in chains if c not in ("slim", "quiet")] + ["monitoring"]
        for r in range(ROUNDS):
            # Each round starts at another chain, and each run waits until the machine is idle.
            order = units[r % len(units):] + units[:r % len(units)]
            pair = ["slim", "quiet"] if r % 2 == 0 else ["quiet", "slim"]
            runs = [c for u in order for c in (pair + pair[::-1] if u == "monitoring" else [u])]
            for req, (suffix, script) in requests.items():
                for chain in runs:
                    base, headers, groups = chains[chain]
                    settle()
                    with Sampler(groups) as s:
                        res = wrk(base + suffix, headers, script, SECONDS)
                    if res["non2xx"] or res["socket_errors"]:
                        die(f"{chain} {req}: {res['non2xx']} non-2xx answers, socket errors: {res['socket_errors']}\n{res['raw']}")
                    res["round"] = r
                    results.setdefault((chain, req), []).append(res)
                    for name in groups:
                        rss, cpu = peaks.get((name, req), (0, 0.0))
                        peaks[(name, req)] = (max(rss, s.peak[name]), max(cpu, s.cpu[name]))
                        cpu_per_msg.setdefault((name, req), []).append(s.cpu[name] * 1e4 / max(res["rps"], 1.0))
                    print(f"  round {r + 1}/{ROUNDS} {req:12} {chain:9} {res['rps']:9.0f} req/s  p50 {res['p50']:6.2f} ms  p99 {res['p99']:6.2f} ms", flush=True)

        med = {k: {m: statistics.median(x[m] for x in v) for m in ("rps", "p50", "p99")} for k, v in results.items()}

        # Half of each chain's peak rate (direct and nginx at Roadside's), with the direct call at
        # the same rate beside it: the p99 a chain adds is its p99 less the direct call's.
        paced = {}  # (chain, req) -> wrk result at half of the chain's peak
        paced_direct = {}  # (chain, req) -> the direct call's at that rate
        pace_connections = 8

        def pace(base, headers, script, req, rate):
            delay_ms = max(0.0, pace_connections * 1000.0 / rate - med[("direct", req)]["p50"])
            settle()
            return wrk(base, headers, script, SECONDS, connections=pace_connections, threads=1,
                       env={"BENCH_DELAY_MS": f"{delay_ms:.3f}"})

        for req, (suffix, script) in requests.items():
            for chain, (base, headers, _) in chains.items():
                own = chain if chain in ROADSIDE_CHAINS else "roadside"
                rate = med[(own, req)]["rps"] / 2
                paced[(chain, req)] = pace(base + suffix, headers, script, req, rate)
                if chain in ROADSIDE_CHAINS:
                    paced_direct[(chain, req)] = pace(service + suffix, [], script, req, rate)

        # The connection sweep: the full variant (RSA) at 1, 16, 64 and 256 connections.
        sweep = {}  # (connections, req) -> (wrk result, peak RSS KiB of the two servers)
        base, headers, groups = chains["roadside"]
        for req, (suffix, script) in requests.items():
            for n in SWEEP:
                settle()
                with Sampler(groups) as s:
                    res = wrk(base + suffix, headers, script, SECONDS, connections=n, threads=min(THREADS, n))
                sweep[(n, req)] = (res, max(s.peak.values()))

        print()
        print(f"bench/exchange: {ROUNDS} rounds x {SECONDS} s, {CONNECTIONS} connections, {THREADS} wrk threads; "
              f"{os.cpu_count()} CPUs; medians")
        print()
        print(f"| request     | chain    |   req/s |  p50 ms |  p99 ms | at 50% of the chain's peak (direct, nginx, quiet: of roadside's): req/s, p50, p99 ms |")
        print(f"|-------------|----------|--------:|--------:|--------:|------------------------------------------------------------------------------------|")
        for req in requests:
            for chain in chains:
                m, p = med[(chain, req)], paced[(chain, req)]
                print(f"| {req:11} | {chain:8} | {m['rps']:7.0f} | {m['p50']:7.2f} | {m['p99']:7.2f} | "
                      f"{p['rps']:7.0f}, {p['p50']:6.2f}, {p['p99']:6.2f}{'':58} |")
        print()
        print("Each Roadside chain against nginx (targets: Roadside/nginx >= 0.5, p99 added at 50% of the chain's peak <= 5 ms,")
        print("CPU per message per server <= 150 µs for GET 1 KiB; a chain's CPU is its two servers' over the messages, halved).")
        print()
        print("| request     | chain    | keys | variant |   req/s | Roadside/nginx | p99 added at 50% ms | CPU µs/msg/server |")
        print("|-------------|----------|------|---------|--------:|---------------:|--------------------:|------------------:|")
        for req in requests:
            for chain in ROADSIDE_CHAINS:
                groups = chains[chain][2]
                ratio = statistics.median(r["rps"] / n["rps"] for r, n in zip(results[(chain, req)], results[("nginx", req)]))
                added = paced[(chain, req)]["p99"] - paced_direct[(chain, req)]["p99"]
                per_server = sum(statistics.median(cpu_per_msg[(g, req)]) for g in groups) / len(groups)
                keys = "EC" if chain.endswith("-ec") else "RSA"
                variant = "slim" if chain.startswith("slim") else "full"
                print(f"| {req:11} | {chain:8} | {keys:4} | {variant:7} | {med[(chain, req)]['rps']:7.0f} | {ratio:14.2f} | "
                      f"{added:19.2f} | {per_server:17.0f} |")
        print()
        print(f"Connection sweep, roadside (variant full, RSA), {SECONDS} s each:")
        print()
        print("| request     | connections |   req/s |  p50 ms |  p99 ms | errors | peak RSS MiB (either server) |")
        print("|-------------|------------:|--------:|--------:|--------:|--------|-----------------------------:|")
        for req in requests:
            for n in SWEEP:
                res, rss = sweep[(n, req)]
                errors = "; ".join(e for e in (f"{res['non2xx']} non-2xx" if res["non2xx"] else "", res["socket_errors"]) if e)
                print(f"| {req:11} | {n:11} | {res['rps']:7.0f} | {res['p50']:7.2f} | {res['p99']:7.2f} | "
                      f"{errors or 'none':6} | {rss / 1024:28.1f} |")
        print()
        print("The message log's cost: roadside runs variant full (every message logged, time-stamped, archived), "
              "slim none of it.")
        print("CPU per message: both servers' CPU time during the load over the messages answered (medians).")
        us = {k: statistics.median(v) for k, v in cpu_per_msg.items()}
        compare(requests, results, med, us, ("roadside", ""), ("slim", "slim "), "full/slim", 0.85)
        print()
        print("Monitoring's cost: slim (operational data, health data, access log on) against quiet (slim with them off).")
        compare(requests, results, med, us, ("slim", "slim "), ("quiet", "quiet "), "on/off", 0.95)
        if baseline:
            print()
            print(f"baseline: {baseline}")
            print("| request     | roadside/baseline req/s | p50 ms roadside, baseline | p99 ms roadside, baseline |")
            print("|-------------|-------------------------|---------------------------|---------------------------|")
            for req in requests:
                m, b = med[("roadside", req)], med[("baseline", req)]
                print(f"| {req:11} | {m['rps'] / b['rps']:23.2f} | {m['p50']:12.2f}, {b['p50']:12.2f} | "
                      f"{m['p99']:12.2f}, {b['p99']:12.2f} |")
        print()
        print("| server            | request     | peak RSS MiB (target <= 64) | CPU % of one core | CPU µs per message |")
        print("|-------------------|-------------|-----------------------------|-------------------|--------------------|")
        for (name, req), (rss, cpu) in sorted(peaks.items()):
            print(f"| {name:17} | {req:11} | {rss / 1024:27.1f} | {cpu:17.0f} | "
                  f"{statistics.median(cpu_per_msg[(name, req)]):18.0f} |")
        print()
        print("nginx rows add up the master and its 2 workers; each Roadside server is one process.")
    finally:
        for p in nginx_procs:
            p.send_signal(signal.SIGQUIT)
        for p in nginx_procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        for u in [up, base_up, slim_up, quiet_up] + ec_ups:
            if u is None:
                continue
            u.send_signal(signal.SIGTERM)
            try:
                u.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(u.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
