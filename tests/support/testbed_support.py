"""What the Python scenarios against a testbed instance share: free ports, waiting, /readyz, and a
testbed instance run by `roadside testbed up` for the length of a test."""
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopback import free_port  # noqa: E402,F401  (the scenarios' ports: below the ephemeral range)


def wait_for(check, timeout=60, every=0.5):
    """`check()` until it is true or `timeout` seconds passed; its last value."""
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(every)


def readyz(health_url):
    """The status of GET <health_url>/readyz (0 when nothing answers) and its body."""
    try:
        with urllib.request.urlopen(health_url + "/readyz", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def write_server_config(path, data_dir, anchor, address, peer, health_port, admin_port, client_port,
                        client_tls_port=0):
    """A roadside.yaml for a server that joins a testbed instance beside its own: on loopback,
    its server proxy on `address` with the ports of the instance's servers (`peer`, one of
    instance.json's), global configuration from `anchor` every 5 s."""
    with open(path, "w") as f:
        f.write(f"""data_dir: {data_dir}
listen:
  address: 127.0.0.1
health:
  port: {health_port}
admin:
  port: {admin_port}
globalconf:
  anchor: {anchor}
  refresh_interval_s: 5
proxy:
  client_port: {client_port}
  client_tls_port: {client_tls_port}
  server_address: {address}
  server_port: {peer["server_port"]}
  peer_port: {peer["server_port"]}
  ocsp_responder_port: {peer["ocsp_port"]}
  peer_ocsp_port: {peer["ocsp_port"]}
""")


def rest_get(client_proxy, client, path, query_id=None):
    """GET /r1/<path> through the client proxy at `client_proxy` (host:port) as `client`
    (X-Road-Client, INSTANCE/CLASS/CODE[/SUBSYSTEM]), with X-Road-Id `query_id` when given:
    (status, body)."""
    headers = {"X-Road-Client": client}
    if query_id:
        headers["X-Road-Id"] = query_id
    req = urllib.request.Request(f"http://{client_proxy}/r1/{path}", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def shared_params(contract):
    """The shared-params.xml of a testbed instance (instance.json's `contract`) as its publisher
    serves it, or None."""
    root = os.path.dirname(contract["anchor"])
    for folder, _, files in os.walk(root):
        if "shared-params.xml" in files:
            return os.path.join(folder, "shared-params.xml")
    return None


def sign_csr(roadside, testbed, usage, csr, pem):
    """The testbed CA's certificate for `csr` (`usage` sign or auth), written to `pem`."""
    subprocess.run([roadside, "testbed", "sign-csr", "--dir", testbed, "--usage", usage, csr, "--out", pem],
                   check=True, capture_output=True)
    return pem


def until_ok(send, timeout=60):
    """`send()` again until it answers 200 or `timeout` seconds passed; its last answer."""
    return wait_for(lambda: (lambda a: a if a[0] == 200 else None)(send()), timeout, 1) or send()


class RunningTestbed:
    """A testbed instance in `folder`, made by `init_args` and run by `testbed up` until stop()."""

    def __init__(self, roadside, folder, *init_args):
        self.roadside, self.dir = roadside, folder
        subprocess.run([roadside, "testbed", "init", "--dir", folder, *init_args], check=True, capture_output=True)
        with open(os.path.join(folder, "instance.json")) as f:
            self.contract = json.load(f)
        self.up = None

    def start(self, log_file):
        self.log = open(log_file, "w")
        self.up = subprocess.Popen([self.roadside, "testbed", "up", "--dir", self.dir], stdout=self.log,
                                   stderr=subprocess.STDOUT)

    def stop(self):
        if self.up:
            self.up.terminate()
            self.up.wait(30)
            self.log.close()
            self.up = None


class ServeProcess:
    """`roadside serve` with `env`, its output in `log_file`, until stop()."""

    def __init__(self, roadside, env, log_file):
        self.log_file = log_file
        self.log = open(log_file, "w+")
        self.process = subprocess.Popen([roadside, "serve"], stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(30)
            self.log.close()
            self.process = None

    def output(self):
        with open(self.log_file) as f:
            return f.read()
