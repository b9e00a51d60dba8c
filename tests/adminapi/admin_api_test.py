#!/usr/bin/python3
"""The admin API of a running `roadside serve`, judged by X-Road's OpenAPI document.

Starts a server on a fresh database with a first administrator, makes API keys over HTTP Basic
(as X-Road's user guide §19.1 does with curl), calls every implemented operation of X-Road's
document with them, validates every answer with openapi_check, and prints how much of X-Road's
document Roadside implements. Also: the database keeps no key in clear, a request without a
valid key gets 401, an oversized body 413, requests past the rate 429, and Basic
authentication from outside the key-management whitelist 403. Onboarding runs a testbed
instance with one server (needs xmllint for the management requests' schemas). ServiceDescriptions serves
X-Road's WSDL and OpenAPI files over a local HTTP server and adds, refreshes, disables and
removes them, with their services, endpoints, access rights and local groups; DisabledService
disables one on a testbed instance's provider and calls it through the consumer's client proxy.

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
        return https_call(f"https://127.0.0.1:{self.port}", method, path, auth, body, content_type)


def https_call(base, method, path, auth=None, body=None, content_type="application/json"):
    """(status, content type, body bytes) of one request to an admin API at `base`."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
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

MANAGEMENT = os.path.join(VECTORS, "xroad", "management")
XROAD_NS, ID_NS = "http://x-road.eu/xsd/xroad.xsd", "http://x-road.eu/xsd/identifiers"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"


def wsdl_schemas(folder):
    """managementservices.wsdl's two inline schemas as files in `folder` (the second imports the
    first), as src/management/management_test.cc makes them: the XSD of the WSDL's messages."""
    wsdl = read_bytes(os.path.join(MANAGEMENT, "managementservices.wsdl")).decode()
    schemas = re.findall(r"<xsd:schema.*?</xsd:schema>", wsdl, re.S)
    assert len(schemas) == 2, "managementservices.wsdl has not two inline schemas"
    schemas = [x[:11] + ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"' + x[11:] for x in schemas]
    imp = '<xsd:import namespace="http://x-road.eu/xsd/identifiers"'
    schemas[1] = schemas[1].replace(imp, imp + ' schemaLocation="wsdl-identifiers.xsd"', 1)
    for name, text in (("wsdl-identifiers.xsd", schemas[0]), ("wsdl-xroad.xsd", schemas[1])):
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    return os.path.join(folder, "wsdl-xroad.xsd")


def management_soap_problems(soap, folder):
    """What xmllint finds wrong in a management request's SOAP part: its body element by
    request.xsd and by the WSDL's schema, each header element by the WSDL's schema. [] when valid."""
    from xml.dom import minidom
    doc = minidom.parseString(soap)
    env = doc.documentElement
    elements = lambda parent: [n for n in parent.childNodes if n.nodeType == n.ELEMENT_NODE]
    parts = {e.localName: e for e in elements(env) if e.namespaceURI == SOAP_NS}
    body, header = elements(parts["Body"]), elements(parts["Header"])
    problems = []
    if [h.localName for h in header] != ["client", "service", "id", "protocolVersion"]:
        problems.append("header elements: " + ", ".join(h.localName for h in header))
    wsdl_xsd = wsdl_schemas(folder)
    checks = [(body[0], os.path.join(MANAGEMENT, "xsd", "request.xsd")), (body[0], wsdl_xsd)]
    checks += [(h, wsdl_xsd) for h in header]
    for i, (element, xsd) in enumerate(checks):
        # The element alone, with the namespaces its envelope declared.
        element.setAttribute("xmlns:xroad", XROAD_NS)
        element.setAttribute("xmlns:id", ID_NS)
        path = os.path.join(folder, f"part{i}.xml")
        with open(path, "w") as f:
            f.write(element.toxml())
        run = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], capture_output=True, text=True)
        if run.returncode != 0:
            problems.append(f"{element.localName} by {os.path.basename(xsd)}: {run.stderr.strip()}")
    return problems



def basic(user=ADMIN, password=PASSWORD):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def api_key(key):
    return f"X-Road-ApiKey token={key}"


class CheckedCalls:
    """`checked`: a call whose answer X-Road's document judges (needs self.server, self.coverage)."""

    def checked(self, method, path, auth, body=None, content_type="application/json"):
        """Calls, validates the answer by X-Road's document, and returns (status, body)."""
        status, ctype, data = self.server.call(method, path, auth, body, content_type)
        problems = self.coverage.check_response(method, path, status, ctype, data)
        self.assertEqual(problems, [], f"{method} {path} -> {status}: {data[:300]!r}")
        return status, data


@unittest.skipUnless(os.path.exists(SPEC_FILE), f"X-Road's admin-API document not found at {SPEC_FILE} "
                     "(set ROADSIDE_VECTORS_DIR)")
