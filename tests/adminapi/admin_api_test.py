#!/usr/bin/python3
"""The admin API of a running `roadside serve`, judged by X-Road's OpenAPI document.

Starts a server on a fresh database with a first administrator, makes API keys over HTTP Basic
(as X-Road's user guide §19.1 does with curl), calls every implemented operation of X-Road's
document with them, validates every answer with openapi_check, and prints how much of X-Road's
document Roadside implements. Also: the database keeps no key in clear, a request without a
valid key gets 401, an oversized body 413, requests past the rate 429, and Basic
authentication from outside the key-management whitelist 403.

    admin_api_test.py ROADSIDE_BINARY
"""
import base64
import hashlib
import io
import json
import shutil
import os
import re
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import openapi_check as oc  # noqa: E402

VECTORS = os.environ.get("ROADSIDE_VECTORS_DIR") or os.path.join(HERE, "..", "..", "..", "shared", "vectors")
SPEC_FILE = os.path.join(VECTORS, "xroad", "admin-api", "openapi-definition.yaml")
ROADSIDE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ROADSIDE_BINARY", "")
ADMIN, PASSWORD = "admin", "a-long-admin-password-1"
ROLES = ["XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER", "XROAD_SERVICE_ADMINISTRATOR",
         "XROAD_SYSTEM_ADMINISTRATOR", "XROAD_SECURITYSERVER_OBSERVER"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`roadside serve` with the admin API on a free port, stopped with SIGTERM."""

    def __init__(self, work, extra=(), anchor=None):
        self.data = os.path.join(work, "data")
        self.port = free_port()
        self.log = open(os.path.join(work, "serve.log"), "w+")
        env = dict(os.environ, XROAD_ADMIN_USER=ADMIN, XROAD_ADMIN_PASSWORD=PASSWORD)
        args = [ROADSIDE, "serve", "--data-dir", self.data, "--health-port", "0",
                "--set", f"admin.port={self.port}", "--set", "proxy.client_port=0", "--set", "proxy.client_tls_port=0",
                "--set", "proxy.server_port=0", "--set", "proxy.ocsp_responder_port=0", *extra]
        if anchor:
            args += ["--set", f"globalconf.anchor={anchor}"]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            self.log.seek(0)
            if '"admin API listening"' in self.log.read():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        self.log.seek(0)
        raise RuntimeError("roadside serve did not start its admin API:\n" + self.log.read())

    def stop(self):
        if self.proc.poll() is not None:  # it ended by itself: say how
            self.log.seek(0)
            sys.stderr.write(f"roadside serve exited with {self.proc.returncode}; its log ends:\n" +
                             "\n".join(self.log.read().splitlines()[-40:]) + "\n")
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()
        if os.environ.get("ADMIN_TEST_KEEP_LOG"):
            shutil.copy(self.log.name, os.environ["ADMIN_TEST_KEEP_LOG"])

    def call(self, method, path, auth=None, body=None, content_type="application/json"):
        """(status, content type, body bytes) of one request."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type)
        if auth:
            req.add_header("Authorization", auth)
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type", ""), e.read()


# One record of every exchange of every test, reported when they are done.
SPEC = oc.Spec(SPEC_FILE) if os.path.exists(SPEC_FILE) else None
COVERAGE = oc.Coverage(SPEC) if SPEC else None


def tearDownModule():
    if COVERAGE:
        print()
        COVERAGE.report()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def basic(user=ADMIN, password=PASSWORD):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def api_key(key):
    return f"X-Road-ApiKey token={key}"


@unittest.skipUnless(os.path.exists(SPEC_FILE), f"X-Road's admin-API document not found at {SPEC_FILE} "
                     "(set ROADSIDE_VECTORS_DIR)")
class AdminApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        # A testbed instance's anchor: the new server belongs to its instance (DEV).
        testbed = os.path.join(cls.work.name, "tb")
        subprocess.run([ROADSIDE, "testbed", "init", "--dir", testbed], check=True, capture_output=True)
        # Past X-Road's default rates (Limits tests them): this class makes many calls at once.
        rates = ["--set", "admin.rate_limit_requests_per_second=200", "--set", "admin.rate_limit_requests_per_minute=6000"]
        cls.server = Server(cls.work.name, rates, anchor=os.path.join(testbed, "anchor.xml"))
        cls.coverage = COVERAGE
        cls.keys = {}
        for role in ROLES:
            status, _, body = cls.server.call("POST", "/api/v1/api-keys", basic(), [role])
            assert status == 200, (status, body)
            cls.keys[role] = json.loads(body)["key"]
        cls.admin = api_key(cls.keys["XROAD_SYSTEM_ADMINISTRATOR"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.work.cleanup()

    def checked(self, method, path, auth, body=None, content_type="application/json"):
        """Calls, validates the answer by X-Road's document, and returns (status, body)."""
        status, ctype, data = self.server.call(method, path, auth, body, content_type)
        problems = self.coverage.check_response(method, path, status, ctype, data)
        self.assertEqual(problems, [], f"{method} {path} -> {status}: {data[:300]!r}")
        return status, data

    def test_a_new_server_is_initialized_once(self):
        status, body = self.checked("GET", "/api/v1/initialization/status", self.admin)
        before = json.loads(body)
        self.assertTrue(before["is_anchor_imported"])
        if not before["is_server_owner_initialized"]:
            self.assertEqual(before["software_token_init_status"], "NOT_INITIALIZED")
            observer = api_key(self.keys["XROAD_SECURITYSERVER_OBSERVER"])
            self.assertEqual(self.checked("POST", "/api/v1/initialization", observer, {})[0], 403)
            status, body = self.checked("POST", "/api/v1/initialization", self.admin, {"owner_member_class": "COM"})
            self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "invalid_init_params"))
            self.initialize()
        status, body = self.checked("GET", "/api/v1/initialization/status", self.admin)
        self.assertEqual(json.loads(body), {"is_anchor_imported": True, "is_server_code_initialized": True,
                                            "is_server_owner_initialized": True,
                                            "software_token_init_status": "INITIALIZED", "enforce_token_pin_policy": False})
        status, body = self.checked("POST", "/api/v1/initialization", self.admin, {})
        self.assertEqual((status, json.loads(body)["error"]["code"]), (409, "server_already_fully_initialized"))

    def initialize(self):
        if json.loads(self.server.call("GET", "/api/v1/initialization/status", self.admin)[2])["is_server_owner_initialized"]:
            return
        status, body = self.checked("POST", "/api/v1/initialization", self.admin,
                                    {"owner_member_class": "COM", "owner_member_code": "9999",
                                     "security_server_code": "ssnew", "software_token_pin": "Secret-1234"})
        if status == 400:  # once the global configuration is in: DEV/COM/9999 is no member of the instance
            self.assertEqual(json.loads(body)["warnings"][0]["code"], "init_unregistered_member")
            status, _ = self.checked("POST", "/api/v1/initialization", self.admin,
                                 {"owner_member_class": "COM", "owner_member_code": "9999", "security_server_code": "ssnew",
                                  "software_token_pin": "Secret-1234", "ignore_warnings": True})
        self.assertEqual(status, 201)

    def test_keys_are_generated_renamed_and_deleted_in_the_token(self):
        self.initialize()
        officer = api_key(self.keys["XROAD_REGISTRATION_OFFICER"])
        observer = api_key(self.keys["XROAD_SECURITYSERVER_OBSERVER"])
        status, body = self.checked("GET", "/api/v1/tokens", observer)
        token = json.loads(body)[0]
        self.assertEqual((token["id"], token["type"], token["logged_in"]), ("0", "SOFTWARE", True))
        self.assertEqual(self.checked("POST", "/api/v1/tokens/0/keys", observer, {"label": "x"})[0], 403)
        status, body = self.checked("POST", "/api/v1/tokens/0/keys", officer, {"label": "sign key 1"})
        self.assertEqual(status, 201)
        key = json.loads(body)
        self.assertEqual((key["name"], key["key_algorithm"], key["certificates"]), ("sign key 1", "RSA", []))
        self.assertEqual(json.loads(self.checked("GET", f"/api/v1/keys/{key['id']}", observer)[1])["id"], key["id"])
        self.assertIn("GENERATE_SIGN_CSR", json.loads(self.checked("GET", f"/api/v1/keys/{key['id']}/possible-actions",
                                                                   observer)[1]))
        status, body = self.checked("PATCH", f"/api/v1/keys/{key['id']}", officer, {"name": "renamed"})
        self.assertEqual(json.loads(body)["name"], "renamed")
        self.assertEqual(self.checked("GET", "/api/v1/tokens/1", observer)[0], 404)
        self.assertEqual(self.checked("GET", "/api/v1/keys/NOPE", observer)[0], 404)
        self.assertEqual(self.checked("DELETE", f"/api/v1/keys/{key['id']}", officer)[0], 204)
        self.assertEqual(self.checked("GET", f"/api/v1/keys/{key['id']}", observer)[0], 404)

    def test_the_token_logs_out_and_in_with_its_pin(self):
        self.initialize()
        status, body = self.checked("PUT", "/api/v1/tokens/0/logout", self.admin)
        self.assertFalse(json.loads(body)["logged_in"])
        status, body = self.checked("PUT", "/api/v1/tokens/0/login", self.admin, {"password": "wrong-pin"})
        self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "pin_incorrect"))
        status, body = self.checked("PUT", "/api/v1/tokens/0/login", self.admin, {"password": "Secret-1234"})
        self.assertTrue(json.loads(body)["logged_in"])

    def test_every_role_reads_the_version_and_node_type(self):
        for role, key in self.keys.items():
            status, body = self.checked("GET", "/api/v1/system/version", api_key(key))
            self.assertEqual(status, 200, role)
            self.assertIn("Roadside", json.loads(body)["info"])
            status, body = self.checked("GET", "/api/v1/system/node-type", api_key(key))
            self.assertEqual(json.loads(body), {"node_type": "STANDALONE"})

    def test_without_a_valid_key_the_answer_is_401(self):
        self.assertEqual(self.checked("GET", "/api/v1/system/version", None)[0], 401)
        self.assertEqual(self.checked("GET", "/api/v1/system/version", api_key("not-a-key"))[0], 401)
        self.assertEqual(self.checked("GET", "/api/v1/system/version", basic())[0], 401)

    def test_the_database_keeps_no_key_in_clear(self):
        # The database file and its write-ahead log, as they are on disk.
        db = b"".join(read_bytes(os.path.join(self.server.data, name))
                      for name in os.listdir(self.server.data) if name.startswith("roadside.db"))
        for key in self.keys.values():
            self.assertFalse(key.encode() in db, "an API key is in the database in clear")
        self.assertTrue(b"XROAD_SYSTEM_ADMINISTRATOR" in db, "the keys' rows are not where the test looks")

    def test_key_management_follows_the_user_guide(self):
        status, _, body = self.server.call("POST", "/api/v1/api-keys", basic(), ["XROAD_SECURITYSERVER_OBSERVER"])
        made = json.loads(body)
        self.assertEqual(made["roles"], ["XROAD_SECURITYSERVER_OBSERVER"])
        status, _, body = self.server.call("PUT", f"/api/v1/api-keys/{made['id']}", basic(),
                                           ["XROAD_SECURITYSERVER_OBSERVER", "XROAD_REGISTRATION_OFFICER"])
        self.assertEqual(json.loads(body)["roles"], ["XROAD_REGISTRATION_OFFICER", "XROAD_SECURITYSERVER_OBSERVER"])
        self.assertEqual(self.server.call("GET", "/api/v1/system/version", api_key(made["key"]))[0], 200)
        self.assertEqual(self.server.call("DELETE", f"/api/v1/api-keys/{made['id']}", basic())[0], 200)
        self.assertEqual(self.server.call("GET", "/api/v1/system/version", api_key(made["key"]))[0], 401)
        self.assertEqual(self.server.call("DELETE", f"/api/v1/api-keys/{made['id']}", basic())[0], 404)
        self.assertEqual(self.server.call("POST", "/api/v1/api-keys", basic(password="wrong"), ["XROAD_SECURITY_OFFICER"])[0],
                         401)
        audit = read_bytes(os.path.join(self.work.name, "serve.log")).decode()
        events = [json.loads(l)["event"] for l in audit.splitlines() if '"log":"audit"' in l and "API key" in l]
        self.assertIn("API key create", events)
        self.assertIn("API key update", events)
        self.assertIn("API key remove", events)
        self.assertNotIn(made["key"], audit)
        self.assertNotIn(PASSWORD, audit)

    def test_hostile_bodies_get_400_not_a_crash(self):
        self.initialize()
        officer = api_key(self.keys["XROAD_SECURITY_OFFICER"])
        deep = b'{"key_usage_type":"SIGNING","subject_field_values":' + b"[" * 20000 + b"]" * 20000 + b"}"
        for body in (deep, b'{"key_usage_type": 7}', b'{"key_usage_type":"SIGNING","member_id":["x"]}', b"\xff\xfe",
                     b'{"csr_generate_request": ' + b"[" * 20000 + b"]" * 20000 + b"}"):
            for path in ("/api/v1/keys/NOPE/csrs", "/api/v1/tokens/0/keys-with-csrs"):
                status, _ = self.checked("POST", path, officer, body)
                self.assertEqual(status, 400, (path, body[:40]))
        status, body = self.checked("POST", "/api/v1/initialization", self.admin, b'{"ignore_warnings": "yes"}')
        self.assertIn(status, (400, 409))
        self.assertEqual(self.checked("GET", "/api/v1/system/version", self.admin)[0], 200)  # still up

    def test_the_anchor_is_shown_downloaded_previewed_and_replaced(self):
        observer = api_key(self.keys["XROAD_SECURITYSERVER_OBSERVER"])
        status, body = self.checked("GET", "/api/v1/system/anchor", observer)
        self.assertEqual(status, 200)
        anchor = json.loads(body)
        self.assertRegex(anchor["hash"], r"^([0-9A-F]{2}:){27}[0-9A-F]{2}$")
        self.assertEqual(self.checked("GET", "/api/v1/system/anchor/download", observer)[0], 403)
        status, xml = self.checked("GET", "/api/v1/system/anchor/download", self.admin)
        self.assertEqual(status, 200)
        digest = hashlib.sha224(xml).hexdigest().upper()
        self.assertEqual(anchor["hash"].replace(":", ""), digest)
        octets = "application/octet-stream"
        status, body = self.checked("POST", "/api/v1/system/anchor/previews", self.admin, xml, octets)
        self.assertEqual((status, json.loads(body)), (201, anchor))
        # Another instance's anchor is refused, unless the instance is not to be checked.
        foreign = xml.replace(b"<instanceIdentifier>DEV<", b"<instanceIdentifier>OTHER<")
        self.assertNotEqual(foreign, xml)
        status, body = self.checked("POST", "/api/v1/system/anchor/previews", self.admin, foreign, octets)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "internal_anchor_upload_invalid_instance_id"))
        status, _ = self.checked("POST", "/api/v1/system/anchor/previews?validate_instance=false", self.admin,
                                 foreign, octets)
        self.assertEqual(status, 201)
        for bad in (b"", b"not xml", xml[: len(xml) // 2], b"<configurationAnchor/>", b"\xff" * 100):
            status, body = self.checked("POST", "/api/v1/system/anchor/previews", self.admin, bad, octets)
            self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "malformed_anchor"), bad[:30])
        status, body = self.checked("PUT", "/api/v1/system/anchor", self.admin, foreign, octets)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "internal_anchor_upload_invalid_instance_id"))
        self.assertEqual(self.checked("PUT", "/api/v1/system/anchor", observer, xml, octets)[0], 403)
        self.assertEqual(self.checked("PUT", "/api/v1/system/anchor", self.admin, xml, octets)[0], 201)
        status, body = self.checked("POST", "/api/v1/system/anchor", self.admin, xml, octets)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (409, "anchor_already_exists"))
        self.assertEqual(json.loads(self.checked("GET", "/api/v1/system/anchor", observer)[1]), anchor)
        audit = read_bytes(os.path.join(self.work.name, "serve.log")).decode()
        self.assertIn('"event":"Upload configuration anchor"', audit)

    def test_the_internal_tls_certificate_is_shown_exported_and_renewed(self):
        observer = api_key(self.keys["XROAD_SECURITYSERVER_OBSERVER"])
        status, body = self.checked("GET", "/api/v1/system/certificate", observer)
        before = json.loads(body)
        self.assertEqual((status, before["public_key_algorithm"]), (200, "RSA"))
        self.assertEqual(self.checked("GET", "/api/v1/system/certificate/export", observer)[0], 403)
        status, archive = self.checked("GET", "/api/v1/system/certificate/export", self.admin)
        self.assertEqual(status, 200)
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            self.assertEqual(sorted(tar.getnames()), ["cert.der", "cert.pem"])
            der = tar.extractfile("cert.der").read()
            pem = tar.extractfile("cert.pem").read()
        self.assertEqual(hashlib.sha256(der).hexdigest().upper(), before["hash"].replace(":", "").upper())
        self.assertIn(b"BEGIN CERTIFICATE", pem)
        self.assertEqual(self.checked("POST", "/api/v1/system/certificate", observer)[0], 403)
        self.assertEqual(self.checked("POST", "/api/v1/system/certificate", self.admin)[0], 204)
        after = json.loads(self.checked("GET", "/api/v1/system/certificate", observer)[1])
        self.assertNotEqual(after["hash"], before["hash"])
        # A CSR for the (new) key; the certificate in use again, or one for another key, is refused.
        status, body = self.checked("POST", "/api/v1/system/certificate/csr", self.admin,
                                    {"name": "C=FI, O=Roadside Test, CN=ss.example"})
        self.assertEqual(status, 201)
        csr_der = body
        subject = subprocess.run(["openssl", "req", "-inform", "DER", "-noout", "-subject"], input=csr_der,
                                 capture_output=True, check=True).stdout.decode()
        self.assertIn("ss.example", subject)
        # A CA issues a certificate for it, which is imported with the CA's certificate as its chain.
        with tempfile.TemporaryDirectory() as ca:
            def path(name):
                return os.path.join(ca, name)
            with open(path("req.der"), "wb") as f:
                f.write(csr_der)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"),
                            "-out", path("ca.pem"), "-subj", "/CN=Test TLS CA", "-days", "2"], check=True,
                           capture_output=True)
            subprocess.run(["openssl", "req", "-inform", "DER", "-in", path("req.der"), "-out", path("req.pem")],
                           check=True, capture_output=True)
            subprocess.run(["openssl", "x509", "-req", "-in", path("req.pem"), "-CA", path("ca.pem"), "-CAkey",
                            path("ca.key"), "-CAcreateserial", "-out", path("issued.pem"), "-days", "2"],
                           check=True, capture_output=True)
            issued = read_bytes(path("issued.pem")) + read_bytes(path("ca.pem"))
        status, body = self.checked("POST", "/api/v1/system/certificate/import", self.admin, issued,
                                    "application/octet-stream")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["issuer_common_name"], "Test TLS CA")
        self.assertEqual(json.loads(self.checked("GET", "/api/v1/system/certificate", observer)[1])["issuer_common_name"],
                         "Test TLS CA")
        for bad in ({"name": "NOPE=x"}, {"name": ""}, {}, {"name": "CN=" + "x" * 300}):
            status, body = self.checked("POST", "/api/v1/system/certificate/csr", self.admin, bad)
            self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "invalid_distinguished_name"), bad)
        octets = "application/octet-stream"
        status, archive = self.checked("GET", "/api/v1/system/certificate/export", self.admin)
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
            current = tar.extractfile("cert.pem").read()
        status, body = self.checked("POST", "/api/v1/system/certificate/import", self.admin, current, octets)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "certificate_already_exists"))
        status, body = self.checked("POST", "/api/v1/system/certificate/import", self.admin, der, octets)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "key_not_found"))
        for bad in (b"", b"junk", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"):
            status, body = self.checked("POST", "/api/v1/system/certificate/import", self.admin, bad, octets)
            self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "invalid_cert"), bad)
        audit = read_bytes(os.path.join(self.work.name, "serve.log")).decode()
        self.assertIn('"event":"Generate certificate request for TLS"', audit)
        self.assertIn('"event":"Import TLS certificate from file"', audit)
        self.assertIn('"event":"Generate new internal TLS key and certificate"', audit)

    def test_only_an_approved_timestamping_service_is_added(self):
        officer = api_key(self.keys["XROAD_SECURITY_OFFICER"])
        observer = api_key(self.keys["XROAD_SECURITYSERVER_OBSERVER"])
        # No global configuration is downloaded here: nothing is approved.
        self.assertEqual(json.loads(self.checked("GET", "/api/v1/timestamping-services", observer)[1]), [])
        self.assertEqual(json.loads(self.checked("GET", "/api/v1/system/timestamping-services", observer)[1]), [])
        tsa = {"name": "Unknown TSA", "url": "http://tsa.example", "cost_type": "FREE"}
        self.assertEqual(self.checked("POST", "/api/v1/system/timestamping-services", observer, tsa)[0], 403)
        status, body = self.checked("POST", "/api/v1/system/timestamping-services", officer, tsa)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "timestamping_service_not_found"))
        status, body = self.checked("POST", "/api/v1/system/timestamping-services/delete", officer, tsa)
        self.assertEqual((status, json.loads(body)["error"]["code"]), (400, "timestamping_service_not_found"))
        for hostile in (b"[]", b'{"name": 7}', b"\xff", b'{"name":"' + b"x" * 300 + b'","url":"u"}'):
            self.assertEqual(self.checked("POST", "/api/v1/system/timestamping-services", officer, hostile)[0], 400)
        status, body = self.checked("GET", "/api/v1/system/timestamping-services/prioritization-strategy", observer)
        self.assertEqual(json.loads(body), "NONE")

    def test_the_server_address_maintenance_mode_and_diagnostics_answer(self):
        observer = api_key(self.keys["XROAD_SECURITYSERVER_OBSERVER"])
        self.assertEqual(json.loads(self.checked("GET", "/api/v1/system/server-address", self.admin)[1]), {})
        status, body = self.checked("GET", "/api/v1/system/maintenance-mode", self.admin)
        self.assertEqual(json.loads(body)["status"], "DISABLED_MAINTENANCE_MODE")
        for path in ("globalconf", "global-conf-status", "ocsp-responders", "timestamping-services",
                     "auth-cert-req-status", "addon-status", "backup-encryption-status",
                     "message-log-encryption-status", "proxy-memory-usage-status"):
            status, body = self.checked("GET", "/api/v1/diagnostics/" + path, observer)
            self.assertEqual(status, 200, path)
        self.assertEqual(self.checked("GET", "/api/v1/diagnostics/globalconf",
                                      api_key(self.keys["XROAD_SERVICE_ADMINISTRATOR"]))[0], 403)
        # No configuration source answers here: the download fails, and says so.
        deadline = time.time() + 20
        while time.time() < deadline:
            conf = json.loads(self.checked("GET", "/api/v1/diagnostics/globalconf", observer)[1])
            if conf["status_class"] != "WAITING":
                break
            time.sleep(0.5)
        self.assertEqual(conf["status_class"], "FAIL")
        self.assertEqual(conf["error"]["code"], "error_code_cannot_download_conf")
        sources = json.loads(self.checked("GET", "/api/v1/diagnostics/global-conf-status", observer)[1])
        self.assertTrue(sources and sources[0]["connection_status"]["status_class"] == "FAIL", sources)
        memory = json.loads(self.checked("GET", "/api/v1/diagnostics/proxy-memory-usage-status", observer)[1])
        self.assertGreater(memory["used_memory"], 0)

    def test_an_oversized_body_gets_413(self):
        key = api_key(self.keys["XROAD_SYSTEM_ADMINISTRATOR"])
        status, _, _ = self.server.call("POST", "/api/v1/system/version", key, b"x" * 60_000, "application/json")
        self.assertEqual(status, 413)


