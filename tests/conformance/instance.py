"""The testbed instance a suite runs on: made from the identifiers its message files name.

Two Roadside servers: ss1 hosts the clients that provide nothing, ss2 the providers (X-Road's
runner has one server play both sides; two show the same over a real hop). Every client may
call every service, as in X-Road's suite. A case changes this only as its `needs` sentences
say (an access right taken away, a disabled service, a service address, a WSDL service
description, a client's IS connection, TLS to the service), and the runner applies that with
`roadside apply`, as an administrator would.
"""

import copy
import json
import os
import re
import ssl
import subprocess
import time
import urllib.request

import peers
import suite

# Answered by the server proxy itself (X-Road's metaservices), never by a service.
METASERVICES = {"listMethods", "allowedMethods", "getWsdl", "getOpenAPI", "getSecurityServerMetrics"}


def setup_of(case):
    """What the servers must run with for a case: (TLS between servers, provider side)."""
    return (case.tls_between_servers(), case.provider_side or "real_server_proxy")


_DESCRIPTION = re.compile(r"client (\S+) with a WSDL service description at (\S+) containing services? "
                          r"(\w+(?:(?:, | and )\w+)*)")


def described_services(case):
    """(provider, [service codes], description URL) of every WSDL service description the
    case's `needs` give a client ("client P with a WSDL service description at URL containing
    service S")."""
    out = []
    for need in case.needs or []:
        for m in _DESCRIPTION.finditer(need):
            out.append((m.group(1), re.split(r", | and ", m.group(3)), m.group(2).rstrip(".,;")))
    return out


