#!/usr/bin/python3
"""A new server joins a running testbed instance: by the CLI alone, and again by curl alone.

From an empty database and no token folder: initialization -> a signing and an authentication
key with CSRs (each passes `openssl req -verify`, its subject built by the CA's profile) -> the
testbed CA signs (`testbed sign-csr`) -> import -> authCertReg to the testbed's Central Server,
which approves it and republishes global configuration -> REGISTERED, activated -> /readyz 200
-> clientReg of a subsystem, approved -> a REST service of it (HTTP for its information system) ->
messages both ways with the
testbed's servers -> a new signing certificate replaces the old one with no restart, and the
next message goes out signed with it.

The scenario runs twice with one driver each: `Cli` runs `roadside` commands (through the
server's control socket; `api-keys create` before the server starts is answered on the database
directly), `Curl` calls the admin API with curl and an API key made over HTTP Basic.

    onboarding_test.py ROADSIDE_BINARY
"""
import email
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from testbed_support import (free_port, rest_get, shared_params, sign_csr, wait_for,  # noqa: E402
                             write_server_config)

ROADSIDE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ROADSIDE_BINARY", "")
PIN = "Secret-1234"
ADMIN, PASSWORD = "admin", "an-admin-password-for-onboarding"
SUBSYSTEM = "DEV:COM:1001:NEWSUB"


class Refused(Exception):
    """The API refused: its status (or the CLI's exit status) and what it said."""

    def __init__(self, status, text):
        super().__init__(f"{status}: {text[:500]}")
        self.status, self.text = status, text


class Cli:
    """The admin operations as `roadside` commands."""

    def __init__(self, test):
        self.t = test

    def run(self, *args, stdin=None, env=None):
        done = subprocess.run([ROADSIDE, *args], input=stdin, capture_output=True, text=True,
                              env=env or self.t.env, timeout=180)
        if done.returncode != 0:
            raise Refused(done.returncode, done.stderr + done.stdout)
        return done.stdout

    def json(self, *args):
        return json.loads(self.run(*args))

    def before_start(self):
        # No server runs yet: answered on the database directly.
        key = self.json("api-keys", "create", "XROAD_SECURITY_OFFICER")
        self.t.assertEqual(key["roles"], ["XROAD_SECURITY_OFFICER"])

    def after_start(self):
        pass

    def init(self):
        self.run("init", "--owner", "COM:1001", "--server-code", "ssnew", stdin=PIN + "\n")
        return self.json("api", "GET", "/initialization/status")

    def ca(self):
        return self.json("cas", "--usage", "sign")[0]["name"]

    def csr(self, name, usage, ca, member, fields):
        path = os.path.join(self.t.dir, f"{name}.csr")
        args = ["csr", "create", "--new-key", name, "--usage", usage, "--ca", ca, "-o", path]
        if member:
            args += ["--member", member]
        for k, v in fields.items():
            args += ["--field", f"{k}={v}"]
        self.run(*args)
        return path

    def import_cert(self, path):
        return self.json("certs", "import", path)

    def register(self, digest, address):
        self.run("register", digest, "--address", address)

    def cert(self, digest):
        return self.json("certs", "show", digest)

    def cert_action(self, digest, action):
        self.run("certs", action, digest)

    def add_client(self, client):
        return self.json("clients", "add", client, "--connection", "HTTP")

    def register_client(self, client):
        self.run("clients", "register", client)

    def client(self, client):
        return self.json("clients", "show", client)

    def add_rest_service(self, client, url, code):
        return self.json("service-descriptions", "add", client, url, "--type", "REST", "--service-code", code)

    def allow(self, service, subject, env=None):
        self.run("access", "add", service, subject, env=env)

    def add_timestamping_service(self, name, url):
        self.run("api", "POST", "/system/timestamping-services", "-d", json.dumps({"name": name, "url": url}))

    def check_message_log(self, query_id, asice):
        listed = self.json("api", "GET", "/message-log/messages", "-q", "query_id=" + query_id)
        self.t.assertEqual([m["direction"] for m in listed], ["REQUEST", "RESPONSE"], listed)