@unittest.skipUnless(os.path.exists(SPEC_FILE), "X-Road's admin-API document not found")
class Onboarding(unittest.TestCase):
    """A new server of a running testbed instance gets its keys and certificates over the API
    alone: CSRs whose subjects the CA's profile builds, signed by the testbed CA, imported."""

    def test_keys_csrs_and_certificates_from_an_empty_database(self):
        with tempfile.TemporaryDirectory() as work:
            testbed = os.path.join(work, "tb")
            subprocess.run([ROADSIDE, "testbed", "init", "--dir", testbed], check=True, capture_output=True)
            up_log = open(os.path.join(work, "up.log"), "w")
            up = subprocess.Popen([ROADSIDE, "testbed", "up", "--dir", testbed, "--no-servers"], stdout=up_log,
                                  stderr=subprocess.STDOUT)
            server = None
            try:
                contract = json.loads(read_bytes(os.path.join(testbed, "instance.json")))
                server = Server(work, ["--set", "globalconf.refresh_interval_s=5"], anchor=contract["anchor"])
                _, _, body = server.call("POST", "/api/v1/api-keys", basic(),
                                         ["XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER",
                                          "XROAD_SYSTEM_ADMINISTRATOR"])
                key = api_key(json.loads(body)["key"])

                def call(method, path, body=None, content_type="application/json", expect=None):
                    status, ctype, data = server.call(method, path, key, body, content_type)
                    self.assertEqual(COVERAGE.check_response(method, path, status, ctype, data), [],
                                     f"{method} {path} -> {status}: {data[:300]!r}")
                    if expect is not None and status != expect:
                        log = read_bytes(os.path.join(work, "serve.log")).decode(errors="replace")
                        refused = [l for l in log.splitlines() if "admin API: request" in l]
                        self.fail(f"{method} {path}: {status} {data[:300]!r}\n" + "\n".join(refused[-3:]))
                    return data

                self.assertEqual(server.call("POST", "/api/v1/initialization", key,
                                             {"owner_member_class": "COM", "owner_member_code": "1001",
                                              "security_server_code": "ssnew", "software_token_pin": "Secret-1234",
                                              "ignore_warnings": True})[0], 201)
                # The global configuration arrives: the testbed CA is listed.
                deadline = time.time() + 30
                while server.call("GET", "/api/v1/certificate-authorities", key)[0] != 200 and time.time() < deadline:
                    time.sleep(0.2)
                cas = json.loads(call("GET", "/api/v1/certificate-authorities?key_usage_type=SIGNING", expect=200))
                ca = cas[0]["name"]
                self.assertTrue(cas[0]["certificate_profile_info"].endswith("FiVRKCertificateProfileInfoProvider"))
                fields = json.loads(call("GET", f"/api/v1/certificate-authorities/{urllib.parse.quote(ca)}/csr-subject-fields"
                                                "?key_usage_type=SIGNING&member_id=DEV:COM:1001", expect=200))
                values = {f["id"]: f.get("default_value") or "x" for f in fields}
                values.update({"O": "Member 1", "subjectAltName": "ssnew.example.org"})
                made = json.loads(call("POST", "/api/v1/tokens/0/keys-with-csrs",
                                       {"key_label": "sign", "csr_generate_request": {
                                           "key_usage_type": "SIGNING", "ca_name": ca, "csr_format": "DER",
                                           "member_id": "DEV:COM:1001", "subject_field_values": values}}, expect=201))
                self.assertEqual(made["key"]["usage"], "SIGNING")
                pem = call("GET", f"/api/v1/keys/{made['key']['id']}/csrs/{made['csr_id']}?csr_format=PEM", expect=201)
                csr_file = os.path.join(work, "sign.csr")
                with open(csr_file, "wb") as f:
                    f.write(pem)
                verify = subprocess.run(["openssl", "req", "-verify", "-noout", "-subject", "-in", csr_file],
                                        capture_output=True, text=True)
                self.assertEqual(verify.returncode, 0, verify.stderr)
                self.assertIn("serialNumber", verify.stdout + verify.stderr)

                sign_url = contract["ca"]["ocsp_url"].rsplit("/", 1)[0] + "/sign"
                def ca_signs(csr_der, usage):
                    req = urllib.request.Request(f"{sign_url}?usage={usage}", data=csr_der, method="POST")
                    with urllib.request.urlopen(req, timeout=10) as r:
                        return r.read()
                der = call("GET", f"/api/v1/keys/{made['key']['id']}/csrs/{made['csr_id']}?csr_format=DER", expect=201)
                cert = ca_signs(der, "sign")
                imported = json.loads(call("POST", "/api/v1/token-certificates", cert, "application/octet-stream", expect=201))
                self.assertEqual((imported["status"], imported["active"], imported["owner_id"]),
                                 ("REGISTERED", True, "DEV:COM:1001"))
                key_now = json.loads(call("GET", f"/api/v1/keys/{made['key']['id']}", expect=200))
                self.assertEqual(key_now["certificate_signing_requests"], [])  # answered by the certificate

                auth_key = json.loads(call("POST", "/api/v1/tokens/0/keys", {"label": "auth"}, expect=201))
                auth_fields = json.loads(call("GET", f"/api/v1/certificate-authorities/{urllib.parse.quote(ca)}"
                                                     "/csr-subject-fields?key_usage_type=AUTHENTICATION", expect=200))
                auth_csr = call("POST", f"/api/v1/keys/{auth_key['id']}/csrs",
                                {"key_usage_type": "AUTHENTICATION", "ca_name": ca, "csr_format": "DER",
                                 "subject_field_values": {f["id"]: f.get("default_value") or
                                                          ("ssnew.example.org" if f["id"] == "subjectAltName" else "x")
                                                          for f in auth_fields}},
                                expect=201)
                auth_der = ca_signs(auth_csr, "auth")
                auth_cert = json.loads(call("POST", "/api/v1/token-certificates", auth_der, "application/octet-stream",
                                            expect=201))
                self.assertEqual((auth_cert["status"], auth_cert["active"]), ("SAVED", False))
                self.assertIn("REGISTER", auth_cert["possible_actions"])
                digest = auth_cert["certificate_details"]["hash"]
                # The same certificate twice is refused.
                call("POST", "/api/v1/token-certificates", auth_der, "application/octet-stream", expect=409)

                # authCertReg to the testbed's Central Server (once the owner's signing
                # certificate has its OCSP response), which approves it and republishes.
                deadline = time.time() + 30
                while True:
                    status, _, data = server.call("PUT", f"/api/v1/token-certificates/{digest}/register", key,
                                                  {"address": "127.0.0.9"})
                    if status == 200 or time.time() > deadline or b"ocsp_response_unavailable" not in data:
                        break
                    time.sleep(0.5)
                self.assertEqual(status, 200, data)
                cert_now = json.loads(call("GET", f"/api/v1/token-certificates/{digest}", expect=200))
                self.assertIn(cert_now["status"], ("REGISTRATION_IN_PROGRESS", "REGISTERED"))
                deadline = time.time() + 60
                while cert_now["status"] != "REGISTERED" and time.time() < deadline:
                    time.sleep(1)
                    cert_now = json.loads(call("GET", f"/api/v1/token-certificates/{digest}", expect=200))
                self.assertEqual(cert_now["status"], "REGISTERED", "global configuration never listed the certificate")
                call("PUT", f"/api/v1/token-certificates/{digest}/activate", expect=204)
                self.assertTrue(json.loads(call("GET", f"/api/v1/token-certificates/{digest}", expect=200))["active"])
                # With global configuration: its approved TSA can be chosen, once; the server's address.
                approved = json.loads(call("GET", "/api/v1/timestamping-services", expect=200))
                self.assertTrue(approved, "the testbed approves a TSA")
                tsa = approved[0]
                self.assertEqual(json.loads(call("POST", "/api/v1/system/timestamping-services", tsa, expect=201)), tsa)
                call("POST", "/api/v1/system/timestamping-services", tsa, expect=409)
                self.assertEqual(json.loads(call("GET", "/api/v1/system/timestamping-services", expect=200)), [tsa])
                waiting = json.loads(call("GET", "/api/v1/diagnostics/timestamping-services", expect=200))
                self.assertEqual([t["url"] for t in waiting], [tsa["url"]])
                call("POST", "/api/v1/system/timestamping-services/delete", tsa, expect=204)
                self.assertEqual(json.loads(call("GET", "/api/v1/system/timestamping-services", expect=200)), [])
                self.assertEqual(json.loads(call("GET", "/api/v1/system/server-address", expect=200)),
                                 {"current_address": {"address": "127.0.0.9"}})
                self.assertEqual(json.loads(call("GET", "/api/v1/diagnostics/globalconf", expect=200))["status_class"], "OK")
                cas = json.loads(call("GET", "/api/v1/diagnostics/ocsp-responders", expect=200))
                self.assertTrue(cas and cas[0]["ocsp_responders"], cas)
                self.assertIn(cas[0]["ocsp_responders"][0]["status_class"], ("OK", "WAITING"))
                self.assertEqual(json.loads(call("GET", "/api/v1/system/maintenance-mode", expect=200))["status"],
                                 "DISABLED_MAINTENANCE_MODE")
                # A registered authentication certificate is not deleted before it is unregistered.
                call("DELETE", f"/api/v1/token-certificates/{digest}", expect=400)
                audit = read_bytes(os.path.join(work, "serve.log")).decode()
                self.assertIn('"event":"Register authentication certificate"', audit)
            finally:
                if server:
                    server.stop()
                up.terminate()
                up.wait(30)
                up_log.close()


@unittest.skipUnless(os.path.exists(SPEC_FILE), "X-Road's admin-API document not found")
class Limits(unittest.TestCase):
    def test_past_the_rate_429_and_basic_outside_the_whitelist_403(self):
        with tempfile.TemporaryDirectory() as work:
            server = Server(work, ["--set", "admin.rate_limit_requests_per_second=5",
                                   "--set", "admin.key_management_whitelist=192.0.2.0/24"])
            try:
                self.assertEqual(server.call("GET", "/api/v1/api-keys", basic())[0], 403)
                statuses = [server.call("GET", "/api/v1/system/version", None)[0] for _ in range(12)]
                self.assertIn(429, statuses)
                self.assertEqual(statuses[0], 401)
            finally:
                server.stop()


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
