#!/usr/bin/python3
"""Operational and environmental monitoring end to end, with X-Road's own request files and schemas.

A testbed instance of two servers carries SOAP traffic: DEV/COM/1001/CLIENT (on ss1) and
DEV/COM/1002/CLIENT (on ss2) call ss2's getRandom. Then X-Road's getSecurityServerOperationalData
and getSecurityServerHealthData requests (../shared/vectors/xroad/monitoring/opmon, their
identifiers moved into the testbed's instance) go through a client proxy to ss2, as:

- ss2's owner (MEMBER DEV/COM/1002): every record of the window;
- the instance's monitoring client (MEMBER DEV/COM/1001, from the global configuration's
  monitoring-params): every record too;
- a plain client (SUBSYSTEM DEV/COM/1001/CLIENT): only the records it is the client of.

Each answer's SOAP body validates with `xmllint --schema` against op-monitoring.xsd, its
gzipped JSON attachment against query_operational_data_response_payload_schema.yaml
(python3-jsonschema), recordsCount equals the requests sent, and nextRecordsFrom appears when
the window reaches past what is available.

A real Prometheus (Debian's) scrapes both servers' /metrics while a client calls getRandom,
and a PromQL query of the service's request rate returns a value above zero.

An information system's traceparent reaches the service in the same trace, and an OTLP/HTTP
receiver the test runs gets a span from each server: the client proxy's a child of the
information system's, the server proxy's a child of the client proxy's, and the service is
called with the server proxy's span as its parent.

getSecurityServerMetrics (X-Road's getMetrics.query and the example of its protocol document)
answers the owner and the monitoring client, validating against monitoring.xsd, narrowed by
outputSpec; a plain client is refused with access_denied.

    opmon_test.py ROADSIDE_BINARY
"""
import email
import email.policy
import gzip
import json
import os
import re
import shutil
import socket
import threading
import http.server
import urllib.parse
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import uuid

import jsonschema
import yaml

ROADSIDE = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("ROADSIDE_BINARY", "")
HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.environ.get("ROADSIDE_VECTORS_DIR") or os.path.join(HERE, "..", "..", "..", "shared", "vectors")
OPMON = os.path.join(VECTORS, "xroad", "monitoring", "opmon")
SCHEMAS = os.path.join(OPMON, "schemas")
ENVMON = os.path.join(VECTORS, "xroad", "monitoring", "envmon")
ENVMON_DOCS = os.path.join(VECTORS, "xroad", "monitoring", "docs", "envmon-Monitoring-messages.md")
SKIP_WHY = f"X-Road's monitoring files not found at {OPMON} (set ROADSIDE_VECTORS_DIR)"
FROM_SS1, FROM_SS2 = 12, 5  # getRandom calls from each server's CLIENT


def read(path):
    with open(path, "rb") as f:
        return f.read()


def wait_for(what, probe, timeout=120):
    deadline = time.time() + timeout
    while not probe():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def ready(url):
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError):
        return False


def client_xml(kind, member, subsystem=None, tag="xroad:client"):
    out = f'<{tag} id:objectType="{kind}"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM</id:memberClass>'
    out += f"<id:memberCode>{member}</id:memberCode>"
    if subsystem:
        out += f"<id:subsystemCode>{subsystem}</id:subsystemCode>"
    return out + f"</{tag.split()[0]}>"


