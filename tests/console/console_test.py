#!/usr/bin/python3
"""The admin console in a real browser (Debian's chromium, driven through chromedriver by
python3-selenium) against a testbed instance, as an operator new to Roadside would use it.

A new server starts with an empty database. In the console, the administrator logs in and the
onboarding wizard takes the server from nothing to registered: initialization, a time-stamping
service, a signing and an authentication key with their CSRs (downloaded from the page, signed
by the testbed's CA as an operator's CA would), both certificates uploaded, the authentication
certificate registered with the Central Server and activated, a subsystem added and registered.
On the clients page a REST service is added to the subsystem and the testbed's ss1 CLIENT is
granted access to it; ss1's client then calls it, and the message log page finds the message
by its query id and downloads its ASiC container, which `roadside verify-asic` verifies.
Every page is saved as a screenshot.

Then an observer (an API key of XROAD_SECURITYSERVER_OBSERVER) logs in: no page shows it a
control that changes anything, and changes forged by hand with its session (from the page
and from outside the browser) are refused. Throughout, the browser's network log shows no
request to any host but the server.

    console_test.py ROADSIDE_BINARY [SCREENSHOT_DIR]

SCREENSHOT_DIR defaults to $CONSOLE_SCREENSHOTS or console-screenshots in the working folder.
"""
import glob
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "support"))
from testbed_support import (free_port, rest_get, shared_params, sign_csr, until_ok,  # noqa: E402
                             wait_for, write_server_config)

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:  # (skipped below, with the reason)
    webdriver = None

ROADSIDE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ROADSIDE_BINARY", "")
SHOTS = (sys.argv[2] if len(sys.argv) > 2 else os.environ.get("CONSOLE_SCREENSHOTS", "")) or "console-screenshots"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PIN = "Console-PIN-1234"
ADMIN, PASSWORD = "admin", "a-console-admin-password"
ADDRESS = "127.0.0.11"
OWNER, SUBSYSTEM, CLIENT = "DEV:COM:1001", "DEV:COM:1001:NEWSUB", "DEV:COM:1001:CLIENT"
# The console's controls that change nothing: an observer may see these.
READ_ONLY = {"message-search", "audit-filter", "audit-older", "onboarding-refresh", "logout"}
PAGES = ["dashboard", "onboarding", "clients", "messages", "backups", "audit", "diagnostics"]


