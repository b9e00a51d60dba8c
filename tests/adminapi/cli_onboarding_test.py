#!/usr/bin/python3
"""A new server joins a running testbed instance by the CLI alone.

From an empty database and no token folder: `roadside init` -> `csr create` for a signing and an
authentication key (each CSR passes `openssl req -verify`, its subject built by the CA's
profile) -> the testbed CA signs (`testbed sign-csr`) -> `certs import` -> `register` (X-Road's
authCertReg to the testbed's Central Server, which approves it and republishes global
configuration) -> the certificate is REGISTERED, `certs activate` -> /readyz 200. Every command
talks to the running server through its control socket; `api-keys create` before the server
starts shows the same commands answered on the database directly.

    cli_onboarding_test.py ROADSIDE_BINARY
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

ROADSIDE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ROADSIDE_BINARY", "")
PIN = "Secret-1234"
ADDRESS = "127.0.0.9"  # the new server's own loopback address, as each testbed server has one


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=60, every=0.5):
    deadline = time.time() + timeout
    while True:
        value = check()
        if value or time.time() > deadline:
            return value
        time.sleep(every)


class CliOnboarding(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.TemporaryDirectory()
        self.dir = self.work.name
        self.testbed = os.path.join(self.dir, "tb")
        subprocess.run([ROADSIDE, "testbed", "init", "--dir", self.testbed], check=True, capture_output=True)
        self.up_log = open(os.path.join(self.dir, "up.log"), "w")
        self.up = subprocess.Popen([ROADSIDE, "testbed", "up", "--dir", self.testbed], stdout=self.up_log,
                                   stderr=subprocess.STDOUT)
        self.server = None
        with open(os.path.join(self.testbed, "instance.json")) as f:
            self.contract = json.load(f)
        peer = self.contract["servers"][0]
        self.health_port = free_port()
        self.config = os.path.join(self.dir, "roadside.yaml")
        with open(self.config, "w") as f:
            f.write(f"""data_dir: {self.dir}/data
listen:
  address: 127.0.0.1
health:
  port: {self.health_port}
admin:
  port: {free_port()}
globalconf:
  anchor: {self.contract["anchor"]}
  refresh_interval_s: 5
proxy:
  client_port: {free_port()}
  client_tls_port: 0
  server_address: {ADDRESS}
  server_port: {peer["server_port"]}
  peer_port: {peer["server_port"]}
  ocsp_responder_port: {peer["ocsp_port"]}
  peer_ocsp_port: {peer["ocsp_port"]}