def retarget(request, client, provider="1002", server="ss2"):
    """X-Road's request with its header moved into the testbed: `client` (the element's XML),
    the service and securityServer of `provider`'s server `server`, and a fresh id."""
    text = request.decode()
    text = re.sub(r"<xroad:client .*?</xroad:client>", client, text, count=1, flags=re.S)
    service_code = re.search(r"<id:serviceCode>(.*?)</id:serviceCode>", text).group(1)
    service = (f'<xroad:service id:objectType="SERVICE"><id:xRoadInstance>DEV</id:xRoadInstance>'
               f"<id:memberClass>COM</id:memberClass><id:memberCode>{provider}</id:memberCode>"
               f"<id:serviceCode>{service_code}</id:serviceCode></xroad:service>")
    text = re.sub(r"<xroad:service .*?</xroad:service>", service, text, count=1, flags=re.S)
    target = (f'<xroad:securityServer id:objectType="SERVER"><id:xRoadInstance>DEV</id:xRoadInstance>'
              f"<id:memberClass>COM</id:memberClass><id:memberCode>{provider}</id:memberCode>"
              f"<id:serverCode>{server}</id:serverCode></xroad:securityServer>")
    text = re.sub(r"<xroad:securityServer .*?</xroad:securityServer>", target, text, count=1, flags=re.S)
    text = re.sub(r"<xroad:id>.*?</xroad:id>", f"<xroad:id>{uuid.uuid4()}</xroad:id>", text, count=1)
    return text.encode()


def window(request, records_from, records_to):
    text = request.decode()
    text = re.sub(r"<om:recordsFrom>.*?</om:recordsFrom>", f"<om:recordsFrom>{records_from}</om:recordsFrom>", text)
    text = re.sub(r"<om:recordsTo>.*?</om:recordsTo>", f"<om:recordsTo>{records_to}</om:recordsTo>", text)
    return text.encode()


def get_random(client_subsystem, member):
    return (f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers">'
            f"<SOAP-ENV:Header>{client_xml('SUBSYSTEM', member, client_subsystem)}"
            f'<xroad:service id:objectType="SERVICE"><id:xRoadInstance>DEV</id:xRoadInstance>'
            f"<id:memberClass>COM</id:memberClass><id:memberCode>1002</id:memberCode>"
            f"<id:subsystemCode>SERVICE</id:subsystemCode><id:serviceCode>getRandom</id:serviceCode>"
            f"<id:serviceVersion>v1</id:serviceVersion></xroad:service>"
            f"<xroad:id>{uuid.uuid4()}</xroad:id><xroad:protocolVersion>4.0</xroad:protocolVersion>"
            f"</SOAP-ENV:Header><SOAP-ENV:Body><ns1:getRandom xmlns:ns1=\"http://test.x-road.global/producer\"/>"
            f"</SOAP-ENV:Body></SOAP-ENV:Envelope>").encode()