def unverified_tls():
    """A TLS context that takes the server's own certificate (the instance's internal one)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def missing_tools():
    if webdriver is None:
        return "python3-selenium is not installed (scripts/setup.sh installs it)"
    for tool in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(tool):
            return f"{tool} is not installed (scripts/setup.sh installs chromium and chromium-driver)"
    return ""


class Console(unittest.TestCase):

    def setUp(self):
        self.work = tempfile.TemporaryDirectory()
        self.dir = self.work.name
        self.downloads = os.path.join(self.dir, "downloads")
        os.makedirs(self.downloads)
        os.makedirs(SHOTS, exist_ok=True)
        for old in glob.glob(os.path.join(SHOTS, "*.png")):
            os.remove(old)
        self.shot_number = 0
        self.testbed = os.path.join(self.dir, "tb")
        subprocess.run([ROADSIDE, "testbed", "init", "--dir", self.testbed], check=True, capture_output=True)
        self.up_log = open(os.path.join(self.dir, "up.log"), "w")
        self.up = subprocess.Popen([ROADSIDE, "testbed", "up", "--dir", self.testbed], stdout=self.up_log,
                                   stderr=subprocess.STDOUT)
        with open(os.path.join(self.testbed, "instance.json")) as f:
            self.contract = json.load(f)
        peer = self.contract["servers"][0]
        health, self.admin_port, self.client_port = free_port(), free_port(), free_port()
        self.origin = f"https://127.0.0.1:{self.admin_port}"
        self.config = os.path.join(self.dir, "roadside.yaml")
        write_server_config(self.config, f"{self.dir}/data", self.contract["anchor"], ADDRESS, peer, health,
                            self.admin_port, self.client_port)
        self.env = dict(os.environ, ROADSIDE_CONFIG=self.config, XROAD_ADMIN_USER=ADMIN, XROAD_ADMIN_PASSWORD=PASSWORD,
                        ROADSIDE_TIMESTAMPING_INTERVAL_S="2")
        self.env.pop("XROAD_TOKEN_PIN", None)
        # The observer's key, made on the database before the server starts.
        made = subprocess.run([ROADSIDE, "api-keys", "create", "XROAD_SECURITYSERVER_OBSERVER"], env=self.env,
                              capture_output=True, text=True, check=True)
        self.observer_key = json.loads(made.stdout)["key"]
        self.server_log = open(os.path.join(self.dir, "serve.log"), "w+")
        self.server = subprocess.Popen([ROADSIDE, "serve"], stdout=self.server_log, stderr=subprocess.STDOUT,
                                       env=self.env)
        self.assertTrue(wait_for(self.admin_answers, 30), "the admin port never answered")
        self.browser = self.start_browser()
        self.requests = []  # every URL the browser asked for

    def tearDown(self):
        if getattr(self, "browser", None):
            self.record_network()
            self.browser.quit()
        self.server.terminate()
        self.server.wait(30)
        self.server_log.close()
        self.up.terminate()
        self.up.wait(30)
        self.up_log.close()
        if os.environ.get("CONSOLE_TEST_KEEP"):
            subprocess.run(["cp", "-r", self.dir, os.environ["CONSOLE_TEST_KEEP"]])
        self.work.cleanup()

    # --- the browser ---

    def start_browser(self):
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=1366,900", "--ignore-certificate-errors", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps"):
            options.add_argument(arg)
        options.add_experimental_option("prefs", {"download.default_directory": self.downloads,
                                                  "download.prompt_for_download": False})
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        browser.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": self.downloads})
        browser.implicitly_wait(0)
        return browser

    def record_network(self):
        """The URLs of the requests the pages made since the last call (the performance log)."""
        for entry in self.browser.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def find(self, css):
        return self.browser.find_element(By.CSS_SELECTOR, css)

    def present(self, css):
        return bool(self.browser.find_elements(By.CSS_SELECTOR, css))

    def until(self, check, timeout=30, what="the page"):
        """`check()` again (through a page drawn again meanwhile) until it is true."""
        deadline = time.time() + timeout
        while True:
            try:
                value = check()
                if value:
                    return value
            except (NoSuchElementException, StaleElementReferenceException):
                pass
            if time.time() > deadline:
                self.shot("failure")
                self.fail(f"timed out waiting for {what}: {self.find('main').text[:2000]}")
            time.sleep(0.25)

    def type_into(self, css, text):
        field = self.until(lambda: self.find(css), what=css)
        field.clear()
        field.send_keys(text)

    def click(self, css):
        self.until(lambda: self.find(css), what=css).click()

    def go(self, page):
        self.browser.get(f"{self.origin}/#/{page}")
        self.until(lambda: not self.present("main .loading"), what=f"#{page} to load")
        # (Text where a node was meant: a page put a value the DOM cannot show.)
        self.assertNotRegex(self.find("main").text, r"\bnull\b|\bundefined\b|\[object ", page)

    def shot(self, name):
        """A screenshot of the whole page."""
        self.shot_number += 1
        height = self.browser.execute_script("return document.documentElement.scrollHeight")
        self.browser.set_window_size(1366, max(900, min(int(height) + 40, 6000)))
        self.browser.execute_script("window.scrollTo(0, 0)")
        path = os.path.join(SHOTS, f"{self.shot_number:02d}-{name.replace(':', '-')}.png")
        self.browser.save_screenshot(path)
        self.browser.set_window_size(1366, 900)
        return path

    def state(self, step):
        return self.find(f"#step-{step} .state").get_attribute("data-state")

    def wait_state(self, step, states, timeout=60):
        return self.until(lambda: self.state(step) in states and self.state(step), timeout, f"step {step} in {states}")

    def download(self, css, suffix):
        """Clicks `css` and waits for a new file ending in `suffix` in the downloads folder."""
        before = set(os.listdir(self.downloads))
        self.click(css)

        def arrived():
            new = [n for n in set(os.listdir(self.downloads)) - before if n.endswith(suffix)]
            return os.path.join(self.downloads, new[0]) if new else None

        return self.until(arrived, 30, f"a downloaded {suffix}")

    def retry_click(self, css, until, timeout=90):
        """Clicks `css` again while the step it is in answers with an error (the Central Server
        or global configuration not caught up yet) until `until()`."""
        deadline = time.time() + timeout
        while not until():
            if time.time() > deadline:
                self.shot("failure")
                self.fail(f"{css}: {self.find('main').text[:2000]}")
            if self.present(css):
                try:
                    self.find(css).click()
                except StaleElementReferenceException:
                    pass
            time.sleep(2)

    # --- the server and the testbed ---

    def admin_answers(self):
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{self.admin_port}/", timeout=2,
                                        context=unverified_tls()) as r:
                return r.status == 200
        except OSError:
            return False

    def serve_log(self):
        with open(os.path.join(self.dir, "serve.log")) as f:
            return f.read()

    def call_new_subsystem(self, query_id):
        """ss1's CLIENT calls the new subsystem's echo through ss1's client proxy."""
        ss1 = self.contract["servers"][0]["client_http"].split("://")[-1]
        return rest_get(ss1, CLIENT.replace(":", "/"), "DEV/COM/1001/NEWSUB/echo/in", query_id)

    # --- the scenario ---

    def log_in_as_administrator(self):
        self.browser.get(self.origin + "/")
        self.type_into("#username", ADMIN)
        self.type_into("#password", PASSWORD)
        self.shot("login")
        self.click("#login")
        self.until(lambda: "Dashboard" in self.find("main h1").text, what="the dashboard")

    def onboard(self):
        self.go("onboarding")
        self.shot("onboarding-fresh")
        self.assertEqual(self.state("anchor"), "done")  # globalconf.anchor is configured
        self.type_into("#init-member-class", "COM")
        self.type_into("#init-member-code", "1001")
        self.type_into("#init-server-code", "ssnew")
        self.type_into("#init-pin", PIN)
        self.type_into("#init-pin-again", PIN)
        self.click("#init-submit")
        self.wait_state("init", ["done"])
        if self.state("token") == "todo":
            self.type_into("#token-pin", PIN)
            self.click("#token-login")
        self.wait_state("token", ["done"])
        # The approved services come with global configuration.
        self.retry_click("#onboarding-refresh", lambda: self.present("#tsa-choice"), 60)
        self.click("#tsa-add")
        self.wait_state("timestamping", ["done"])
        certs = []
        for prefix, usage, fields in (("sign", "sign", {"O": "Member 1", "subjectAltName": "ssnew.example.org"}),
                                      ("auth", "auth", {"O": "Member 1", "subjectAltName": "ssnew.example.org",
                                                        "CN": "ssnew"})):
            self.until(lambda: self.present(f"#{prefix}-ca option") and self.present(f"[id^='{prefix}-field-']"),
                       30, f"the {prefix} CSR form")
            for name, value in fields.items():
                css = f"#{prefix}-field-{name}"
                if self.present(css) and not self.find(css).get_attribute("readonly"):
                    self.type_into(css, value)
            self.shot(f"onboarding-{prefix}-csr")
            self.click(f"#{prefix}-csr-make")
            self.wait_state(prefix, ["done"])
            csr = self.download(f"#{prefix}-csr-download", ".csr.pem")
            verify = subprocess.run(["openssl", "req", "-verify", "-noout", "-subject", "-in", csr],
                                    capture_output=True, text=True)
            self.assertEqual(verify.returncode, 0, verify.stderr)
            self.assertIn("serialNumber = DEV/ssnew/COM", verify.stdout)
            certs.append(sign_csr(ROADSIDE, self.testbed, usage, csr, csr + ".crt.pem"))
        for pem in certs:
            self.until(lambda: self.find("#cert-file"), what="the certificate upload")
            self.find("#cert-file").send_keys(pem)
            self.click("#cert-import")
            time.sleep(0.5)
        self.wait_state("import", ["done"])
        # authCertReg, once the signing certificate's OCSP response is at hand.
        self.type_into("#register-address", ADDRESS)
        self.retry_click("#auth-register", lambda: self.state("register") != "todo" or self.present("#auth-activate"))
        self.shot("onboarding-registering")
        self.until(lambda: self.present("#auth-activate"), 90, "the Central Server's approval")
        self.click("#auth-activate")
        self.wait_state("register", ["done"])
        self.type_into("#subsystem-code", "NEWSUB")
        Select(self.find("#subsystem-connection")).select_by_value("HTTP")
        self.click("#subsystem-add")
        self.until(lambda: self.present("#subsystem-register"), what="the subsystem's register button")
        # (ss1 refuses this server's TLS until its copy of global configuration lists it.)
        self.retry_click("#subsystem-register", lambda: self.state("subsystem") != "todo")
        self.wait_state("subsystem", ["done"], 90)
        self.until(lambda: "set up" in self.find("#onboarding-summary").text, what="the summary")
        self.shot("onboarding-done")
        log = self.serve_log()
        self.assertIn('"event":"Register authentication certificate"', log)
        self.assertIn('"auth":"Session"', log)

    def add_service_and_grant(self):
        echo = next(s for s in self.contract["services"] if s["id"] == "SERVICE:DEV/COM/1002/SERVICE/echo")
        self.go("clients")
        link = f"a[href='#/clients/{urllib.parse.quote(SUBSYSTEM, safe='')}']"  # (ids are encoded in links)
        self.until(lambda: self.present(link), what="the subsystem in the list")
        self.shot("clients")
        self.click(link)
        self.until(lambda: self.present("#description-add"), what="the client's page")
        Select(self.find("#description-type")).select_by_value("REST")
        self.type_into("#description-url", echo["url"])
        self.type_into("#description-code", "echo")
        self.click("#description-add")
        self.until(lambda: self.present("input[data-service]"), what="the service's access form")
        self.type_into("input[data-service]", CLIENT)
        self.click("button[data-grant]")
        self.until(lambda: CLIENT in self.find(".rights table").text, what="the access right in the table")
        self.shot("client-services-access")
        log = self.serve_log()
        self.assertIn('"event":"Add access rights to service"', log)

    def find_and_download_message(self, query_id):
        self.go("messages")
        self.type_into("#query-id", query_id)

        def timestamped():
            self.click("#message-search")
            time.sleep(1)
            return self.present("button[data-record]")

        self.until(timestamped, 60, "the message's time-stamped records")
        self.assertIn("request", self.find("#message-results").text)
        self.shot("message-log")
        container = self.download("button[data-record]", ".asice")
        trust = shared_params(self.contract)
        self.assertTrue(trust, "no shared-params.xml in the instance")
        verified = subprocess.run([ROADSIDE, "verify-asic", "--trust", trust, container],
                                  capture_output=True, text=True)
        self.assertEqual(verified.returncode, 0, verified.stdout + verified.stderr)
        return container

    def log_in_as_observer(self):
        self.click("#logout")
        self.until(lambda: self.present("#api-key"), what="the login form")
        self.type_into("#api-key", self.observer_key)
        self.click("#login")
        self.until(lambda: "observer" in self.find("#who").text and not self.present("#api-key"),
                   what="the observer's session")
        self.assertEqual(self.find("#who").text, "api-key-1 (securityserver observer)")

    def write_controls(self):
        """The ids (or text) of the controls in the page that are not known to change nothing."""
        found = []
        for element in self.browser.find_elements(By.CSS_SELECTOR, "main button, main input[type=file], main select"):
            name = element.get_attribute("id") or element.text or element.tag_name
            if name not in READ_ONLY:
                found.append(name)
        return found

    def forged(self, method, path, body=None):
        """A change sent by hand from the observer's page, with its session and XSRF token."""
        return self.browser.execute_async_script("""
            const [method, path, body, done] = arguments;
            const xsrf = (document.cookie.split(';').map(s => s.trim()).find(s => s.startsWith('XSRF-TOKEN=')) || '')
                .slice('XSRF-TOKEN='.length);
            fetch('/api/v1' + path, {method, headers: {'Content-Type': 'application/json', 'X-XSRF-TOKEN': xsrf},
                                     body: body === null ? undefined : JSON.stringify(body)})
              .then(async r => done([r.status, await r.text()]), e => done([0, String(e)]));
        """, method, path, body)

    def from_outside(self, method, path, with_xsrf):
        """The same change from outside the browser, with the session's cookies."""
        cookies = {c["name"]: c["value"] for c in self.browser.get_cookies()}
        headers = {"Cookie": f"JSESSIONID={cookies.get('JSESSIONID', '')}", "Content-Type": "application/json"}
        if with_xsrf:
            headers["X-XSRF-TOKEN"] = cookies.get("XSRF-TOKEN", "")
        req = urllib.request.Request(self.origin + "/api/v1" + path, method=method, headers=headers,
                                     data=json.dumps({"client": {"member_class": "COM", "member_code": "1001",
                                                                 "subsystem_code": "FORGED"}}).encode())
        try:
            with urllib.request.urlopen(req, timeout=10, context=unverified_tls()) as r:
                return r.status
        except urllib.error.HTTPError as e:
            return e.code

    def test_an_operator_onboards_grants_and_finds_a_message_and_an_observer_changes_nothing(self):
        self.log_in_as_administrator()
        self.shot("dashboard-fresh")
        self.onboard()
        self.add_service_and_grant()

        # The access right granted in the console lets ss1's client call the new subsystem.
        query_id = "console-" + os.urandom(6).hex()
        answer = until_ok(lambda: self.call_new_subsystem(query_id), 90)
        self.assertEqual(answer[0], 200, f"ss1's client never reached the new subsystem: {answer}")
        self.assertEqual(json.loads(answer[1])["path"], "/echo/in")
        self.find_and_download_message(query_id)

        # Every page, as the administrator sees it.
        for page in PAGES:
            self.go(page)
            if page == "dashboard":
                self.until(lambda: "Takes messages" in self.find("#readiness").text, 30, "readiness")
            if page == "audit":
                self.assertIn("Register authentication certificate", self.find("main").text)
                self.assertIn("Download message container", self.find("main").text)
                self.shot("admin-audit")
                # (Filtered: the registration's retries may have pushed the login off the first page.)
                self.type_into("#audit-event", "Log in user")
                self.click("#audit-filter")
                self.until(lambda: "admin" in self.find("main table").text and "Session" in self.find("main table").text,
                           what="the administrator's login in the audit log")
                page = "audit-filtered"
            self.shot(f"admin-{page}")

        # An observer: every page it may see, without a control that changes anything.
        self.log_in_as_observer()
        seen = [a.get_attribute("href").rsplit("/", 1)[-1] for a in self.browser.find_elements(By.CSS_SELECTOR,
                                                                                             "#nav a")]
        self.assertNotIn("backups", seen)
        self.assertNotIn("audit", seen)  # (a failed login's user name may be a mistyped password)
        for page in seen + [f"clients/{SUBSYSTEM}"]:
            self.go(page)
            if page == "messages":  # its search shows records, and no download
                self.type_into("#query-id", query_id)
                self.click("#message-search")
                self.until(lambda: self.present("#message-results table"), what="the observer's search")
            self.assertEqual(self.write_controls(), [], f"the observer sees write controls on {page}")
            self.shot(f"observer-{page.replace('/', '-')}")
        # Changes forged by hand are refused, from the page and from outside it.
        for method, path, body in (("POST", "/clients", {"client": {"member_class": "COM", "member_code": "1001",
                                                                    "subsystem_code": "FORGED"}}),
                                   ("POST", f"/services/{SUBSYSTEM}:echo/service-clients",
                                    {"items": [{"id": "DEV:COM:1002:SERVICE"}]}),
                                   ("PUT", "/tokens/0/logout", None),
                                   ("POST", "/backups", None),
                                   ("GET", "/message-log/messages/1/container", None)):
            status, text = self.forged(method, path, body)
            self.assertEqual(status, 403, f"{method} {path}: {text}")
            self.assertEqual(json.loads(text)["error"]["code"], "permission_denied", text)
        self.assertEqual(self.from_outside("POST", "/clients", with_xsrf=True), 403)
        self.assertIn(self.from_outside("POST", "/clients", with_xsrf=False), (401, 403))
        self.log_in_as_observer_check_nothing_changed()

        # The browser asked no host but the server for anything.
        self.record_network()
        self.assertTrue(self.requests)
        foreign = [u for u in self.requests
                   if not (u.startswith(self.origin + "/") or u.startswith("blob:" + self.origin + "/")
                           or u.startswith("data:"))]
        self.assertEqual(foreign, [], "the console asked other hosts")
        print(f"\nconsole: {self.shot_number} screenshots in {os.path.abspath(SHOTS)}; "
              f"{len(self.requests)} requests, all to {self.origin}")

    def log_in_as_observer_check_nothing_changed(self):
        """What the forged changes would have changed is as it was."""
        self.go(f"clients/{SUBSYSTEM}")
        text = self.find("main").text
        self.assertNotIn("DEV:COM:1002:SERVICE", text)
        self.go("clients")
        self.assertNotIn("FORGED", self.find("main").text)
        log = self.serve_log()
        self.assertIn('"reason":"permission_denied"', log)


if __name__ == "__main__":
    # Without a browser the test cannot run: ctest reports it skipped (77), not passed.
    why = "give the roadside binary" if not ROADSIDE else missing_tools()
    if why:
        print(f"console_test: skipped: {why}")
        sys.exit(77)
    unittest.main(argv=sys.argv[:1], verbosity=2)
