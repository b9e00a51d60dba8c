#!/usr/bin/python3
"""A Java Security Server taken over by `roadside import-xroad` from its backup, in X-Road's format.

The backup is built here as X-Road's backup scripts build one, from X-Road's test system's
identity (vectors/xroad/pki): server DEV/COM/1234/SS0 with its software token (keyconf.xml and
.p12 files under PIN Secret1234, certificates of X-Road's test CA), a configuration anchor, the
internal TLS key (openssl req and pkcs12 as generate_certificate.sh makes them) and the serverconf
database dumped by the real pg_dump (tests/fixtures/make-xroad-dump.sh, X-Road's schema and a
server's rows); GNU tar with the label security_XROAD_7.1_DEV/COM/1234/SS0, signed by gpg with the
server's own key.

A testbed instance runs with X-Road's test CA (`testbed init --ca`) and lists SS0 (`testbed
add-server`). Refused: a wrong PIN, an archive with one byte changed, a second import. Then the
import, and `roadside serve` is SS0: /readyz 200, a message from its client to ss2's service and
one from ss1's client to its service (allowed through the local group the dump holds), its client
TLS port presenting the imported internal certificate.

    import_xroad_test.py ROADSIDE_BINARY PG_INFO_FILE
"""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from testbed_support import (RunningTestbed, ServeProcess, free_port, readyz, rest_get, until_ok, wait_for,  # noqa: E402
                             write_server_config)

ROADSIDE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ROADSIDE_BINARY", "")
PG_INFO = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("ROADSIDE_TEST_PG_INFO", "")
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
VECTORS = os.environ.get("ROADSIDE_VECTORS_DIR") or os.path.join(os.path.dirname(SOURCE), "shared", "vectors")
PKI = os.path.join(VECTORS, "xroad", "pki")
SERVER = "DEV/COM/1234/SS0"
ADDRESS = "127.0.0.13"
PIN = "Secret1234"


def run(*args, env=None, check=True, cwd=None):
    r = subprocess.run(list(args), capture_output=True, text=True, env=env, cwd=cwd)
    if check and r.returncode != 0:
        raise AssertionError(f"{args[0]} {args[1] if len(args) > 1 else ''}: exit {r.returncode}\n{r.stdout}{r.stderr}")
    return r