class AdminApi(CheckedCalls, unittest.TestCase):
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
    alone: CSRs whose subjects the CA's profile builds, signed by the testbed CA, imported; its
    authentication certificate registered (authCertReg); then a subsystem added and registered
    (clientReg through its client proxy and ss1, the management service provider's server, to
    the testbed's Central Server), disabled, enabled, renamed, unregistered and deleted, every
    request the Central Server received valid by X-Road's WSDL and request.xsd."""

    def test_keys_csrs_and_certificates_from_an_empty_database(self):
        with tempfile.TemporaryDirectory() as work:
            testbed = os.path.join(work, "tb")
            subprocess.run([ROADSIDE, "testbed", "init", "--dir", testbed, "--servers", "1"], check=True,
                           capture_output=True)
            up_log = open(os.path.join(work, "up.log"), "w")
            # ss1 runs: it hosts the management service provider, which carries the new
            # server's clientReg on to the Central Server.
            up = subprocess.Popen([ROADSIDE, "testbed", "up", "--dir", testbed], stdout=up_log,
                                  stderr=subprocess.STDOUT)
            server = None
            try:
                contract = json.loads(read_bytes(os.path.join(testbed, "instance.json")))
                ss1 = contract["servers"][0]
                server = Server(work, ["--set", "globalconf.refresh_interval_s=5",
                                       "--set", f"proxy.peer_port={ss1['server_port']}",
                                       "--set", f"proxy.peer_ocsp_port={ss1['ocsp_port']}"], anchor=contract["anchor"])
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
                # Again, for what follows: a full server takes no message without one, its own
                # management requests (clientReg) included.
                call("POST", "/api/v1/system/timestamping-services", tsa, expect=201)
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

                self.clients(call, server, key, testbed, contract, work)
            finally:
                if server:
                    server.stop()
                up.terminate()
                up.wait(30)
                up_log.close()

    def clients(self, call, server, key, testbed, contract, work):
        """A subsystem added, registered with clientReg through the client proxy and ss1 (the
        testbed approves it), REGISTERED once global configuration lists it; its TLS
        certificates; the clientReg the Central Server received valid by X-Road's schemas."""
        owner = "DEV:COM:1001"
        deadline = time.time() + 60
        while json.loads(call("GET", f"/api/v1/clients/{owner}", expect=200))["status"] != "REGISTERED":
            self.assertLess(time.time(), deadline, "the owner never became REGISTERED")
            time.sleep(1)
        sub = owner + ":NEWSUB"
        new = {"client": {"member_class": "COM", "member_code": "1001", "subsystem_code": "NEWSUB",
                          "connection_type": "HTTP"}}
        added = json.loads(call("POST", "/api/v1/clients", new, expect=201))
        self.assertEqual((added["id"], added["status"], added["connection_type"], added["owner"]),
                         (sub, "SAVED", "HTTP", False))
        self.assertEqual(json.loads(call("POST", "/api/v1/clients", new, expect=409))["error"]["code"],
                         "client_already_exists")
        wrong = {"client": {"member_class": "NOSUCH", "member_code": "1001", "subsystem_code": "X"}}
        self.assertEqual(json.loads(call("POST", "/api/v1/clients", wrong, expect=400))["error"]["code"],
                         "invalid_member_class")
        listed = json.loads(call("GET", "/api/v1/clients?show_members=false", expect=200))
        self.assertIn(sub, [c["id"] for c in listed])
        self.assertNotIn(owner, [c["id"] for c in listed])
        self.assertEqual([c["id"] for c in json.loads(call("GET", "/api/v1/clients?subsystem_code=newsub",
                                                             expect=200))], [sub])
        self.assertEqual(json.loads(call("PATCH", f"/api/v1/clients/{sub}", {"connection_type": "HTTPS_NO_AUTH"},
                                         expect=200))["connection_type"], "HTTPS_NO_AUTH")
        call("PUT", f"/api/v1/clients/{owner}/register", expect=400)  # the owner is registered by authCertReg

        # clientReg: ss1 takes the new server's TLS once its own global configuration lists
        # the new authentication certificate (it downloads every 10 s).
        deadline = time.time() + 90
        while True:
            status, ctype, data = server.call("PUT", f"/api/v1/clients/{sub}/register", key)
            if status == 204 or time.time() > deadline or b"management_request_failed" not in data:
                break
            time.sleep(2)
        self.assertEqual(COVERAGE.check_response("PUT", f"/api/v1/clients/{sub}/register", status, ctype, data), [])
        if status != 204:
            log = read_bytes(os.path.join(work, "serve.log")).decode(errors="replace").splitlines()
            self.fail(f"clientReg: {status} {data[:300]!r}\n" + "\n".join(l for l in log[-400:] if "error" in l)[-3000:])
        self.assertIn(json.loads(call("GET", f"/api/v1/clients/{sub}", expect=200))["status"],
                      ("REGISTRATION_IN_PROGRESS", "REGISTERED"))

        def wait_status(status, why):
            deadline = time.time() + 60
            while json.loads(call("GET", f"/api/v1/clients/{sub}", expect=200))["status"] != status:
                self.assertLess(time.time(), deadline, why)
                time.sleep(1)

        wait_status("REGISTERED", "global configuration never listed the subsystem")
        call("PUT", f"/api/v1/clients/{sub}/register", expect=400)  # registered already
        call("DELETE", f"/api/v1/clients/{sub}", expect=400)  # not before it is unregistered
        # Disabled and enabled again (the Central Server carries both out at once).
        call("PUT", f"/api/v1/clients/{sub}/disable", expect=204)
        wait_status("DISABLED", "the subsystem was never DISABLED")
        call("PUT", f"/api/v1/clients/{sub}/enable", expect=204)
        wait_status("REGISTERED", "the subsystem was never enabled again")
        call("PUT", f"/api/v1/clients/{sub}/rename", {"client_name": "New subsystem"}, expect=204)
        call("PUT", f"/api/v1/clients/{sub}/rename", {"client_name": "a/b"}, expect=400)

        # The information systems' TLS certificates.
        ca_der = subprocess.run(["openssl", "x509", "-in", contract["ca"]["cert"], "-outform", "DER"],
                                check=True, capture_output=True).stdout
        cert = json.loads(call("POST", f"/api/v1/clients/{sub}/tls-certificates", ca_der,
                               "application/octet-stream", expect=201))
        digest = cert["hash"]
        call("POST", f"/api/v1/clients/{sub}/tls-certificates", ca_der, "application/octet-stream", expect=409)
        call("POST", f"/api/v1/clients/{sub}/tls-certificates", b"not a certificate", "application/octet-stream",
             expect=400)
        self.assertEqual([c["hash"] for c in json.loads(call("GET", f"/api/v1/clients/{sub}/tls-certificates",
                                                                 expect=200))], [digest])
        self.assertEqual(json.loads(call("GET", f"/api/v1/clients/{sub}/tls-certificates/{digest.lower()}",
                                         expect=200))["hash"], digest)
        call("DELETE", f"/api/v1/clients/{sub}/tls-certificates/{digest}", expect=204)
        call("GET", f"/api/v1/clients/{sub}/tls-certificates/{digest}", expect=404)
        call("GET", "/api/v1/clients/DEV:COM:1001:NOSUCH", expect=404)

        # clientDeletion (plain): DELETION_IN_PROGRESS until the administrator deletes it.
        call("PUT", f"/api/v1/clients/{owner}/unregister", expect=400)
        call("PUT", f"/api/v1/clients/{sub}/unregister", expect=204)
        self.assertEqual(json.loads(call("GET", f"/api/v1/clients/{sub}", expect=200))["status"],
                         "DELETION_IN_PROGRESS")
        call("DELETE", f"/api/v1/clients/{sub}", expect=204)
        call("GET", f"/api/v1/clients/{sub}", expect=404)

        # What the Central Server received is valid by the WSDL and request.xsd.
        received = json.loads(subprocess.run([ROADSIDE, "testbed", "requests", "--dir", testbed], check=True,
                                             capture_output=True, text=True).stdout)
        mine = [r for r in received if r.get("client", "").endswith("/NEWSUB")]
        self.assertEqual([r["type"] for r in mine], ["clientReg", "clientDisable", "clientEnable", "clientRename",
                                                  "clientDeletion"])
        schemas = os.path.join(work, "schemas")
        os.makedirs(schemas)
        for r in mine:
            soap = subprocess.run([ROADSIDE, "testbed", "requests", "--dir", testbed, "--soap", str(r["id"])],
                                  check=True, capture_output=True).stdout
            self.assertEqual(management_soap_problems(soap, schemas), [], soap)
        self.assertEqual(len(json.loads(call("GET", f"/api/v1/clients/{owner}/sign-certificates", expect=200))), 1)
        audit = read_bytes(os.path.join(work, "serve.log")).decode()
        for event in ("Add client", "Register client", "Disable client", "Enable client", "Unregister client",
                      "Delete client", "Add internal TLS certificate", "Delete internal TLS certificate"):
            self.assertIn(f'"event":"{event}"', audit)

ADMIN_VECTORS = os.path.join(VECTORS, "xroad", "admin-api")
# X-Road's WSDLs (wsdl/admin-service, wsdl/wsdlvalidator-addon) and what the admin API makes of
# each (the servicedesc tests read the same files): None accepted, else X-Road's error code.
WSDL_EXPECTED = {
    "admin-service/valid.wsdl": None, "admin-service/testservice.wsdl": None, "admin-service/warning.wsdl": None,
    "admin-service/error.wsdl": None, "admin-service/valid-getrandom.wsdl": None,
    "admin-service/valid-smallattachment.wsdl": None, "admin-service/valid-additional-services.wsdl": None,
    "admin-service/invalid.wsdl": "invalid_wsdl", "admin-service/fault.xml": "invalid_wsdl",
    "admin-service/xxe.wsdl": "invalid_wsdl", "admin-service/invalid-serviceurl.wsdl": "invalid_service_url",
    "admin-service/invalid-servicecode-colon.wsdl": "invalid_wsdl_service_identifier",
    "admin-service/invalid-servicecode-all.wsdl": "invalid_wsdl_service_identifier",
    "admin-service/invalid-serviceversion-percent.wsdl": "invalid_wsdl_service_identifier",
    # Without X-Road's external validator (an add-on) its test WSDLs are read as any other.
    "wsdlvalidator-addon/error.wsdl": None, "wsdlvalidator-addon/testservice.wsdl": None,
    "wsdlvalidator-addon/warn.wsdl": None, "wsdlvalidator-addon/warnanderror.wsdl": None,
    "wsdlvalidator-addon/xroad6.wsdl": None,
}
OPENAPI_EXPECTED = {
    "valid.yaml": None, "valid.json": None, "v310.yaml": None, "v310.json": None, "valid_modified.yaml": None,
    "warnings.yml": "warnings_detected", "duplicateendpoint.yaml": "openapi_parsing_error",
    "invalid_version.yaml": "unsupported_openapi_version", "invalid_version.json": "unsupported_openapi_version",
}
@unittest.skipUnless(os.path.exists(SPEC_FILE), "X-Road's admin-API document not found")


class Served:
    """Files over HTTP on 127.0.0.1 from a dict that a test may change (python's http.server)."""

    def __init__(self):
        import http.server
        import threading
        files = self.files = {}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@unittest.skipUnless(os.path.exists(SPEC_FILE) and os.path.isdir(os.path.join(ADMIN_VECTORS, "wsdl")),
                     "X-Road's admin-API document or its WSDL and OpenAPI files not found")
class ServiceDescriptions(CheckedCalls, unittest.TestCase):
    """A client's WSDL, OpenAPI 3 and REST descriptions read from a local HTTP server, their
    services and endpoints, access rights and local groups, each answer judged by X-Road's
    document."""
    CLIENT = "DEV:COM:9999:SVC"

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.TemporaryDirectory()
        testbed = os.path.join(cls.work.name, "tb")
        subprocess.run([ROADSIDE, "testbed", "init", "--dir", testbed], check=True, capture_output=True)
        conf = os.path.join(cls.work.name, "server.yaml")
        with open(conf, "w") as f:
            f.write("owner: DEV/COM/9999\nserver_code: ssnew\nclients:\n  - id: DEV/COM/9999\n  - id: DEV/COM/9999/SVC\n")
        # Many calls in a row: past X-Road's rate limit they would get 429.
        cls.server = Server(cls.work.name, ["--server-conf", conf, "--set", "admin.rate_limit_requests_per_second=1000",
                                            "--set", "admin.rate_limit_requests_per_minute=100000"],
                            anchor=os.path.join(testbed, "anchor.xml"))
        cls.coverage = COVERAGE
        status, _, body = cls.server.call("POST", "/api/v1/api-keys", basic(), ["XROAD_SERVICE_ADMINISTRATOR"])
        assert status == 200, (status, body)
        cls.admin = api_key(json.loads(body)["key"])
        status, _, body = cls.server.call("POST", "/api/v1/api-keys", basic(), ["XROAD_SECURITYSERVER_OBSERVER"])
        cls.observer = api_key(json.loads(body)["key"])
        cls.served = Served()

    @classmethod
    def tearDownClass(cls):
        cls.served.stop()
        cls.server.stop()
        cls.work.cleanup()

    def call(self, method, path, body=None, expect=None, auth=None):
        status, data = self.checked(method, "/api/v1" + path, auth or self.admin, body)
        answer = json.loads(data) if data else None
        if expect is not None:
            self.assertEqual(status, expect, f"{method} {path}: {data[:400]!r}")
        return status, answer

    def serve(self, path, vector):
        self.served.files[path] = read_bytes(os.path.join(ADMIN_VECTORS, vector))
        return self.served.url(path)

    def add(self, url, kind="WSDL", code=None, ignore=False):
        body = {"url": url, "type": kind, "ignore_warnings": ignore}
        if code:
            body["rest_service_code"] = code
        return self.call("POST", f"/clients/{self.CLIENT}/service-descriptions", body)

    def code(self, answer):
        return answer["error"]["code"]

    def test_every_wsdl_of_xroad_is_accepted_or_refused_with_its_code(self):
        for name, expected in sorted(WSDL_EXPECTED.items()):
            with self.subTest(name):
                url = self.serve("/" + name, os.path.join("wsdl", name))
                status, answer = self.add(url)
                if expected is None:
                    self.assertEqual(status, 201, answer)
                    self.assertEqual((answer["type"], answer["url"], answer["client_id"]), ("WSDL", url, self.CLIENT))
                    self.assertTrue(answer["services"], name)
                    for service in answer["services"]:
                        self.assertTrue(service["id"].startswith(self.CLIENT + ":"))
                        self.assertEqual(service["id"], self.CLIENT + ":" + service["full_service_code"])
                    self.call("DELETE", f"/service-descriptions/{answer['id']}", expect=204)
                else:
                    self.assertEqual((status, self.code(answer)), (400, expected), answer)
        for name in os.listdir(os.path.join(ADMIN_VECTORS, "wsdl", "admin-service")):
            if name.endswith((".wsdl", ".xml")):
                self.assertIn("admin-service/" + name, WSDL_EXPECTED, "a WSDL of X-Road's without an expectation")

    def test_a_wsdl_gives_its_services_and_versions_and_a_refresh_tells_what_changed(self):
        url = self.serve("/refresh.wsdl", "wsdl/admin-service/valid-getrandom.wsdl")
        _, added = self.add(url)
        self.assertEqual([s["full_service_code"] for s in added["services"]], ["xroadGetRandom.v1"])
        sd = added["id"]
        _, services = self.call("GET", f"/service-descriptions/{sd}/services", expect=200)
        self.assertEqual(services[0]["service_code"], "xroadGetRandom")
        # The same services from another URL, the same URL again.
        other = self.serve("/other.wsdl", "wsdl/admin-service/valid.wsdl")
        status, answer = self.add(other)
        self.assertEqual((status, self.code(answer)), (409, "service_already_exists"))
        self.assertEqual(answer["error"]["metadata"], ["xroadGetRandom.v1", url])
        status, answer = self.add(url)
        self.assertEqual((status, self.code(answer)), (409, "url_already_exists"))
        status, answer = self.add(self.served.url("/missing.wsdl"))
        self.assertEqual((status, self.code(answer)), (400, "wsdl_download_failed"))

        self.served.files["/refresh.wsdl"] = read_bytes(os.path.join(ADMIN_VECTORS, "wsdl/admin-service/valid.wsdl"))
        status, answer = self.call("PUT", f"/service-descriptions/{sd}/refresh", {"ignore_warnings": False})
        self.assertEqual((status, self.code(answer)), (400, "warnings_detected"))
        self.assertEqual(answer["warnings"], [{"code": "adding_services",
                                               "metadata": ["xroadSmallAttachment.v1", "xroadBigAttachment.v1"]}])
        _, refreshed = self.call("PUT", f"/service-descriptions/{sd}/refresh", {"ignore_warnings": True}, expect=200)
        self.assertEqual(refreshed["id"], sd)
        self.assertEqual(len(refreshed["services"]), 3)
        self.served.files["/refresh.wsdl"] = read_bytes(os.path.join(ADMIN_VECTORS, "wsdl/admin-service/valid-getrandom.wsdl"))
        status, answer = self.call("PUT", f"/service-descriptions/{sd}/refresh", {})
        self.assertEqual(answer["warnings"], [{"code": "deleting_services",
                                               "metadata": ["xroadSmallAttachment.v1", "xroadBigAttachment.v1"]}])
        self.call("PUT", f"/service-descriptions/{sd}/refresh", {"ignore_warnings": True}, expect=200)

        # Disabled with a notice: the revision the proxies read has it, and the server proxy
        # refuses a call with service_disabled and the notice (proxy/server_proxy_test.cc).
        self.call("PUT", f"/service-descriptions/{sd}/disable", {"disabled_notice": "Back on Monday"}, expect=204)
        _, now = self.call("GET", f"/service-descriptions/{sd}", expect=200)
        self.assertEqual((now["disabled"], now["disabled_notice"]), (True, "Back on Monday"))
        self.call("PUT", f"/service-descriptions/{sd}/enable", expect=204)
        self.assertFalse(self.call("GET", f"/service-descriptions/{sd}", expect=200)[1]["disabled"])

        # A service's address, timeout and TLS check.
        service_id = f"{self.CLIENT}:xroadGetRandom.v1"
        _, service = self.call("PATCH", f"/services/{service_id}",
                               {"url": "https://127.0.0.1:9/ws", "timeout": 30, "ssl_auth": False}, expect=200)
        self.assertEqual((service["url"], service["timeout"], service["ssl_auth"]), ("https://127.0.0.1:9/ws", 30, False))
        status, answer = self.call("PATCH", f"/services/{service_id}", {"url": "ftp://x", "timeout": 30, "ssl_auth": True})
        self.assertEqual(status, 400)
        self.assertEqual(self.call("PATCH", f"/services/{service_id}", {"url": "http://a/", "timeout": 30,
                                                                        "ssl_auth": True}, auth=self.observer)[0], 403)
        self.call("DELETE", f"/service-descriptions/{sd}", expect=204)
        self.call("GET", f"/service-descriptions/{sd}", expect=404)

    def test_every_openapi_file_of_xroad_is_accepted_or_refused_with_its_code(self):
        for n, (name, expected) in enumerate(sorted(OPENAPI_EXPECTED.items())):
            with self.subTest(name):
                url = self.serve("/oas/" + name, os.path.join("openapiparser", name))
                status, answer = self.add(url, "OPENAPI3", f"oas{n}")
                if expected is None:
                    self.assertEqual(status, 201, answer)
                    self.assertEqual(answer["type"], "OPENAPI3")
                    [service] = answer["services"]
                    self.assertEqual(service["full_service_code"], f"oas{n}")
                    endpoints = service["endpoints"]
                    self.assertEqual((endpoints[0]["method"], endpoints[0]["path"], endpoints[0]["generated"]),
                                     ("*", "**", True))
                    self.assertGreater(len(endpoints), 1)
                    self.assertTrue(all(e["generated"] for e in endpoints))
                    self.call("DELETE", f"/service-descriptions/{answer['id']}", expect=204)
                else:
                    self.assertEqual((status, self.code(answer)), (400, expected), answer)
                    if expected == "warnings_detected":
                        self.assertEqual(answer["warnings"][0]["code"], "openapi_validation_warnings")
                        _, added = self.add(url, "OPENAPI3", f"oas{n}", ignore=True)
                        self.call("DELETE", f"/service-descriptions/{added['id']}", expect=204)

    def test_an_openapi_refresh_tells_which_endpoints_come_and_go(self):
        url = self.serve("/pets.yaml", "openapiparser/valid.yaml")
        status, added = self.add(url, "OPENAPI3", "pets")
        self.assertEqual(status, 201, added)
        sd = added["id"]
        status, answer = self.add(self.served.url("/x"), "REST", "pets")
        self.assertEqual((status, self.code(answer)), (409, "service_code_already_exists"))
        generated = added["services"][0]["endpoints"][1]
        status, answer = self.call("DELETE", f"/endpoints/{generated['id']}")
        self.assertEqual((status, self.code(answer)), (400, "illegal_generated_endpoint_remove"))
        status, answer = self.call("PATCH", f"/endpoints/{generated['id']}", {"method": "GET", "path": "/x"})
        self.assertEqual((status, self.code(answer)), (400, "illegal_generated_endpoint_update"))
        self.served.files["/pets.yaml"] = read_bytes(os.path.join(ADMIN_VECTORS, "openapiparser/valid_modified.yaml"))
        status, answer = self.call("PUT", f"/service-descriptions/{sd}/refresh", {"ignore_warnings": False})
        self.assertEqual((status, self.code(answer)), (400, "warnings_detected"))
        codes = {w["code"]: w["metadata"] for w in answer["warnings"]}
        self.assertIn("adding_endpoints", codes)
        _, refreshed = self.call("PUT", f"/service-descriptions/{sd}/refresh", {"ignore_warnings": True}, expect=200)
        paths = [(e["method"], e["path"]) for e in refreshed["services"][0]["endpoints"]]
        for added_endpoint in codes["adding_endpoints"]:
            self.assertIn(tuple(added_endpoint.split(" ", 1)), paths)
        # A new URL and a new service code; the type stays.
        moved = self.serve("/pets2.yaml", "openapiparser/valid.yaml")
        status, answer = self.call("PATCH", f"/service-descriptions/{sd}", {"type": "WSDL", "url": moved})
        self.assertEqual((status, self.code(answer)), (400, "wrong_servicedescription_type"))
        _, patched = self.call("PATCH", f"/service-descriptions/{sd}",
                               {"type": "OPENAPI3", "url": moved, "rest_service_code": "pets",
                                "new_rest_service_code": "pets2", "ignore_warnings": True}, expect=200)
        self.assertEqual((patched["url"], patched["services"][0]["id"]), (moved, f"{self.CLIENT}:pets2"))
        self.call("GET", f"/services/{self.CLIENT}:pets", expect=404)
        self.call("DELETE", f"/service-descriptions/{sd}", expect=204)

    def test_access_rights_and_local_groups(self):
        _, rest = self.add(self.served.url("/rest"), "REST", "orders")
        sd = rest["id"]
        service = f"{self.CLIENT}:orders"
        _, endpoint = self.call("POST", f"/services/{service}/endpoints",
                                {"service_code": "orders", "method": "POST", "path": "/orders"}, expect=201)
        self.assertFalse(endpoint["generated"])
        status, answer = self.call("POST", f"/services/{service}/endpoints",
                                   {"service_code": "orders", "method": "POST", "path": "/orders"})
        self.assertEqual((status, self.code(answer)), (409, "endpoint_already_exists"))
        _, moved = self.call("PATCH", f"/endpoints/{endpoint['id']}", {"method": "PUT", "path": "/orders/*"}, expect=200)
        self.assertEqual((moved["method"], moved["path"]), ("PUT", "/orders/*"))

        _, group = self.call("POST", f"/clients/{self.CLIENT}/local-groups",
                             {"code": "partners", "description": "Our partners"}, expect=201)
        status, answer = self.call("POST", f"/clients/{self.CLIENT}/local-groups", {"code": "partners", "description": "x"})
        self.assertEqual((status, self.code(answer)), (409, "local_group_code_already_exists"))
        _, members = self.call("POST", f"/local-groups/{group['id']}/members", {"items": ["DEV:COM:1001:CLI"]}, expect=201)
        self.assertEqual(members["items"], ["DEV:COM:1001:CLI"])
        status, answer = self.call("POST", f"/local-groups/{group['id']}/members", {"items": ["DEV:COM:1001:CLI"]})
        self.assertEqual((status, self.code(answer)), (409, "local_group_member_already_exists"))
        _, group = self.call("GET", f"/local-groups/{group['id']}", expect=200)
        self.assertEqual((group["member_count"], group["members"][0]["id"]), (1, "DEV:COM:1001:CLI"))
        self.call("PATCH", f"/local-groups/{group['id']}", {"description": "Partners"}, expect=200)
        _, groups = self.call("GET", f"/clients/{self.CLIENT}/local-groups", expect=200)
        self.assertEqual([g["description"] for g in groups], ["Partners"])

        # Rights to the service, to one endpoint, and by subject.
        _, given = self.call("POST", f"/services/{service}/service-clients",
                             {"items": [{"id": "DEV:COM:1002:CLI", "service_client_type": "SUBSYSTEM"},
                                        {"id": group["id"], "service_client_type": "LOCALGROUP"}]}, expect=201)
        self.assertEqual({c["service_client_type"] for c in given}, {"SUBSYSTEM", "LOCALGROUP"})
        status, answer = self.call("POST", f"/services/{service}/service-clients",
                                   {"items": [{"id": "DEV:COM:1002:CLI", "service_client_type": "SUBSYSTEM"}]})
        self.assertEqual((status, self.code(answer)), (409, "duplicate_accessright"))
        _, clients = self.call("GET", f"/services/{service}/service-clients", expect=200)
        self.assertEqual(len(clients), 2)
        self.assertEqual(self.call("GET", f"/services/{service}", expect=200)[1]["subjects_count"], 2)
        self.call("POST", f"/endpoints/{endpoint['id']}/service-clients",
                  {"items": [{"id": "DEV:COM:1003:CLI", "service_client_type": "SUBSYSTEM"}]}, expect=201)
        _, on_endpoint = self.call("GET", f"/endpoints/{endpoint['id']}/service-clients", expect=200)
        self.assertEqual([c["id"] for c in on_endpoint], ["DEV:COM:1003:CLI"])
        _, subjects = self.call("GET", f"/clients/{self.CLIENT}/service-clients", expect=200)
        self.assertEqual(len(subjects), 2)  # rights to whole services, as X-Road lists them
        self.call("GET", f"/clients/{self.CLIENT}/service-clients/DEV:COM:1002:CLI", expect=200)
        _, rights = self.call("GET", f"/clients/{self.CLIENT}/service-clients/DEV:COM:1002:CLI/access-rights", expect=200)
        self.assertEqual([r["service_code"] for r in rights], ["orders"])
        self.call("POST", f"/clients/{self.CLIENT}/service-clients/DEV:COM:1002:CLI/access-rights/delete",
                  {"items": [{"service_code": "orders"}]}, expect=204)
        self.call("POST", f"/clients/{self.CLIENT}/service-clients/DEV:COM:1002:CLI/access-rights",
                  {"items": [{"service_code": "orders"}]}, expect=201)
        self.call("POST", f"/services/{service}/service-clients/delete",
                  {"items": [{"id": "DEV:COM:1002:CLI", "service_client_type": "SUBSYSTEM"}]}, expect=204)
        status, answer = self.call("POST", f"/services/{service}/service-clients/delete",
                                   {"items": [{"id": "DEV:COM:1002:CLI", "service_client_type": "SUBSYSTEM"}]})
        self.assertEqual((status, self.code(answer)), (404, "accessright_not_found"))
        self.call("POST", f"/endpoints/{endpoint['id']}/service-clients/delete",
                  {"items": [{"id": "DEV:COM:1003:CLI", "service_client_type": "SUBSYSTEM"}]}, expect=204)

        self.call("POST", f"/local-groups/{group['id']}/members/delete", {"items": ["DEV:COM:1001:CLI"]}, expect=204)
        self.call("DELETE", f"/local-groups/{group['id']}", expect=204)
        self.call("GET", f"/local-groups/{group['id']}", expect=404)
        self.call("DELETE", f"/endpoints/{endpoint['id']}", expect=204)
        self.call("DELETE", f"/service-descriptions/{sd}", expect=204)
        # Every change was audited under X-Road's event name.
        log = read_bytes(os.path.join(self.work.name, "serve.log")).decode()
        for event in ("Add service description", "Add rest endpoint", "Edit rest endpoint", "Add group",
                      "Add members to group", "Add access rights to service", "Remove access rights from service",
                      "Add access rights to subject", "Remove access rights from subject", "Delete group",
                      "Delete service description"):
            self.assertIn(f'"event":"{event}"', log)

    def test_hostile_requests_get_a_4xx(self):
        for path in ("/service-descriptions/-1", "/service-descriptions/99999999999999999999", "/endpoints/abc",
                     "/local-groups/1e3", "/services/DEV:COM", f"/clients/{self.CLIENT}x/service-descriptions"):
            status, _ = self.call("GET", path)
            self.assertIn(status, (400, 404), path)
        for body in ({"url": "ftp://x", "type": "WSDL"}, {"url": "http://x", "type": "SOAP"},
                     {"url": "http://x", "type": "REST", "rest_service_code": "a/b"}, {"url": 5, "type": "WSDL"},
                     ["not", "an", "object"]):
            status, _ = self.call("POST", f"/clients/{self.CLIENT}/service-descriptions", body)
            self.assertEqual(status, 400, body)


@unittest.skipUnless(os.path.exists(SPEC_FILE), "X-Road's admin-API document not found")
class DisabledService(unittest.TestCase):
    """A service description disabled over the admin API of a testbed instance's provider: a
    call through the other server's client proxy answers service_disabled with the notice."""

    def test_a_disabled_service_answers_service_disabled_with_its_notice(self):
        with tempfile.TemporaryDirectory() as work:
            env = dict(os.environ, XROAD_ADMIN_USER=ADMIN, XROAD_ADMIN_PASSWORD=PASSWORD)
            testbed = os.path.join(work, "tb")
            subprocess.run([ROADSIDE, "testbed", "init", "--dir", testbed], check=True, capture_output=True, env=env)
            up_log = open(os.path.join(work, "up.log"), "w+")
            up = subprocess.Popen([ROADSIDE, "testbed", "up", "--dir", testbed], stdout=up_log, stderr=subprocess.STDOUT,
                                  env=env)
            try:
                instance = json.loads(read_bytes(os.path.join(testbed, "instance.json")))
                provider = next(s for s in instance["servers"] if "SUBSYSTEM:DEV/COM/1002/SERVICE" in s["clients"])
                consumer = next(s for s in instance["servers"] if "SUBSYSTEM:DEV/COM/1001/CLIENT" in s["clients"])
                echo = f"http://{consumer['client_http']}/r1/DEV/COM/1002/SERVICE/echo/hello"

                def call_echo():
                    req = urllib.request.Request(echo, headers={"X-Road-Client": "DEV/COM/1001/CLIENT"})
                    try:
                        with urllib.request.urlopen(req, timeout=10) as r:
                            return r.status, r.read().decode("utf-8", "replace")
                    except urllib.error.HTTPError as e:
                        return e.code, e.read().decode("utf-8", "replace")
                    except OSError as e:
                        return 0, str(e)

                def until(predicate, seconds):
                    deadline = time.time() + seconds
                    while time.time() < deadline:
                        answer = call_echo()
                        if predicate(answer):
                            return answer
                        time.sleep(0.5)
                    up_log.seek(0)
                    self.fail(f"{echo} answered {answer}; the testbed's log ends:\n" + up_log.read()[-3000:])

                until(lambda a: a[0] == 200, 120)
                admin = provider["admin_url"] + "/api/v1"
                status, _, body = https_call(admin, "POST", "/api-keys", basic(), ["XROAD_SERVICE_ADMINISTRATOR"])
                self.assertEqual(status, 200, body)
                key = api_key(json.loads(body)["key"])

                def checked(method, path, body=None):
                    status, ctype, data = https_call(admin, method, path, key, body)
                    self.assertEqual(COVERAGE.check_response(method, "/api/v1" + path, status, ctype, data), [])
                    return status, json.loads(data) if data else None

                _, descriptions = checked("GET", "/clients/DEV:COM:1002:SERVICE/service-descriptions")
                [sd] = [d for d in descriptions if any(s["id"] == "DEV:COM:1002:SERVICE:echo" for s in d["services"])]
                self.assertEqual(checked("PUT", f"/service-descriptions/{sd['id']}/disable",
                                         {"disabled_notice": "Back on Monday"})[0], 204)
                status, answer = until(lambda a: a[0] != 200, 30)
                self.assertRegex(answer, r"(?i)service_?disabled")
                self.assertIn("Back on Monday", answer)
                self.assertEqual(checked("PUT", f"/service-descriptions/{sd['id']}/enable")[0], 204)
                until(lambda a: a[0] == 200, 30)
            finally:
                up.terminate()
                up.wait(60)
                up_log.close()


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
    unittest.main(argv=sys.argv[:1] + sys.argv[2:], verbosity=2)