def post(address, body):
    """POSTs a SOAP request to a client proxy: (status, content type, body)."""
    req = urllib.request.Request(f"http://{address}/", data=body, method="POST",
                                 headers={"Content-Type": "text/xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def parts(content_type, body):
    """The SOAP part and the attachments (Content-ID -> (type, bytes)) of an answer."""
    if not content_type.startswith("multipart/"):
        return body, {}
    message = email.message_from_bytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body,
                                       policy=email.policy.HTTP)
    payloads = list(message.iter_parts())
    attachments = {p["Content-ID"]: (p.get_content_type(), p.get_payload(decode=True)) for p in payloads[1:]}
    return payloads[0].get_payload(decode=True), attachments


def body_element(soap):
    """The SOAP Body's element as a document of its own (namespaces it uses declared)."""
    text = soap.decode()
    inner = re.search(r"<SOAP-ENV:Body[^>]*>(.*)</SOAP-ENV:Body>", text, re.S).group(1).strip()
    declared = dict(re.findall(r'xmlns:(\w+)="([^"]+)"', text))
    first = re.match(r"<([\w:]+)", inner).group(1)
    tag_end = inner.index(">")
    extra = "".join(f' xmlns:{p}="{u}"' for p, u in declared.items() if f'xmlns:{p}=' not in inner[:tag_end])
    return (inner[:len(first) + 1] + extra + inner[len(first) + 1:]).encode()


class OtlpReceiver(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP receiver: keeps the spans POSTed to /v1/traces (JSON encoding)."""

    def __init__(self):
        self.spans, self.paths = [], []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.paths.append((self.path, self.headers.get("Content-Type")))
                    for resource in json.loads(body).get("resourceSpans", []):
                        for scope in resource.get("scopeSpans", []):
                            receiver.spans.extend(scope.get("spans", []))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def of_trace(self, trace_id):
        with self.lock:
            return [s for s in self.spans if s["traceId"] == trace_id]


class Monitoring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(OPMON):
            raise unittest.SkipTest(SKIP_WHY)
        cls.work = tempfile.mkdtemp(prefix="roadside-opmon-")
        if os.environ.get("KEEP_TEST_DIR"):
            print("test folder:", cls.work, file=sys.stderr)
        cls.dir = os.path.join(cls.work, "tb")
        subprocess.run([ROADSIDE, "testbed", "init", "--dir", cls.dir], check=True, capture_output=True)
        # Records are answered as soon as they are written (X-Road waits 60 s by default), and
        # spans go to the test's OTLP receiver.
        cls.otlp = OtlpReceiver()
        env = dict(os.environ, ROADSIDE_OPMON_AVAILABLE_OFFSET_S="0",
                   ROADSIDE_OTLP_ENDPOINT=f"http://127.0.0.1:{cls.otlp.server_address[1]}")
        cls.log = open(os.path.join(cls.work, "up.log"), "wb")
        cls.up = subprocess.Popen([ROADSIDE, "testbed", "up", "--dir", cls.dir], env=env, stdout=cls.log,
                                  stderr=subprocess.STDOUT)
        cls.contract = json.loads(read(os.path.join(cls.dir, "instance.json")))
        cls.ss1, cls.ss2 = cls.contract["servers"][0], cls.contract["servers"][1]
        for s in (cls.ss1, cls.ss2):
            wait_for(f"{s['health_url']} to be ready", lambda s=s: ready(s["health_url"]))
        cls.payload_schema = yaml.safe_load(read(os.path.join(SCHEMAS, "query_operational_data_response_payload_schema.yaml")))

        # The traffic, within whole seconds of its own: [start, end].
        time.sleep(1.0 - time.time() % 1.0)
        cls.start = int(time.time())
        for i in range(FROM_SS1):
            status, _, body = post(cls.ss1["client_http"], get_random("CLIENT", "1001"))
            assert status == 200, body[:500]
        for i in range(FROM_SS2):
            status, _, body = post(cls.ss2["client_http"], get_random("CLIENT", "1002"))
            assert status == 200, body[:500]
        # Records are stamped when written (within the recorder's second): the window ends
        # after the last was written, and before any query is made.
        time.sleep(2.0)
        cls.end = int(time.time())
        time.sleep(1.0 - time.time() % 1.0 + 0.05)

    @classmethod
    def tearDownClass(cls):
        if hasattr(cls, "otlp"):
            cls.otlp.shutdown()
        if hasattr(cls, "up"):
            cls.up.terminate()
            try:
                cls.up.wait(timeout=30)
            except subprocess.TimeoutExpired:
                cls.up.kill()
            cls.log.close()
        if hasattr(cls, "work") and not os.environ.get("KEEP_TEST_DIR"):
            shutil.rmtree(cls.work, ignore_errors=True)

    def query(self, via, client, request, records_from=None, records_to=None):
        """Sends an operational-data request; returns (SOAP body document, records, answer)."""
        body = retarget(request, client)
        if records_from is not None:
            body = window(body, records_from, records_to)
        status, content_type, answer = post(via["client_http"], body)
        self.assertEqual(status, 200, answer[:800])
        soap, attachments = parts(content_type, answer)
        document = body_element(soap)
        self.assertValid(document, "op-monitoring.xsd")
        self.assertIn("<operational-monitoring-data.json.gz>", attachments, attachments.keys())
        kind, gzipped = attachments["<operational-monitoring-data.json.gz>"]
        self.assertEqual(kind, "application/gzip")
        payload = json.loads(gzip.decompress(gzipped))
        jsonschema.validate(payload, self.payload_schema)
        return document.decode(), payload["records"], soap.decode()

    def assertValid(self, document, schema, folder=SCHEMAS):
        with tempfile.NamedTemporaryFile(suffix=".xml") as f:
            f.write(document)
            f.flush()
            done = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", os.path.join(folder, schema), f.name],
                                  capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stderr + document.decode()[:2000])

    def records_count(self, document):
        return int(re.search(r"<om:recordsCount>(\d+)</om:recordsCount>", document).group(1))

    def test_the_owner_sees_every_record_of_the_window(self):
        owner = client_xml("MEMBER", "1002")
        request = read(os.path.join(OPMON, "ss-system-test-requests", "operational-data.request"))
        document, records, _ = self.query(self.ss2, owner, request, self.start, self.end)
        # ss2 mediated FROM_SS1 + FROM_SS2 calls as the provider and FROM_SS2 as the client.
        self.assertEqual(self.records_count(document), FROM_SS1 + 2 * FROM_SS2, document)
        self.assertEqual(len(records), FROM_SS1 + 2 * FROM_SS2)
        kinds = sorted(r["securityServerType"] for r in records)
        self.assertEqual(kinds.count("Producer"), FROM_SS1 + FROM_SS2)
        self.assertEqual(kinds.count("Client"), FROM_SS2)
        self.assertTrue(all(r["serviceCode"] == "getRandom" and r["succeeded"] for r in records), records[:2])
        self.assertTrue(all("securityServerInternalIp" in r for r in records), records[:1])
        self.assertNotIn("nextRecordsFrom", document)

    def test_the_owner_without_security_server_header_is_a_plain_client(self):
        # X-Road's isServerOwner needs the securityServer header; without it the owner member
        # is a client like any other, and no record of the window names it.
        owner = client_xml("MEMBER", "1002")
        request = read(os.path.join(OPMON, "ss-system-test-requests", "operational-data.request"))
        body = re.sub(rb"<xroad:securityServer .*?</xroad:securityServer>", b"", retarget(request, owner), flags=re.S)
        status, content_type, answer = post(self.ss2["client_http"], window(body, self.start, self.end))
        self.assertEqual(status, 200, answer[:800])
        soap, _ = parts(content_type, answer)
        self.assertEqual(self.records_count(body_element(soap).decode()), 0, soap[:2000])

    def test_the_monitoring_client_sees_every_record_too(self):
        monitoring = client_xml("MEMBER", "1001")  # hosted by ss1, named by monitoring-params
        request = read(os.path.join(OPMON, "unit-test-requests", "operationaldata.request"))
        document, records, _ = self.query(self.ss1, monitoring, request, self.start, self.end)
        self.assertEqual(self.records_count(document), FROM_SS1 + 2 * FROM_SS2, document)

    def test_a_plain_client_sees_only_its_own_records(self):
        plain = client_xml("SUBSYSTEM", "1001", "CLIENT")
        request = read(os.path.join(OPMON, "ss-system-test-requests", "operational-data.request"))
        document, records, _ = self.query(self.ss1, plain, request, self.start, self.end)
        self.assertEqual(self.records_count(document), FROM_SS1, document)
        self.assertTrue(all(r["clientSubsystemCode"] == "CLIENT" and r["clientMemberCode"] == "1001" for r in records))
        self.assertTrue(all("securityServerInternalIp" not in r for r in records), records[:1])

    def test_a_window_past_what_is_available_is_cut_with_next_records_from(self):
        owner = client_xml("MEMBER", "1002")
        # X-Road's file as it is: recordsFrom 0, recordsTo in 2031.
        request = read(os.path.join(OPMON, "ss-system-test-requests", "operational-data.request"))
        before = int(time.time())
        document, records, _ = self.query(self.ss2, owner, request)
        after = int(time.time())
        found = re.search(r"<om:nextRecordsFrom>(\d+)</om:nextRecordsFrom>", document)
        self.assertIsNotNone(found, document)
        self.assertTrue(before <= int(found.group(1)) <= after, (before, found.group(1), after))
        self.assertGreaterEqual(self.records_count(document), FROM_SS1 + 2 * FROM_SS2)

    def test_output_spec_narrows_the_fields(self):
        owner = client_xml("MEMBER", "1002")
        template = read(os.path.join(OPMON, "systemtest-templates", "query_operational_data_client_outputspec_template.xml"))
        request = re.sub(rb"\{[^}]*\}", b"X", template)
        _, records, _ = self.query(self.ss2, owner, request, self.start, self.end)
        spec = re.findall(rb"<om:outputField>(.*?)</om:outputField>", template)
        self.assertTrue(spec)
        self.assertTrue(records)
        for r in records:
            self.assertLessEqual(set(r), {s.decode() for s in spec}, r)

    def test_health_data_validates_and_counts_the_provider_side(self):
        owner = client_xml("MEMBER", "1002")
        request = retarget(read(os.path.join(OPMON, "ss-system-test-requests", "health-data.request")), owner)
        # Its filter names the provider DEV/COM/1234: moved to ss2's SERVICE subsystem's member.
        request = request.replace(b"<id:memberCode>1234</id:memberCode>", b"<id:memberCode>1002</id:memberCode>")
        request = request.replace(b'<om:client id:objectType="MEMBER">',
                                  b'<om:client id:objectType="SUBSYSTEM">').replace(
            b"<id:memberCode>1002</id:memberCode>\n                </om:client>",
            b"<id:memberCode>1002</id:memberCode><id:subsystemCode>SERVICE</id:subsystemCode></om:client>")
        status, content_type, answer = post(self.ss2["client_http"], request)
        self.assertEqual(status, 200, answer[:800])
        soap, _ = parts(content_type, answer)
        document = body_element(soap)
        self.assertValid(document, "op-monitoring.xsd")
        text = document.decode()
        self.assertIn("<id:serviceCode>getRandom</id:serviceCode>", text)
        self.assertRegex(text, rf"<om:successfulRequestCount>{FROM_SS1 + FROM_SS2}</om:successfulRequestCount>")

    def test_only_the_owners_services_are_answered_as_monitoring(self):
        # The same code for a subsystem of the owner is an ordinary service (X-Road's canHandle):
        # ss2 has none, so it is unknown.
        request = read(os.path.join(OPMON, "ss-system-test-requests", "operational-data.request"))
        body = retarget(request, client_xml("MEMBER", "1002")).replace(
            b"<id:memberCode>1002</id:memberCode><id:serviceCode>",
            b"<id:memberCode>1002</id:memberCode><id:subsystemCode>SERVICE</id:subsystemCode><id:serviceCode>", 1)
        status, _, answer = post(self.ss2["client_http"], window(body, self.start, self.end))
        self.assertEqual(status, 500, answer[:800])
        self.assertIn(b"unknown_service", answer)
        self.assertIn(b"SERVICE:DEV/COM/1002/SERVICE/getSecurityServerOperationalData", answer)

    def test_an_unknown_output_field_is_refused_with_x_roads_message(self):
        owner = client_xml("MEMBER", "1002")
        template = read(os.path.join(OPMON, "systemtest-templates", "query_operational_data_client_faulty_outputspec_template.xml"))
        body = window(retarget(re.sub(rb"\{[^}]*\}", b"X", template), owner), self.start, self.end)
        status, _, answer = post(self.ss2["client_http"], body)
        self.assertEqual(status, 500, answer[:800])
        self.assertIn(b"Unknown output field in search criteria", answer)


    # ---- environmental monitoring ------------------------------------------------------------

    def metrics(self, via, client, request):
        """Sends a getSecurityServerMetrics request for ss2's owner: (status, body element or answer)."""
        status, content_type, answer = post(via["client_http"], retarget(request, client))
        if status != 200:
            return status, answer
        soap, _ = parts(content_type, answer)
        document = body_element(soap)
        self.assertValid(document, "monitoring.xsd", ENVMON)
        return status, document.decode()

    def system_metrics(self, document):
        return set(re.findall(r"<(?:\w+:)?name>([^<]+)</(?:\w+:)?name>", document))

    def test_metrics_answer_the_owner_with_every_metric(self):
        status, document = self.metrics(self.ss2, client_xml("MEMBER", "1002"), read(os.path.join(ENVMON, "getMetrics.query")))
        self.assertEqual(status, 200, document)
        names = self.system_metrics(document)
        self.assertIn("SERVER:DEV/COM/1002/ss2", names)
        for metric in ("proxyVersion", "systemMetrics", "OperatingSystem", "TotalPhysicalMemory", "SystemCpuLoad",
                       "DiskSpaceFree_/", "Processes", "Xroad Processes", "Packages", "Certificates"):
            self.assertIn(metric, names, document[:3000])
        # ss2's token holds its authentication and signing certificates.
        self.assertGreaterEqual(document.count(">certificateType<"), 2, document[:3000])

    def test_metrics_output_spec_narrows_and_the_monitoring_client_may_ask(self):
        with open(ENVMON_DOCS) as f:
            example = re.search(r"```xml\n(<SOAP-ENV:Envelope.*?</SOAP-ENV:Envelope>)\n```", f.read(), re.S).group(1)
        # The protocol document's request, as the monitoring client (MEMBER DEV/COM/1001) through ss1.
        request = example.replace("xrd:", "xroad:").encode()
        request = request.replace(b'xmlns:xrd="http://x-road.eu/xsd/xroad.xsd"', b'xmlns:xroad="http://x-road.eu/xsd/xroad.xsd"')
        status, document = self.metrics(self.ss1, client_xml("MEMBER", "1001"), request)
        self.assertEqual(status, 200, document)
        system = document[document.index("systemMetrics"):]
        self.assertEqual(set(re.findall(r"<(?:\w+:)?name>([^<]+)</", system)), {"OperatingSystem", "TotalPhysicalMemory"})

    def test_metrics_refuse_a_plain_client(self):
        status, answer = self.metrics(self.ss1, client_xml("SUBSYSTEM", "1001", "CLIENT"),
                                      read(os.path.join(ENVMON, "getMetrics.query")))
        self.assertEqual(status, 500, answer[:800])
        self.assertIn(b"<faultcode>server.serverproxy.access_denied</faultcode>", answer)
        self.assertIn(b"Request is not allowed: SERVICE:DEV/COM/1002/getSecurityServerMetrics", answer)


    # ---- Prometheus ----------------------------------------------------------------------------

    def test_prometheus_scrapes_the_per_service_request_rate(self):
        prometheus = shutil.which("prometheus")
        self.assertIsNotNone(prometheus, "prometheus is not installed (scripts/setup.sh installs it)")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        folder = os.path.join(self.work, "prometheus")
        os.makedirs(folder, exist_ok=True)
        targets = [urllib.parse.urlparse(server["health_url"]).netloc for server in (self.ss1, self.ss2)]
        with open(os.path.join(folder, "prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: roadside\n    static_configs:\n"
                    f"      - targets: {json.dumps(targets)}\n")
        log = open(os.path.join(folder, "prometheus.log"), "wb")
        proc = subprocess.Popen([prometheus, f"--config.file={folder}/prometheus.yml", f"--storage.tsdb.path={folder}/data",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
        stop = threading.Event()

        def load():
            while not stop.is_set():
                post(self.ss1["client_http"], get_random("CLIENT", "1001"))
                time.sleep(0.05)

        loader = threading.Thread(target=load)
        loader.start()
        try:
            query = ('sum(rate(roadside_service_requests_total{proxy="server",result="ok",'
                     'service="SERVICE:DEV/COM/1002/SERVICE/getRandom"}[5s]))')
            url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": query})
            rate = [0.0]

            def answered():
                try:
                    with urllib.request.urlopen(url, timeout=5) as r:
                        result = json.load(r)["data"]["result"]
                except (urllib.error.URLError, OSError, ValueError, KeyError):
                    return False
                rate[0] = float(result[0]["value"][1]) if result else 0.0
                return rate[0] > 0

            wait_for("Prometheus to see getRandom's request rate", answered, timeout=60)
            print(f"figure: PromQL {query} = {rate[0]:.2f}/s", file=sys.stderr)
            # Every query of the Grafana dashboard (deploy/grafana) is one Prometheus takes; the
            # per-service panels show getRandom.
            with open(os.path.join(HERE, "..", "..", "deploy", "grafana", "roadside-dashboard.json")) as f:
                dashboard = json.load(f)
            for panel in dashboard["panels"]:
                for target in panel["targets"]:
                    expr = target["expr"].replace("$__rate_interval", "5s")
                    api = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
                    try:
                        with urllib.request.urlopen(api, timeout=5) as r:
                            answer = json.load(r)
                    except urllib.error.HTTPError as e:
                        self.fail(f"{panel['title']}: {expr}: {e.read()[:300]!r}")
                    self.assertEqual(answer["status"], "success", (panel["title"], answer))
                    if "by service" in panel["title"] and "Fault" not in panel["title"]:
                        services = {r["metric"].get("service") for r in answer["data"]["result"]}
                        self.assertIn("SERVICE:DEV/COM/1002/SERVICE/getRandom", services, (panel["title"], answer))
        finally:
            stop.set()
            loader.join()
            proc.terminate()
            proc.wait(timeout=30)
            log.close()


    # ---- tracing -------------------------------------------------------------------------------

    def test_the_trace_reaches_the_service_and_both_servers_export_linked_spans(self):
        trace_id, caller = uuid.uuid4().hex, uuid.uuid4().hex[:16]
        req = urllib.request.Request(f"http://{self.ss1['client_http']}/r1/DEV/COM/1002/SERVICE/echo/traced",
                                     headers={"X-Road-Client": "DEV/COM/1001/CLIENT",
                                              "traceparent": f"00-{trace_id}-{caller}-01"})
        with urllib.request.urlopen(req, timeout=60) as r:
            echoed = json.load(r)
        at_service = {k.lower(): v for k, v in echoed["headers"].items()}["traceparent"]
        version, seen_trace, service_parent, flags = at_service.split("-")
        self.assertEqual((version, seen_trace, flags), ("00", trace_id, "01"), at_service)

        wait_for("both servers' spans", lambda: len(self.otlp.of_trace(trace_id)) >= 2, timeout=30)
        spans = self.otlp.of_trace(trace_id)
        self.assertEqual(len(spans), 2, spans)
        kind = {s["spanId"]: {a["key"]: a["value"]["stringValue"] for a in s["attributes"]}["xroad.security_server_type"]
                for s in spans}
        client = next(s for s in spans if kind[s["spanId"]] == "Client")
        server = next(s for s in spans if kind[s["spanId"]] == "Producer")
        self.assertEqual(client["parentSpanId"], caller, client)
        self.assertEqual(server["parentSpanId"], client["spanId"], server)
        self.assertEqual(service_parent, server["spanId"])
        self.assertTrue(client["name"].startswith("client proxy") and server["name"].startswith("server proxy"))
        self.assertLessEqual(int(client["startTimeUnixNano"]), int(server["startTimeUnixNano"]))
        with self.otlp.lock:
            self.assertTrue(all(p == ("/v1/traces", "application/json") for p in self.otlp.paths), self.otlp.paths)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