class Curl:
    """The admin operations as curl calls with an API key."""

    def __init__(self, test):
        self.t = test
        self.key = None

    def call(self, method, path, body=None, content_type="application/json", auth=None, query=None, out=None):
        url = f"https://127.0.0.1:{self.t.admin_port}/api/v1{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        args = ["curl", "-sk", "-X", method, url, "-w", "\n%{http_code}",
                "-H", auth or f"Authorization: X-Road-ApiKey token={self.key}"]
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            args += ["-H", f"Content-Type: {content_type}", "--data-binary", "@-"]
        done = subprocess.run(args, input=data, capture_output=True, timeout=180)
        text, _, status = done.stdout.rpartition(b"\n")
        status = int(status or 0)
        if not 200 <= status < 300:
            raise Refused(status, text.decode(errors="replace") + done.stderr.decode(errors="replace"))
        if out:
            with open(out, "wb") as f:
                f.write(text)
            return out
        return json.loads(text) if text.strip() else None

    def before_start(self):
        pass

    def after_start(self):
        import base64
        basic = "Authorization: Basic " + base64.b64encode(f"{ADMIN}:{PASSWORD}".encode()).decode()
        made = self.call("POST", "/api-keys", ["XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER",
                                               "XROAD_SERVICE_ADMINISTRATOR", "XROAD_SYSTEM_ADMINISTRATOR"], auth=basic)
        self.key = made["key"]

    def init(self):
        self.call("POST", "/initialization", {"owner_member_class": "COM", "owner_member_code": "1001",
                                              "security_server_code": "ssnew", "software_token_pin": PIN})
        return self.call("GET", "/initialization/status")

    def ca(self):
        return self.call("GET", "/certificate-authorities", query={"key_usage_type": "SIGNING"})[0]["name"]

    def csr(self, name, usage, ca, member, fields):
        usage_type = "SIGNING" if usage == "sign" else "AUTHENTICATION"
        query = {"key_usage_type": usage_type}
        if member:
            query["member_id"] = member
        form = self.call("GET", f"/certificate-authorities/{urllib.parse.quote(ca)}/csr-subject-fields", query=query)
        values = {f["id"]: fields.get(f["id"], f.get("default_value") or "") for f in form}
        request = {"key_usage_type": usage_type, "ca_name": ca, "csr_format": "PEM",
                   "subject_field_values": {k: v for k, v in values.items() if v}}
        if member:
            request["member_id"] = member
        token = getattr(self.t, "token_id", "0")  # the software token, unless the scenario names another
        made = self.call("POST", f"/tokens/{token}/keys-with-csrs", {"key_label": name, "csr_generate_request": request})
        return self.call("GET", f"/keys/{made['key']['id']}/csrs/{made['csr_id']}", query={"csr_format": "PEM"},
                         out=os.path.join(self.t.dir, f"{name}.csr"))

    def import_cert(self, path):
        with open(path, "rb") as f:
            return self.call("POST", "/token-certificates", f.read(), "application/octet-stream")

    def register(self, digest, address):
        self.call("PUT", f"/token-certificates/{digest}/register", {"address": address})

    def cert(self, digest):
        return self.call("GET", f"/token-certificates/{digest}")

    def cert_action(self, digest, action):
        self.call("PUT", f"/token-certificates/{digest}/{action}")

    def add_client(self, client):
        instance, member_class, code, subsystem = client.split(":")
        return self.call("POST", "/clients", {"client": {"instance_id": instance, "member_class": member_class,
                                                         "member_code": code, "subsystem_code": subsystem,
                                                         "connection_type": "HTTP"}})

    def register_client(self, client):
        self.call("PUT", f"/clients/{urllib.parse.quote(client)}/register")

    def client(self, client):
        return self.call("GET", f"/clients/{urllib.parse.quote(client)}")

    def add_rest_service(self, client, url, code):
        return self.call("POST", f"/clients/{urllib.parse.quote(client)}/service-descriptions",
                         {"url": url, "type": "REST", "rest_service_code": code})

    def allow(self, service, subject, env=None):
        if env is not None:  # another server's: its own CLI
            Cli(self.t).allow(service, subject, env)
            return
        self.call("POST", f"/services/{urllib.parse.quote(service)}/service-clients", {"items": [{"id": subject}]})

    def add_timestamping_service(self, name, url):
        self.call("POST", "/system/timestamping-services", {"name": name, "url": url})

    def check_message_log(self, query_id, asice):
        """The admin API finds the query's records and gives the request's container as /asic does."""
        listed = self.call("GET", "/message-log/messages", query={"query_id": query_id})
        self.t.assertEqual([m["direction"] for m in listed], ["REQUEST", "RESPONSE"], listed)
        self.t.assertTrue(listed[0]["timestamped"], listed)
        path = self.call("GET", f"/message-log/messages/{listed[0]['id']}/container",
                         out=os.path.join(self.t.dir, "admin.asice"))
        with open(path, "rb") as f:
            self.t.assertEqual(f.read(), asice)


