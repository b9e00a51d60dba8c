#!/usr/bin/python3
"""A new server whose keys are on a PKCS#11 token (SoftHSM2) joins a running testbed instance.

The onboarding scenario of onboarding_test.py by curl, with both keys generated on the hardware
token the server's devices.ini names (X-Road's format) and logged in at start from
XROAD_TOKEN_<token id>_PIN: CSRs signed on the token, the testbed CA's certificates imported,
authCertReg, then messages both ways, signed with the token's signing key and carried over TLS
authenticated with the token's key. Then the token goes away (SoftHSM2's folder of it is moved):
/readyz says token_not_available and a message gets X-Road's fault; it comes back: /readyz 200
and messages flow again, with no restart.

    hsm_test.py ROADSIDE_BINARY
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onboarding_test  # noqa: E402  (the scenario this one runs with the keys on a token)
from onboarding_test import ROADSIDE, Curl, Scenario, wait_for  # noqa: E402

SOFTHSM = os.environ.get("ROADSIDE_PKCS11_LIBRARY", "/usr/lib/softhsm/libsofthsm2.so")
HSM_PIN = "hsm-user-pin-1234"


def token_id(module_type, slot, serial, label):
    """X-Road's token id: {moduleType}{slotIndex}{serialNumber}{label}, as lower-case hex."""
    return f"{module_type}{slot}{serial}{label}".encode().hex()


@unittest.skipUnless(ROADSIDE, "give the roadside binary")
@unittest.skipUnless(os.path.exists(SOFTHSM) and shutil.which("softhsm2-util"),
                     "SoftHSM2 is not installed; scripts/setup.sh installs it")
class KeysOnAToken(Scenario, unittest.TestCase):
    DRIVER = Curl  # its keys go to self.token_id
    ADDRESS = "127.0.0.11"

    def setUp(self):
        super().setUp()
        self.tokens = os.path.join(self.dir, "softhsm-tokens")
        os.makedirs(self.tokens)
        conf = os.path.join(self.dir, "softhsm2.conf")
        with open(conf, "w") as f:
            f.write(f"directories.tokendir = {self.tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
        self.env["SOFTHSM2_CONF"] = conf
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "roadside", "--pin", HSM_PIN,
                        "--so-pin", "so-pin-5678"], check=True, capture_output=True, env=self.env)
        slots = subprocess.run(["softhsm2-util", "--show-slots"], check=True, capture_output=True, text=True,
                               env=self.env).stdout
        slot = serial = None
        for block in slots.split("\nSlot ")[1:]:
            fields = {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in block.splitlines())}
            if fields.get("Label") == "roadside":
                slot, serial = block.split()[0], fields["Serial number"]
        self.assertTrue(slot, slots)
        self.token_id = token_id("softhsm", slot, serial, "roadside")
        devices = os.path.join(self.dir, "devices.ini")
        with open(devices, "w") as f:
            f.write(f"[softhsm]\nlibrary = {SOFTHSM}\n")
        self.env.update({"ROADSIDE_SIGNER_DEVICES": devices, "ROADSIDE_SIGNER_MODULE_UPDATE_S": "1",
                         f"XROAD_TOKEN_{self.token_id}_PIN": HSM_PIN})

    def token_folder(self):
        folders = [os.path.join(self.tokens, d) for d in os.listdir(self.tokens)]
        self.assertEqual(len(folders), 1, folders)
        return folders[0]

    def test_a_new_server_joins_the_instance(self):
        super().test_a_new_server_joins_the_instance()
        self.assertNotIn(HSM_PIN, self.log())

    def while_registered(self):
        # Both keys are the token's: listed under it, none under the software token.
        tokens = {t["id"]: t for t in self.api.call("GET", "/tokens")}
        hardware = tokens[self.token_id]
        self.assertEqual((hardware["type"], hardware["logged_in"], hardware["available"]), ("HARDWARE", True, True))
        self.assertEqual(sorted(k["usage"] for k in hardware["keys"]), ["AUTHENTICATION", "SIGNING", "SIGNING"])
        self.assertEqual(tokens["0"]["keys"], [])

        outgoing = lambda: self.rest_call(self.client_port, onboarding_test.SUBSYSTEM,
                                          "DEV/COM/1002/SERVICE/echo/out")
        self.assertEqual(outgoing()[0], 200)

        # The token goes away: not ready, and X-Road's fault for a message.
        folder = self.token_folder()
        away = os.path.join(self.dir, "token-away")
        os.rename(folder, away)
        gone = wait_for(lambda: (lambda r: r if r[0] == 503 and "token_not_available" in r[1] else None)(self.readyz()),
                        30, 0.5)
        self.assertTrue(gone, f"/readyz never reported the token: {self.readyz()}")
        status, body = outgoing()
        self.assertGreaterEqual(status, 500, body)
        self.assertIn("token_not_available", body.lower().replace("tokennotavailable", "token_not_available"), body)

        # Back: the server finds it, logs in with the PIN it kept, and is ready again.
        os.rename(away, folder)
        self.assertTrue(wait_for(lambda: self.readyz()[0] == 200, 30, 0.5), self.readyz())
        answer = wait_for(lambda: (lambda a: a if a[0] == 200 else None)(outgoing()), 30, 0.5) or outgoing()
        self.assertEqual(answer[0], 200, answer)
        self.assertEqual(json.loads(answer[1])["path"], "/echo/out")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