""")
        self.env = dict(os.environ, ROADSIDE_CONFIG=self.config)
        self.env.pop("XROAD_TOKEN_PIN", None)

    def tearDown(self):
        if self.server:
            self.server.terminate()
            self.server.wait(30)
            self.server_log.close()
        self.up.terminate()
        self.up.wait(30)
        self.up_log.close()
        if os.environ.get("ADMIN_TEST_KEEP_LOG"):
            subprocess.run(["cp", "-r", self.dir, os.environ["ADMIN_TEST_KEEP_LOG"]])
        self.work.cleanup()

    def roadside(self, *args, stdin=None, expect=0):
        """Runs `roadside ARGS` with the new server's configuration; its standard output."""
        done = subprocess.run([ROADSIDE, *args], input=stdin, capture_output=True, text=True, env=self.env, timeout=180)
        if done.returncode != expect:
            self.fail(f"roadside {' '.join(args)}: exit {done.returncode}, expected {expect}\n{done.stderr}{done.stdout}")
        return done.stdout

    def json(self, *args):
        return json.loads(self.roadside(*args))

    def start_server(self):
        self.server_log = open(os.path.join(self.dir, "serve.log"), "w+")
        self.server = subprocess.Popen([ROADSIDE, "serve"], stdout=self.server_log, stderr=subprocess.STDOUT, env=self.env)
        sock = os.path.join(self.dir, "data", "control.sock")
        self.assertTrue(wait_for("the control socket", lambda: os.path.exists(sock), 30), "roadside serve did not start")

    def readyz(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return 0, str(e)

    def new_certificate(self, name, usage, ca, *fields):
        """A new key, its CSR (checked with openssl), the testbed CA's certificate, imported."""
        csr = os.path.join(self.dir, f"{name}.csr")
        self.roadside("csr", "create", "--new-key", name, "--usage", usage, "--ca", ca, *fields, "-o", csr)
        verify = subprocess.run(["openssl", "req", "-verify", "-noout", "-subject", "-in", csr], capture_output=True,
                                text=True)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        self.assertIn("serialNumber = DEV/ssnew/COM", verify.stdout)
        pem = os.path.join(self.dir, f"{name}.pem")
        subprocess.run([ROADSIDE, "testbed", "sign-csr", "--dir", self.testbed, "--usage", usage, csr, "--out", pem],
                       check=True, capture_output=True)
        return self.json("certs", "import", pem)

    def test_a_new_server_joins_the_instance_by_the_cli_alone(self):
        # No server runs yet: the command is answered on the database directly.
        key = self.json("api-keys", "create", "XROAD_SECURITY_OFFICER")
        self.assertEqual(key["roles"], ["XROAD_SECURITY_OFFICER"])
        self.start_server()
        self.roadside("init", "--owner", "COM:1001", "--server-code", "ssnew", stdin=PIN + "\n")
        status = self.json("api", "GET", "/initialization/status")
        self.assertEqual(status["software_token_init_status"], "INITIALIZED")
        # Global configuration arrives: the testbed CA is listed.
        cas = wait_for("the CAs", lambda: subprocess.run([ROADSIDE, "cas", "--usage", "sign"], capture_output=True,
                                                         env=self.env).returncode == 0, 30)
        self.assertTrue(cas, "no certificate authorities from global configuration")
        ca = self.json("cas", "--usage", "sign")[0]["name"]

        sign = self.new_certificate("sign", "sign", ca, "--member", "DEV:COM:1001", "--field", "O=Member 1",
                                    "--field", "subjectAltName=ssnew.example.org")
        self.assertEqual((sign["status"], sign["active"]), ("REGISTERED", True))
        auth = self.new_certificate("auth", "auth", ca, "--field", "O=Member 1", "--field", "CN=ssnew",
                                    "--field", "subjectAltName=ssnew.example.org")
        self.assertEqual((auth["status"], auth["active"]), ("SAVED", False))
        digest = auth["certificate_details"]["hash"]
        # A profile's missing field is named.
        refused = subprocess.run([ROADSIDE, "csr", "create", "--new-key", "x", "--usage", "auth", "--ca", ca],
                                 capture_output=True, text=True, env=self.env)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("needs these subject fields", refused.stderr)

        # authCertReg, once the signing certificate's OCSP response is at hand.
        def registered():
            done = subprocess.run([ROADSIDE, "register", digest, "--address", ADDRESS], capture_output=True, text=True,
                                  env=self.env)
            return done.returncode == 0 or "ocsp_response_unavailable" not in done.stderr and done.stderr
        outcome = wait_for("authCertReg", registered, 30)
        self.assertIs(outcome, True, outcome)
        state = wait_for("REGISTERED", lambda: self.json("certs", "show", digest)["status"] == "REGISTERED", 60, 1)
        self.assertTrue(state, "global configuration never listed the authentication certificate")
        self.roadside("certs", "activate", digest)
        ready = wait_for("/readyz", lambda: self.readyz()[0] == 200, 30)
        self.assertTrue(ready, self.readyz())

        with open(os.path.join(self.dir, "serve.log")) as f:
            log = f.read()
        self.assertIn('"event":"Register authentication certificate"', log)
        self.assertIn('"auth":"Local"', log)
        self.assertNotIn(PIN, log)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