class Scenario:
    """The onboarding of a new server of a running testbed instance, by one driver."""

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
        self.health_port, self.admin_port, self.client_port = free_port(), free_port(), free_port()
        self.address = self.ADDRESS  # the new server's own loopback address, as each testbed server has one
        self.config = os.path.join(self.dir, "roadside.yaml")
        write_server_config(self.config, f"{self.dir}/data", self.contract["anchor"], self.address, peer,
                            self.health_port, self.admin_port, self.client_port)
        # (Time-stamping every 2 s: the renewal's message is in /asic at once.)
        self.env = dict(os.environ, ROADSIDE_CONFIG=self.config, XROAD_ADMIN_USER=ADMIN, XROAD_ADMIN_PASSWORD=PASSWORD,
                        ROADSIDE_TIMESTAMPING_INTERVAL_S="2")
        self.env.pop("XROAD_TOKEN_PIN", None)
        self.api = self.DRIVER(self)

    def tearDown(self):
        if self.server:
            self.server.terminate()
            self.server.wait(30)
            self.server_log.close()
        self.up.terminate()
        self.up.wait(30)
        self.up_log.close()
        if os.environ.get("ADMIN_TEST_KEEP_LOG"):
            subprocess.run(["cp", "-r", self.dir, os.environ["ADMIN_TEST_KEEP_LOG"] + "-" + self.DRIVER.__name__])
        self.work.cleanup()

    def start_server(self):
        self.server_log = open(os.path.join(self.dir, "serve.log"), "w+")
        self.server = subprocess.Popen([ROADSIDE, "serve"], stdout=self.server_log, stderr=subprocess.STDOUT,
                                       env=self.env)
        sock = os.path.join(self.dir, "data", "control.sock")
        self.assertTrue(wait_for(lambda: os.path.exists(sock), 30), "roadside serve did not start")

    def shared_params(self):
        """The instance's shared-params.xml as its publisher serves it."""
        path = shared_params(self.contract)
        self.assertTrue(path, "no shared-params.xml in the instance")
        return path

    def log(self):
        with open(os.path.join(self.dir, "serve.log")) as f:
            return f.read()

    def readyz(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/readyz", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
        except OSError as e:
            return 0, str(e)

    def attempt(self, step, retry_on, timeout=30):
        """`step()` again while it is refused with a text containing `retry_on`."""
        deadline = time.time() + timeout
        while True:
            try:
                return step()
            except Refused as e:
                if retry_on not in e.text or time.time() > deadline:
                    raise
            time.sleep(0.5)

    def new_certificate(self, name, usage, ca, member, fields):
        """A new key, its CSR (checked with openssl), the testbed CA's certificate, imported."""
        csr = self.api.csr(name, usage, ca, member, fields)
        verify = subprocess.run(["openssl", "req", "-verify", "-noout", "-subject", "-in", csr], capture_output=True,
                                text=True)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        self.assertIn("serialNumber = DEV/ssnew/COM", verify.stdout)
        return self.api.import_cert(sign_csr(ROADSIDE, self.testbed, usage, csr, os.path.join(self.dir, f"{name}.pem")))

    def check_auth_cert_reg_signatures(self):
        """The authCertReg the Central Server received, split by a MIME parser other than ours:
        its two signatures over the SOAP part verify with openssl, with the authentication
        certificate and the owner's signing certificate it carries."""
        listed = subprocess.run([ROADSIDE, "testbed", "requests", "--dir", self.testbed], check=True,
                                capture_output=True, text=True).stdout
        ids = [r["id"] for r in json.loads(listed) if r.get("type") == "authCertReg"]
        self.assertTrue(ids, listed)
        with open(os.path.join(self.testbed, "central", "received", f"{ids[-1]}.http"), "rb") as f:
            request = email.message_from_bytes(f.read())
        parts = request.get_payload()
        self.assertEqual(len(parts), 6, [p.get_content_type() for p in parts])
        soap, auth_sig, owner_sig, auth_cert, owner_cert = (p.get_payload(decode=True) for p in parts[:5])
        with open(os.path.join(self.testbed, "central", "received", f"{ids[-1]}.xml"), "rb") as f:
            self.assertEqual(soap, f.read())
        files = {"soap.xml": soap, "auth.sig": auth_sig, "owner.sig": owner_sig, "auth.der": auth_cert,
                 "owner.der": owner_cert}
        for name, data in files.items():
            with open(os.path.join(self.dir, name), "wb") as f:
                f.write(data)
        for who, algorithm in (("auth", parts[1]["signature-algorithm-id"]), ("owner", parts[2]["signature-algorithm-id"])):
            self.assertEqual(algorithm, "SHA512withRSA")
            at = lambda n: os.path.join(self.dir, n)
            pub = subprocess.run(["openssl", "x509", "-inform", "DER", "-in", at(f"{who}.der"), "-pubkey", "-noout"],
                                 check=True, capture_output=True).stdout
            with open(at(f"{who}.pub"), "wb") as f:
                f.write(pub)
            verify = subprocess.run(["openssl", "dgst", "-sha512", "-verify", at(f"{who}.pub"), "-signature",
                                     at(f"{who}.sig"), at("soap.xml")], capture_output=True, text=True)
            self.assertIn("Verified OK", verify.stdout, f"{who}: {verify.stdout}{verify.stderr}")

    def rest_call(self, client_port, client, path, query_id=None):
        """A REST message through a client proxy: (status, body)."""
        return rest_get(f"127.0.0.1:{client_port}", client.replace(":", "/"), path, query_id)

    def while_registered(self):
        """What a variant of the scenario checks once messages flow both ways, before the
        authentication certificate is unregistered."""

    def test_a_new_server_joins_the_instance(self):
        self.api.before_start()
        self.start_server()
        self.api.after_start()
        status = self.api.init()
        self.assertEqual(status["software_token_init_status"], "INITIALIZED")
        # Global configuration arrives: the testbed CA is listed.
        ca = self.attempt(self.api.ca, "", 30)
        # The message log's time-stamping service, one of the approved TSAs (without one a
        # full server takes no message, as X-Road's).
        self.api.add_timestamping_service("DEV Test TSA", self.contract["tsa_url"])
        profile_fields = {"O": "Member 1", "subjectAltName": "ssnew.example.org"}
        sign = self.new_certificate("sign", "sign", ca, "DEV:COM:1001", profile_fields)
        self.assertEqual((sign["status"], sign["active"]), ("REGISTERED", True))
        auth = self.new_certificate("auth", "auth", ca, None, dict(profile_fields, CN="ssnew"))
        self.assertEqual((auth["status"], auth["active"]), ("SAVED", False))
        digest = auth["certificate_details"]["hash"]

        # authCertReg, once the signing certificate's OCSP response is at hand.
        self.attempt(lambda: self.api.register(digest, self.address), "ocsp_response_unavailable", 60)
        registered = wait_for(lambda: self.api.cert(digest)["status"] == "REGISTERED", 60, 1)
        self.assertTrue(registered, "global configuration never listed the authentication certificate")
        self.check_auth_cert_reg_signatures()
        self.api.cert_action(digest, "activate")
        self.assertTrue(wait_for(lambda: self.readyz()[0] == 200, 30), self.readyz())
        self.assertIn('"event":"Register authentication certificate"', self.log())

        # clientReg of a subsystem, through this server's client proxy and ss1 to the Central
        # Server, which approves it; global configuration then lists it here.
        added = self.api.add_client(SUBSYSTEM)
        self.assertEqual(added["status"], "SAVED")
        # (ss1 refuses this server's TLS until its own copy of global configuration lists the
        # new authentication certificate: X-Road's servers refresh it on their own schedule.)
        self.attempt(lambda: self.api.register_client(SUBSYSTEM), "ssl_authentication_failed", 60)
        self.assertIn(self.api.client(SUBSYSTEM)["status"], ("REGISTRATION_IN_PROGRESS", "REGISTERED"))
        listed = wait_for(lambda: self.api.client(SUBSYSTEM)["status"] == "REGISTERED", 60, 1)
        self.assertTrue(listed, "global configuration never listed the subsystem")
        self.assertIn('"event":"Register client"', self.log())

        # A REST service of the subsystem, open to ss1's CLIENT; and, on ss2 (its own CLI through
        # its control socket), the subsystem may call ss2's echo.
        echo = next(s for s in self.contract["services"] if s["id"] == "SERVICE:DEV/COM/1002/SERVICE/echo")
        self.api.add_rest_service(SUBSYSTEM, echo["url"], "echo")
        self.api.allow(SUBSYSTEM + ":echo", "DEV:COM:1001:CLIENT")
        ss2 = dict(self.env, ROADSIDE_CONFIG=self.contract["servers"][1]["config"])
        # (ss2 checks the subject against its copy of global configuration, which lists the
        # subsystem after its next refresh.)
        self.attempt(lambda: self.api.allow("DEV:COM:1002:SERVICE:echo", SUBSYSTEM, env=ss2), "", 60)

        # Messages both ways: the new server's subsystem calls ss2, ss1's client calls it.
        ss1_client = int(self.contract["servers"][0]["client_http"].rsplit(":", 1)[1])
        outgoing = lambda: self.rest_call(self.client_port, SUBSYSTEM, "DEV/COM/1002/SERVICE/echo/out")
        incoming = lambda: self.rest_call(ss1_client, "DEV:COM:1001:CLIENT", "DEV/COM/1001/NEWSUB/echo/in")
        # (ss1 knows the subsystem is here once its own copy of global configuration says so.)
        for name, send, path in (("outgoing", outgoing, "/echo/out"), ("incoming", incoming, "/echo/in")):
            answer = wait_for(lambda: (lambda a: a if a[0] == 200 else None)(send()), 60, 1) or send()
            self.assertEqual(answer[0], 200, f"{name}: {answer}")
            self.assertEqual(json.loads(answer[1])["path"], path)

        # Renewal: a new signing certificate, the old one disabled, no restart: the next message
        # can only be signed with the new one, and the provider's server accepts it.
        renewed = self.new_certificate("sign2", "sign", ca, "DEV:COM:1001", profile_fields)
        self.assertEqual((renewed["status"], renewed["active"]), ("REGISTERED", True))
        self.api.cert_action(sign["certificate_details"]["hash"], "disable")
        self.assertFalse(self.api.cert(sign["certificate_details"]["hash"])["active"])
        query_id = "renewal-" + os.urandom(8).hex()
        renewed_call = lambda: self.rest_call(self.client_port, SUBSYSTEM, "DEV/COM/1002/SERVICE/echo/out", query_id)
        answer = wait_for(lambda: (lambda a: a if a[0] == 200 else None)(renewed_call()), 30, 0.5) or renewed_call()
        self.assertEqual(answer[0], 200, f"after the renewal: {answer}")
        self.assertIn('"event":"Disable certificate"', self.log())
        # The message log's container of that request: signed with the new certificate.
        instance, member_class, code, subsystem = SUBSYSTEM.split(":")
        asic_url = (f"http://127.0.0.1:{self.client_port}/asic?xRoadInstance={instance}&memberClass={member_class}"
                    f"&memberCode={code}&subsystemCode={subsystem}&queryId={query_id}&unique&requestOnly")

        def container():
            try:
                with urllib.request.urlopen(asic_url, timeout=10) as r:
                    return r.read()
            except urllib.error.HTTPError:
                return None  # not time-stamped yet

        asice = wait_for(container, 30, 0.5)
        self.assertTrue(asice, "/asic never gave the renewal's request container")
        path = os.path.join(self.dir, "renewal.asice")
        with open(path, "wb") as f:
            f.write(asice)
        verified = subprocess.run([ROADSIDE, "verify-asic", "--trust", self.shared_params(), path], capture_output=True,
                                  text=True)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        serial = format(int(renewed["certificate_details"]["serial"]), "x")
        self.assertRegex(verified.stdout.lower(), rf"certificate serial 0*{serial}\b", verified.stdout)
        self.api.check_message_log(query_id, asice)

        self.while_registered()

        # authCertDeletion: the authentication certificate waits in DELETION_IN_PROGRESS until
        # global configuration no longer lists it, and is SAVED again.
        self.api.cert_action(digest, "unregister")
        self.assertEqual(self.api.cert(digest)["status"], "DELETION_IN_PROGRESS")
        self.assertTrue(wait_for(lambda: self.api.cert(digest)["status"] == "SAVED", 60, 1),
                        "global configuration kept listing the unregistered certificate")
        self.assertIn('"event":"Unregister authentication certificate"', self.log())
        self.assertNotIn(PIN, self.log())


@unittest.skipUnless(ROADSIDE, "give the roadside binary")
class ByTheCli(Scenario, unittest.TestCase):
    DRIVER = Cli
    ADDRESS = "127.0.0.9"

    def test_a_new_server_joins_the_instance(self):
        super().test_a_new_server_joins_the_instance()
        self.assertIn('"auth":"Local"', self.log())


@unittest.skipUnless(ROADSIDE, "give the roadside binary")
class ByCurl(Scenario, unittest.TestCase):
    DRIVER = Curl
    ADDRESS = "127.0.0.10"

    def test_a_new_server_joins_the_instance(self):
        super().test_a_new_server_joins_the_instance()
        self.assertIn('"auth":"ApiKey"', self.log())


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