def wait_for(what, probe, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if probe():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def http_ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except urllib.error.HTTPError:
        return False


class Instance:
    def __init__(self, binary, work, cases, mock_port):
        self.binary = binary
        self.work = work
        self.dir = os.path.join(work, "tb")
        self.mock_port = mock_port
        self.procs = {}
        self.setup = None
        self.applied = {}
        self.revision = {}
        clients, services = suite.identifiers(cases)
        services = {s for s in services if s[1] not in METASERVICES}
        instances = {c.split("/")[0] for c in clients} | {s[0].split("/")[0] for s in services}
        if len(instances) != 1:
            raise RuntimeError(f"the suite's messages name {len(instances)} instances ({sorted(instances)}); one is needed")
        self.instance_id = instances.pop()
        self.env = dict(os.environ, XROAD_TOKEN_PIN="Conformance-1234")
        self.run("testbed", "init", "--dir", self.dir, "--instance", self.instance_id, "--servers", "2")
        # Providers whose services only a case's needs describe are registered on ss2 too.
        providers = {s[0] for s in services} | {d[0] for c in cases for d in described_services(c)}
        self.clients = sorted(clients)
        on_ss2 = sorted(providers)
        on_ss1 = sorted(clients - providers)
        if on_ss1:
            self.run("testbed", "add-client", "--dir", self.dir, "--server", "1", *on_ss1)
        if on_ss2:
            self.run("testbed", "add-client", "--dir", self.dir, "--server", "2", *on_ss2)
        with open(os.path.join(self.dir, "instance.json")) as f:
            self.contract = json.load(f)
        self.base = [self._conf(0, on_ss1, {}, clients), self._conf(1, on_ss2, services, clients)]
        self.testbed = subprocess.Popen([binary, "testbed", "up", "--dir", self.dir, "--no-servers"], env=self.env,
                                        stdout=open(os.path.join(work, "testbed.log"), "wb"), stderr=subprocess.STDOUT)
        wait_for("the configuration publisher", lambda: http_ok(self.contract["globalconf_url"]), 30)
        self.certs = os.path.join(cases[0].files_dir, "certs")
        self.pem = {}

    # ---- commands ----------------------------------------------------------------------------

    def run(self, *args):
        p = subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"roadside {' '.join(args[:2])} failed: {p.stdout}{p.stderr}")
        return p.stdout

    def server(self, n):
        return self.contract["servers"][n]

    def provider_address(self):
        return self.server(1)["address"]

    # ---- server configuration ----------------------------------------------------------------

    def _conf(self, n, hosted, services, all_clients):
        """The baseline server configuration of server n as a model (dicts)."""
        s = self.server(n)
        clients = {}
        for c in [s["owner"].split(":", 1)[1]] + [c for c in hosted]:
            clients.setdefault(c, {"connection": "NOAUTH", "is_certificates": [], "services": {}, "access": []})
        for provider, code, version in sorted(services):
            self._offer(clients[provider], code, version, sorted(all_clients))
        # The testbed's TSA: a full server takes no message without a time-stamping service.
        tsa = {"name": self.contract["instance"] + " Test TSA", "url": self.contract["tsa_url"]}
        return {"owner": s["owner"].split(":", 1)[1], "server_code": s["id"].split("/")[-1], "clients": clients,
                "timestamping_services": [tsa]}

    def _offer(self, client, code, version, subjects):
        """Service `code` of `client` (a model) at the mock service, every one of `subjects`
        allowed to call it; its model."""
        svc = {"url": f"http://127.0.0.1:{self.mock_port}/{code}", "tls_authentication": None, "disabled": None,
               "wsdl": None}
        client["services"][(code, version)] = svc
        client["access"].append({"service": code, "version": version, "subjects": subjects})
        return svc

    @staticmethod
    def _yaml(model):
        out = [f"owner: {model['owner']}", f"server_code: {model['server_code']}", "timestamping_services:"]
        for t in model["timestamping_services"]:
            out += [f"  - name: {t['name']}", f"    url: {t['url']}"]
        out.append("clients:")
        for cid, c in model["clients"].items():
            out.append(f"  - id: {cid}")
            out.append(f"    connection: {c['connection']}")
            if c["is_certificates"]:
                out.append("    is_certificates:")
                out += [f"      - {p}" for p in c["is_certificates"]]
            if c["services"]:
                out.append("    services:")
                for (code, version), svc in c["services"].items():
                    out.append(f"      - code: {code}")
                    if version:
                        out.append(f"        version: {version}")
                    out += ["        type: WSDL", f"        url: {svc['url']}", "        timeout_s: 300"]
                    if svc["wsdl"] is not None:
                        out.append(f"        wsdl: {svc['wsdl']}")
                    if svc["tls_authentication"] is not None:
                        out.append(f"        tls_authentication: {'true' if svc['tls_authentication'] else 'false'}")
                    if svc["disabled"] is not None:
                        out.append("        disabled: true")
                        out.append(f"        disabled_notice: {json.dumps(svc['disabled'])}")
            if c["access"]:
                out.append("    access:")
                for a in c["access"]:
                    if not a["subjects"]:
                        continue
                    out.append(f"      - service: {a['service']}")
                    if a["version"]:
                        out.append(f"        version: {a['version']}")
                    out.append("        subjects: [" + ", ".join(a["subjects"]) + "]")
        return "\n".join(out) + "\n"

    def case_conf(self, case):
        """The two servers' configurations as the case's `needs` sentences change them."""
        confs = copy.deepcopy(self.base)
        client, service = suite.named_ids(case)
        ss1, ss2 = confs
        for need in case.needs or []:
            m = re.search(r"client (\S+) has no access right to service (\S+)", need)
            if m:
                who, what = m.group(1), m.group(2).split("/")
                for c in ss2["clients"].values():
                    for a in c["access"]:
                        if a["service"] == what[-1]:
                            a["subjects"] = [x for x in a["subjects"] if x != who]
            m = re.search(r"service (\S+) is disabled with notice '([^']*)'", need)
            if m:
                self._service(ss2, m.group(1))["disabled"] = m.group(2)
            m = re.search(r"service address is (\S+)", need)
            if m and service:
                ss2["clients"][service[0]]["services"][(service[1], service[2])]["url"] = m.group(1)
            if "TLS to service" in need and service:
                ss2["clients"][service[0]]["services"][(service[1], service[2])]["url"] = \
                    f"https://127.0.0.1:{self.mock_tls_port}"
            if "isSslAuthentication=true" in need and service:
                ss2["clients"][service[0]]["services"][(service[1], service[2])]["tls_authentication"] = True
                m = re.search(r"only IS certificate is the \w+ certificate \((certs/[\w.-]+)\)", need)
                ss2["clients"][service[0]]["is_certificates"] = [self.cert_pem(m.group(1))] if m else []
            if "IS connection type" in need and client:
                conf = ss1 if client in ss1["clients"] else ss2
                conf["clients"][client]["connection"] = "SSLAUTH"
                m = re.search(r"registers the client's TLS certificate \((certs/[\w.-]+)\)", need)
                conf["clients"][client]["is_certificates"] = [self.cert_pem(m.group(1))] if m else []
        for provider, codes, url in described_services(case):
            hosted = ss2["clients"][provider]
            for code in codes:
                svc = hosted["services"].get((code, "")) or self._offer(hosted, code, "", self.clients)
                svc["wsdl"] = url
        return confs

    @staticmethod
    def _service(conf, text):
        parts = text.split("/")
        for cid, c in conf["clients"].items():
            for (code, version) in c["services"]:
                if cid == "/".join(parts[:-1]) and code == parts[-1]:
                    return c["services"][(code, version)]
        raise RuntimeError(f"no service {text} in the server configuration")

    def apply(self, n, model):
        text = self._yaml(model)
        if self.applied.get(n) == text:
            return
        path = os.path.join(self.work, f"ss{n + 1}-conf.yaml")
        with open(path, "w") as f:
            f.write(text)
        out = self.run("apply", "--config", self.server(n)["config"], path)
        m = re.search(r"revision (\d+)", out)
        revision = int(m.group(1)) if m else -1
        if n in self.procs:
            wait_for(f"ss{n + 1} to use revision {revision}", lambda: self._in_use(n, revision), 60)
        self.applied[n] = text

    def _in_use(self, n, revision):
        with open(self._log(n), "rb") as f:
            for line in f:
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if j.get("msg") == "server configuration in use" and j.get("revision") == revision:
                    return True
        return False

    # ---- certificates of the suite -----------------------------------------------------------

    def cert_pem(self, rel):
        """The certificate of a suite PKCS#12 file (password "test", as X-Road's) as a PEM file."""
        if rel not in self.pem:
            out = os.path.join(self.work, os.path.basename(rel) + ".pem")
            subprocess.run(["openssl", "pkcs12", "-legacy", "-in", os.path.join(self.certs, os.path.basename(rel)),
                            "-passin", "pass:test", "-nokeys", "-clcerts", "-out", out], check=True, capture_output=True)
            self.pem[rel] = out
        return self.pem[rel]

    def key_pem(self, rel):
        out = os.path.join(self.work, os.path.basename(rel) + ".key.pem")
        if not os.path.exists(out):
            subprocess.run(["openssl", "pkcs12", "-legacy", "-in", os.path.join(self.certs, os.path.basename(rel)),
                            "-passin", "pass:test", "-nocerts", "-nodes", "-out", out], check=True, capture_output=True)
        return out

    mock_tls_port = 0  # set by the runner when it serves the mock over TLS too

    # ---- servers -----------------------------------------------------------------------------

    def _log(self, n):
        return os.path.join(self.work, f"ss{n + 1}.log")

    def _flags(self, n, setup, stub):
        tls, provider_side = setup
        flags = []
        if not tls:
            flags += ["--set", "proxy.ssl_enabled=false"]
        if n == 0 and provider_side == "stub_server_proxy":
            flags += ["--set", f"proxy.peer_port={stub.port}"]
        if n == 0 and provider_side == "nothing_listening":
            flags += ["--set", f"proxy.peer_port={peers.closed_port(self.provider_address())}"]
        return flags

    def ensure(self, setup, stub):
        if self.setup == setup:
            return
        self.stop_servers()
        for n in (0, 1):
            # Each server applies its server-conf.yaml at start: the baseline.
            text = self._yaml(self.base[n])
            with open(self.server(n)["server_conf"], "w") as f:
                f.write(text)
            self.applied[n] = text
        for n in (0, 1):
            cmd = [self.binary, "serve", "--config", self.server(n)["config"], *self._flags(n, setup, stub)]
            self.procs[n] = subprocess.Popen(cmd, env=self.env, stdout=open(self._log(n), "ab"), stderr=subprocess.STDOUT)
        for n in (0, 1):
            wait_for(f"ss{n + 1} to be ready", lambda n=n: self._ready(n), 180)
        self.setup = setup

    def _ready(self, n):
        if self.procs[n].poll() is not None:
            raise RuntimeError(f"ss{n + 1} exited ({self.procs[n].returncode}); its log: {self._log(n)}\n" + self._last_error(n))
        return http_ok(self.server(n)["health_url"] + "/readyz")

    def _last_error(self, n):
        with open(self._log(n), "rb") as f:
            lines = [l for l in f.read().decode("utf-8", "replace").splitlines() if '"level":"error"' in l]
        return lines[-1] if lines else ""

    def prepare(self, case, stub):
        self.ensure(setup_of(case), stub)
        for n, model in enumerate(self.case_conf(case)):
            self.apply(n, model)

    def target(self, case):
        """((host, port, path), TLS context or None) the case's request goes to."""
        path = case.url_path or "/"
        if case.target == "server_proxy_http":
            s = self.server(1)
            return (s["address"], s["server_port"], path), None
        if case.target == "client_proxy_https":
            host, port = self.server(0)["client_https"].rsplit(":", 1)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False  # X-Road's client does not verify host names
            ctx.verify_mode = ssl.CERT_NONE
            key = "certs/client.p12"
            ctx.load_cert_chain(self.cert_pem(key), self.key_pem(key))
            return (host, int(port), path), ctx
        host, port = self.server(0)["client_http"].rsplit(":", 1)
        return (host, int(port), path), None

    def stop_servers(self):
        for p in self.procs.values():
            p.terminate()
        for p in self.procs.values():
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = {}
        self.setup = None

    def stop(self):
        self.stop_servers()
        self.testbed.terminate()
        try:
            self.testbed.wait(15)
        except subprocess.TimeoutExpired:
            self.testbed.kill()