@unittest.skipUnless(ROADSIDE, "give the roadside binary")
@unittest.skipUnless(PG_INFO and os.path.exists(PG_INFO), "no PostgreSQL test server (ctest's fixture postgres)")
@unittest.skipUnless(os.path.isdir(PKI), "X-Road test vectors not found (set ROADSIDE_VECTORS_DIR)")
class ImportXRoad(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.TemporaryDirectory()
        self.dir = self.work.name
        self.testbed = RunningTestbed(ROADSIDE, os.path.join(self.dir, "tb"), "--ca", os.path.join(PKI, "test-ca"))
        self.contract = self.testbed.contract
        run(ROADSIDE, "testbed", "add-server", "--dir", self.testbed.dir, "--id", SERVER, "--address", ADDRESS,
            "--token", os.path.join(PKI, "softtoken"), "DEV/COM/1234/TestService", "DEV/COM/4321",
            "DEV/COM/4321/TestClient", "DEV/COM/4321/Quiet")
        # ss2 lets SS0's client call its echo service.
        ss2_conf = self.contract["servers"][1]["server_conf"]
        with open(ss2_conf) as f:
            text = f.read()
        text = text.replace("      - service: echo\n        subjects: [",
                            "      - service: echo\n        subjects: [SUBSYSTEM:DEV/COM/4321/TestClient, ", 1)
        with open(ss2_conf, "w") as f:
            f.write(text)
        self.testbed.start(os.path.join(self.dir, "up.log"))
        self.server = None
        peer = self.contract["servers"][0]
        self.health_port, self.client_port, self.client_tls_port = free_port(), free_port(), free_port()
        self.config = os.path.join(self.dir, "roadside.yaml")
        write_server_config(self.config, f"{self.dir}/data", f"{self.dir}/anchor.xml", ADDRESS, peer, self.health_port, 0,
                            self.client_port, self.client_tls_port)
        self.env = dict(os.environ, ROADSIDE_CONFIG=self.config, XROAD_TOKEN_PIN=PIN,
                        ROADSIDE_TIMESTAMPING_INTERVAL_S="2")

    def tearDown(self):
        if self.server:
            self.server.stop()
        self.testbed.stop()
        if os.environ.get("IMPORT_TEST_KEEP"):
            subprocess.run(["cp", "-r", self.dir, os.environ["IMPORT_TEST_KEEP"]])
        self.work.cleanup()

    def service_url(self, code):
        return next(s["url"] for s in self.contract["services"] if s["id"].endswith("/" + code) or
                    s["id"].endswith("/" + code + "/v1"))

    def build_backup(self):
        """X-Road's backup of SS0: (the .gpg file, the gpg home that signed it, the internal certificate)."""
        root = os.path.join(self.dir, "xroad")
        etc = os.path.join(root, "etc", "xroad")
        os.makedirs(os.path.join(etc, "signer"))
        shutil.copytree(os.path.join(PKI, "softtoken"), os.path.join(etc, "signer", "softtoken"))
        shutil.move(os.path.join(etc, "signer", "softtoken", "keyconf.xml"), os.path.join(etc, "signer", "keyconf.xml"))
        shutil.copy(self.contract["anchor"], os.path.join(etc, "configuration-anchor.xml"))
        ssl_dir = os.path.join(etc, "ssl")
        os.makedirs(ssl_dir)
        # generate_certificate.sh -n internal -p: a self-signed certificate, the key without a
        # password, and internal.p12 under "internal".
        run("openssl", "req", "-new", "-x509", "-days", "7300", "-nodes", "-newkey", "rsa:2048", "-subj", "/CN=ss0",
            "-out", os.path.join(ssl_dir, "internal.crt"), "-keyout", os.path.join(ssl_dir, "internal.key"))
        run("openssl", "pkcs12", "-export", "-in", os.path.join(ssl_dir, "internal.crt"), "-inkey",
            os.path.join(ssl_dir, "internal.key"), "-name", "internal", "-out", os.path.join(ssl_dir, "internal.p12"),
            "-passout", "pass:internal")
        os.makedirs(os.path.join(etc, "conf.d"))
        with open(os.path.join(etc, "conf.d", "local.ini"), "w") as f:
            f.write("[proxy]\nhealth-check-port=5588\n")
        os.makedirs(os.path.join(root, "var", "lib", "xroad"))
        is_cert = subprocess.run(["openssl", "x509", "-in", os.path.join(ssl_dir, "internal.crt"), "-outform", "DER"],
                                 capture_output=True, check=True).stdout.hex()
        run(os.path.join(SOURCE, "tests", "fixtures", "make-xroad-dump.sh"), PG_INFO,
            os.path.join(root, "var", "lib", "xroad", "dbdump.dat"), "echo_url=" + self.service_url("echo"),
            "soap_url=" + self.service_url("getRandom"), "wsdl_url=" + self.service_url("getRandom") + "?wsdl",
            "tsa_url=" + self.contract["tsa_url"], "is_cert=" + is_cert)
        # _backup_xroad.sh: tar --create --label, piped to gpg --sign with the server's key.
        gpghome = os.path.join(self.dir, "gpghome")
        os.makedirs(gpghome, mode=0o700)
        run("gpg", "--batch", "--homedir", gpghome, "--passphrase", "", "--quick-gen-key", SERVER, "rsa2048", "sign",
            "never")
        tar = os.path.join(self.dir, "backup.tar")
        run("tar", "--create", "--label", "security_XROAD_7.1_" + SERVER, "--file", tar, "-C", root, "etc/xroad/",
            "var/lib/xroad/dbdump.dat")
        backup = os.path.join(self.dir, "conf_backup_20261206-120000.gpg")
        run("gpg", "--batch", "--no-tty", "--homedir", gpghome, "--sign", "--digest-algo", "SHA256", "--output",
            backup, tar)
        with open(os.path.join(ssl_dir, "internal.crt")) as f:
            return backup, gpghome, f.read()

    def import_xroad(self, *args, pin=PIN):
        env = dict(self.env)
        if pin is None:
            env.pop("XROAD_TOKEN_PIN", None)
        else:
            env["XROAD_TOKEN_PIN"] = pin
        return run(ROADSIDE, "import-xroad", *args, env=env, check=False)

    def test_the_imported_server_is_the_java_server(self):
        backup, gpghome, internal_pem = self.build_backup()

        # Refused before anything is stored: a PIN that does not open the token, an archive
        # whose signature no longer holds.
        wrong = self.import_xroad(backup, "--gpg-home", gpghome, pin="not-the-pin")
        self.assertEqual(wrong.returncode, 1, wrong.stdout + wrong.stderr)
        self.assertIn("does not open the software token's keys", wrong.stderr)
        with open(backup, "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0x01
        tampered = os.path.join(self.dir, "tampered.gpg")
        with open(tampered, "wb") as f:
            f.write(data)
        changed = self.import_xroad(tampered, "--gpg-home", gpghome)
        self.assertEqual(changed.returncode, 1, changed.stdout + changed.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "anchor.xml")))

        # A keyring given, the plain tar is refused: nothing in it could be checked.
        plain = self.import_xroad(os.path.join(self.dir, "backup.tar"), "--gpg-home", gpghome)
        self.assertEqual(plain.returncode, 1, plain.stdout + plain.stderr)
        self.assertIn("is a plain tar, not a gpg message", plain.stderr)

        imported = self.import_xroad(backup, "--gpg-home", gpghome)
        self.assertEqual(imported.returncode, 0, imported.stdout + imported.stderr)
        out = imported.stdout
        self.assertIn(f"imported SERVER:{SERVER}", out)
        self.assertIn("3 keys of the software token (2 signing, 1 authentication)", out)
        self.assertIn("5 clients, 1 information-system certificates, 2 service descriptions, 2 services", out)
        self.assertIn("the archive's signature, checked with", out)
        self.assertIn("not imported: 1 API keys", out)
        self.assertIn("not imported: conf.d/local.ini's 1 system parameters", out)
        self.assertNotIn(PIN, out + imported.stderr)
        again = self.import_xroad(backup, "--gpg-home", gpghome)
        self.assertEqual(again.returncode, 1)
        self.assertIn("target_not_empty", again.stderr)

        # roadside serve is SS0 now.
        self.server = ServeProcess(ROADSIDE, self.env, os.path.join(self.dir, "serve.log"))
        health = f"http://127.0.0.1:{self.health_port}"
        ready = wait_for(lambda: readyz(health)[0] == 200, 90, 1)
        self.assertTrue(ready, f"{readyz(health)}\n{self.server.output()}")
        presented = ssl.get_server_certificate(("127.0.0.1", self.client_tls_port))
        self.assertEqual(ssl.PEM_cert_to_DER_cert(presented), ssl.PEM_cert_to_DER_cert(internal_pem))

        # Its client calls ss2's service; ss1's client calls its service (the local group).
        ss1_client = int(self.contract["servers"][0]["client_http"].rsplit(":", 1)[1])
        own = f"127.0.0.1:{self.client_port}"
        ss1 = f"127.0.0.1:{ss1_client}"
        outgoing = lambda: rest_get(own, "DEV/COM/4321/TestClient", "DEV/COM/1002/SERVICE/echo/out")
        incoming = lambda: rest_get(ss1, "DEV/COM/1001/CLIENT", "DEV/COM/1234/TestService/echo/in/x")
        for name, send, path in (("outgoing", outgoing, "/echo/out"), ("incoming", incoming, "/echo/in/x")):
            answer = until_ok(send)
            self.assertEqual(answer[0], 200, f"{name}: {answer}\n{self.server.output()[-3000:]}")
            self.assertEqual(json.loads(answer[1])["path"], path)
        # The rights came along as they were: the local group's is to GET /in/** only.
        refused = rest_get(ss1, "DEV/COM/1001/CLIENT", "DEV/COM/1234/TestService/echo/out")
        self.assertEqual(refused[0], 500, refused)  # (X-Road's status for a fault from the provider's side)
        self.assertEqual(json.loads(refused[1])["type"], "server.serverproxy.access_denied", refused)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
