#!/usr/bin/python3
"""A server's backup, its loss and its restore, against a running testbed instance.

ss1 backs itself up while it runs (`roadside backup create`: the admin API, signed with its
authentication key). `backup verify` accepts the file and refuses it with one byte changed
(in a header, in the data, in the signature, past the end). Then ss1 is stopped and its data
directory deleted: the database, the token, the caches are gone. `backup restore` (as an
unprivileged user, into the new empty database, global configuration downloaded to check the
signer) brings it back, and `roadside serve` on it (no token folder, no configuration file: only
what was restored) has the same authentication certificate, answers /readyz 200 and carries a
message to ss2. ss2's backup is refused on it unless forced.

    backup_test.py ROADSIDE_BINARY
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from testbed_support import RunningTestbed, ServeProcess, readyz, rest_get, until_ok, wait_for  # noqa: E402

ROADSIDE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ROADSIDE_BINARY", "")
NOBODY = 65534


@unittest.skipUnless(ROADSIDE, "give the roadside binary")
class BackupAndRestore(unittest.TestCase):
    def setUp(self):
        self.work = tempfile.TemporaryDirectory()
        self.dir = self.work.name
        os.chmod(self.dir, 0o755)
        self.testbed = RunningTestbed(ROADSIDE, os.path.join(self.dir, "tb"))
        self.contract = self.testbed.contract
        with open(os.path.join(self.testbed.dir, "secrets", "token-pin")) as f:
            self.pin = f.read().strip()
        self.testbed.start(os.path.join(self.dir, "up.log"))
        self.server = None
        self.ss1, self.ss2 = self.contract["servers"][0], self.contract["servers"][1]

    def tearDown(self):
        if self.server:
            self.server.stop()
        self.testbed.stop()
        if os.environ.get("BACKUP_TEST_KEEP"):
            subprocess.run(["cp", "-r", self.dir, os.environ["BACKUP_TEST_KEEP"]])
        self.work.cleanup()

    def roadside(self, config, *args, user=None):
        env = dict(os.environ, ROADSIDE_CONFIG=config, XROAD_TOKEN_PIN=self.pin)
        cmd = [ROADSIDE, *args]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, env=env)

    def ready(self, server):
        return readyz(server["health_url"])[0] == 200

    def auth_cert_hash(self, config):
        """The authentication certificate's hash in the database of `config` (the admin API's /tokens)."""
        r = self.roadside(config, "api", "GET", "/tokens")
        self.assertEqual(r.returncode, 0, r.stderr)
        hashes = [c["certificate_details"]["hash"] for t in json.loads(r.stdout) for k in t["keys"]
                  if k["usage"] == "AUTHENTICATION" for c in k["certificates"]]
        self.assertEqual(len(hashes), 1, r.stdout)
        return hashes[0]

    def stop_testbed_server(self, server):
        """Stops the `roadside serve` that `testbed up` runs for `server` (it exits 0; the testbed goes on)."""
        pids = subprocess.run(["pgrep", "-f", f"serve --config {server['config']}"], capture_output=True,
                              text=True).stdout.split()
        self.assertTrue(pids, "the testbed's server is not running")
        for pid in pids:
            os.kill(int(pid), signal.SIGTERM)
        sock = os.path.join(os.path.dirname(server["config"]), "data", "control.sock")
        self.assertTrue(wait_for(lambda: not os.path.exists(sock), 30), "the server did not stop")

    def test_a_lost_server_comes_back_from_its_backup(self):
        ss1_config, ss2_config = self.ss1["config"], self.ss2["config"]
        self.assertTrue(wait_for(lambda: self.ready(self.ss1) and self.ready(self.ss2), 90), "the testbed did not start")
        before = self.auth_cert_hash(ss1_config)

        # Backups made by the running servers.
        made = self.roadside(ss1_config, "backup", "create")
        self.assertEqual(made.returncode, 0, made.stderr)
        name = json.loads(made.stdout)["filename"]
        self.assertRegex(name, r"^conf_backup_\d{8}-\d{6}\.tar$")
        listed = json.loads(self.roadside(ss1_config, "backup", "list").stdout)
        self.assertEqual([b["filename"] for b in listed], [name])
        ss1_data = os.path.join(os.path.dirname(ss1_config), "data")
        backup = os.path.join(self.dir, name)
        shutil.copy(os.path.join(ss1_data, "backups", name), backup)
        other = self.roadside(ss2_config, "backup", "create")
        self.assertEqual(other.returncode, 0, other.stderr)
        ss2_backup = os.path.join(os.path.dirname(ss2_config), "data", "backups", json.loads(other.stdout)["filename"])

        verified = self.roadside(ss1_config, "backup", "verify", backup)
        self.assertEqual(verified.returncode, 0, verified.stderr)
        self.assertIn("intact", verified.stdout)
        self.assertIn(f"signed by: {before}", verified.stdout)
        self.assertIn("global configuration lists its signer's certificate as SERVER:DEV/COM/1001/ss1's",
                      verified.stdout)

        # One changed byte, anywhere: refused.
        with open(backup, "rb") as f:
            original = f.read()
        changed = os.path.join(self.dir, "changed.tar")
        for at in (100, 700, 1500, len(original) // 2, len(original) - 1500, len(original) - 1):
            data = bytearray(original)
            data[at] ^= 0x20
            with open(changed, "wb") as f:
                f.write(data)
            r = self.roadside(ss1_config, "backup", "verify", changed)
            self.assertEqual(r.returncode, 1, f"byte {at} changed, and verify said: {r.stdout}")
            self.assertIn("backup_malformed", r.stderr)

        # ss1 is lost: stopped, its data directory gone.
        self.stop_testbed_server(self.ss1)
        shutil.rmtree(ss1_data)
        # Restored as an unprivileged user into the new, empty database; its configuration
        # without the token folder and configuration file the testbed gave it at first.
        with open(ss1_config) as f:
            text = f.read()
        text = re.sub(r"token:\n  import_dir: .*\n", "", text)
        text = re.sub(r"server_conf:\n  file: .*\n  poll_interval_s: \d+\n", "", text)
        restored_config = os.path.join(self.dir, "restored.yaml")
        with open(restored_config, "w") as f:
            f.write(text)
        self.assertNotIn("import_dir", text)
        as_user = None
        if os.getuid() == 0:
            as_user = NOBODY
            os.makedirs(ss1_data, mode=0o700)
            os.chown(ss1_data, NOBODY, NOBODY)
            os.chmod(backup, 0o644)
            os.chmod(restored_config, 0o644)
        restored = self.roadside(restored_config, "backup", "restore", backup, user=as_user)
        self.assertEqual(restored.returncode, 0, restored.stdout + restored.stderr)
        self.assertIn("restored", restored.stdout)
        if as_user is not None:
            subprocess.run(["chown", "-R", "root:root", ss1_data], check=True)
        self.assertEqual(self.auth_cert_hash(restored_config), before)

        # It serves as ss1 did.
        self.server = ServeProcess(ROADSIDE, dict(os.environ, ROADSIDE_CONFIG=restored_config, XROAD_TOKEN_PIN=self.pin),
                                   os.path.join(self.dir, "serve.log"))
        self.assertTrue(wait_for(lambda: self.ready(self.ss1), 90, 1), self.server.output())
        client = self.ss1["client_http"]

        answer = until_ok(lambda: rest_get(client, "DEV/COM/1001/CLIENT", "DEV/COM/1002/SERVICE/echo/after-restore"))
        self.assertEqual(answer[0], 200, f"{answer}\n{self.server.output()[-3000:]}")
        self.assertEqual(json.loads(answer[1])["path"], "/echo/after-restore")

        # ss2's backup is another server's: refused while ss1 runs (it must be stopped), refused
        # without --force once it is stopped, restored with it.
        running = self.roadside(restored_config, "backup", "restore", backup)
        self.assertEqual(running.returncode, 1, running.stdout)
        self.assertIn("stop it first", running.stderr)
        self.server.stop()
        self.server = None
        refused = self.roadside(restored_config, "backup", "restore", ss2_backup)
        self.assertEqual(refused.returncode, 1, refused.stdout)
        self.assertIn("backup_of_other_server", refused.stderr)
        self.assertIn("SERVER:DEV/COM/1002/ss2", refused.stderr)
        self.assertEqual(self.auth_cert_hash(restored_config), before)  # nothing changed
        forced = self.roadside(restored_config, "backup", "restore", ss2_backup, "--force")
        self.assertEqual(forced.returncode, 0, forced.stderr)
        self.assertNotEqual(self.auth_cert_hash(restored_config), before)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
