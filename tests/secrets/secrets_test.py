#!/usr/bin/python3
"""No secret leaks: a testbed run with secrets known to the test, and a search of everything it left.

The secrets, new on every run:
  - the token PIN (XROAD_TOKEN_PIN), and a wrong one that is tried;
  - the administrator's password (XROAD_ADMIN_PASSWORD) and the Basic credentials made of it, and
    a wrong one that is tried;
  - admin API keys: one made by the API (HTTP Basic), one by `roadside api-keys create`, and a
    wrong one that is tried;
  - the PostgreSQL password of the servers' own role (ss1 has it in its configuration file, both
    in XROAD_DB_PWD), enforced by a scram-sha-256 line in the harness's pg_hba.conf when the test
    can write it (else only configured, which the output says), and a wrong one that is tried;
  - the S3 secret access key of the message-log archive upload (ss1: file, both: environment);
  - private keys: each server's token keys (read from its PKCS#12 files), the testbed's keys
    (CA, OCSP, TSA, configuration signing, management TLS: every file of the instance that holds
    a PEM private key) and each server's internal TLS key (from its database). Each is searched as
    its PKCS#8 and PKCS#1/SEC1 DER, two PEM lines from the middle of each, and its private
    exponent and primes (the EC scalar). Besides these, any unencrypted PEM private key block at all
    is a finding where no rule allows it.
The archive GPG passphrase is not among them: Roadside takes none (gpg keys without one).

The scenarios: `testbed init --servers 2` and `testbed up`, its two servers on PostgreSQL (variant
full: message log, time-stamping every 2 s, archives every 5 s uploaded to a stand-in S3 that
refuses them), ss1 at log level TRACE with its audit log in a file, ss2 at DEBUG with the audit
log on stdout and its backups encrypted with gpg. Messages both ways (REST echo ss1 -> ss2 and
ss2 -> ss1, SOAP getRandom), unknown and malformed client ids, API keys made, used, refused,
revoked; a wrong PIN (`token login` and the API), the token logged out and in again by the API,
a malformed login body holding the PIN, a second initialization with the PIN; wrong Basic
credentials; the admin API's certificate, anchor, token and diagnostics read; backups made (CLI
and API), listed and downloaded; `config show` (yaml and json) with every secret set; a command
refused for a wrong database password; /metrics.

Searched, after the servers stopped: every file under the work folder (the instance, the
servers' data folders and logs, backups, archives, the S3 stand-in's record of what it got, the
testbed's log), a pg_dump of each server's database, the PostgreSQL server's log, every answer
(status, headers, body) of every HTTP request and the output of every command the scenarios
ran; and the members of every tar and zip among them (backups, message-log archives, the ASiC
containers in those), since compression would hide them. Each secret in each form it could leak in:
literal, base64 and base64url (at the three alignments, so also inside longer base64), hex in
either case, URL-encoded, JSON-escaped.

Some places hold a secret by design; RULES lists them with the reason, and their hits are shown
as allowed, not as findings. A finding of KNOWN is shown with its reason and does not fail the
test; any other finding does (exit 1), naming the source, the secret and the form.

Self-check (the acceptance asks that the test fails when a secret is planted in a log line):
every run also searches a copy of ss1's log with three realistic lines planted in it (the PIN
literally, the database password URL-encoded, a token key's private exponent in hex) and fails
unless each is found with the right kind and form. `--plant` also plants the PIN line into the
real log file before the search: the run must then fail, naming that file, the PIN and "literal".

    secrets_test.py ROADSIDE_BINARY [PG_INFO_FILE] [--plant]

Without PG_INFO_FILE (ctest's `postgres` fixture), the test starts its own PostgreSQL with
tests/pg/pg-harness.sh and stops it at the end. SECRETS_TEST_KEEP=DIR keeps the work folder.
"""
import base64
import http.server
import io
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE, "tests", "support"))
from testbed_support import readyz, wait_for  # noqa: E402
from pg import Pg  # noqa: E402

ADMIN_USER = "admin"
REFUSED = "refused"  # an expected answer: any 4xx or 5xx
ROLES = ["XROAD_SECURITY_OFFICER", "XROAD_REGISTRATION_OFFICER", "XROAD_SERVICE_ADMINISTRATOR",
         "XROAD_SYSTEM_ADMINISTRATOR", "XROAD_SECURITYSERVER_OBSERVER"]

# --- the forms a secret can leak in -------------------------------------------------------------


def base64_cores(data):
    """The base64 text `data` becomes inside any longer base64 text, at each of the three
    alignments: the characters that only `data`'s bits decide."""
    cores = []
    for shift in range(3):
        text = base64.b64encode(b"\0" * shift + data)
        start, end = -(-8 * shift // 6), 8 * (shift + len(data)) // 6
        cores.append(text[start:end])
    return cores


def binary_forms(data):
    forms = [("literal", data), ("hex", data.hex().encode()), ("HEX", data.hex().upper().encode())]
    for n, core in enumerate(base64_cores(data)):
        forms.append((f"base64/{n}", core))
        forms.append((f"base64url/{n}", core.replace(b"+", b"-").replace(b"/", b"_")))
    return forms


def text_forms(value):
    forms = binary_forms(value.encode())
    url = urllib.parse.quote(value, safe="")
    forms += [("url-encoded", url.encode()), ("url-encoded (+)", urllib.parse.quote_plus(value).encode()),
              ("url-encoded (lower)", re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), url).encode())]
    escaped = json.dumps(value)[1:-1]
    forms += [("json-escaped", escaped.encode()), ("json-escaped \\/", escaped.replace("/", "\\/").encode())]
    return forms


def unique(forms, literal):
    """`forms` without those equal to an earlier one or to the literal (found as literal then)."""
    seen, out = set(), []
    for name, pattern in forms:
        if pattern in seen or (name != "literal" and pattern == literal):
            continue
        seen.add(pattern)
        out.append((name, pattern))
    return out


class Secret:
    """One secret: its kind ("token PIN", "private key"), which one, and the byte patterns it
    could leak as, each named by its form."""

    def __init__(self, kind, label, forms):
        self.kind, self.label = kind, label
        literal = forms[0][1]
        self.forms = unique(forms, literal)
        too_short = [name for name, p in self.forms if len(p) < 12]
        assert not too_short, f"{kind} {label}: forms too short to search without false hits: {too_short}"

    def name(self):
        return f"{self.kind} ({self.label})"


def text_secret(kind, label, value):
    return Secret(kind, label, text_forms(value))


def openssl(*args, data=None, env=None):
    r = subprocess.run(["openssl", *args], input=data, capture_output=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])}: {r.stderr.decode(errors='replace')[:300]}")
    return r.stdout


def openssl_fields(text):
    """The hex fields of `openssl pkey -text` (privateExponent, prime1, priv, ...) as bytes."""
    fields, name = {}, None
    for line in text.splitlines():
        m = re.match(r"^([A-Za-z0-9]+):\s*$", line)
        if m:
            name = m.group(1)
            fields[name] = ""
        elif name and re.match(r"^\s+[0-9a-f:]+$", line):
            fields[name] += line.strip().replace(":", "")
        else:
            name = None
    return {k: bytes.fromhex(v).lstrip(b"\0") for k, v in fields.items() if v}


def pem_lines(pem):
    body = [line for line in pem.splitlines() if line and not line.startswith(b"-----")]
    middle = len(body) // 2
    return [(f"PEM line {n}", body[n]) for n in (middle - 2, middle + 2) if 0 <= n < len(body) and len(body[n]) == 64]


def key_secrets(label, pem):
    """The secrets of one private key (PEM, unencrypted): its encodings and its private numbers."""
    pkcs8_pem = openssl("pkey", data=pem)
    traditional_pem = openssl("pkey", "-traditional", data=pem)
    out = []
    for encoding, key_pem in (("PKCS#8", pkcs8_pem), ("PKCS#1/SEC1", traditional_pem)):
        der = pem_block_der(PEM_BLOCK.search(key_pem).group(2))
        out.append(Secret("private key", f"{label}, {encoding} DER", binary_forms(der) + pem_lines(key_pem)))
    fields = openssl_fields(openssl("pkey", "-text", "-noout", data=pem).decode())
    for field in ("privateExponent", "prime1", "prime2", "priv"):
        if field in fields:
            out.append(Secret("private key", f"{label}, {field}", binary_forms(fields[field])))
    assert len(out) > 2, f"{label}: no private numbers in openssl's text"
    return out


# An unencrypted PEM private key block (also with its newlines JSON-escaped): a finding of that key
# when it is one of the secrets, of "any" key when it is not.
PEM_BLOCK = re.compile(rb"-----BEGIN ((?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY)-----(.*?)-----END \1-----", re.S)
PEM_HEADER = re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH )?PRIVATE KEY-----")
PEM_HEADERS = [b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN RSA PRIVATE KEY-----", b"-----BEGIN EC PRIVATE KEY-----"]
ANY_PEM_KEY = Secret("private key", "any unencrypted PEM block, base64-wrapped",
                     [(f"base64/{n} of '{h.decode().strip('-')}'", core) for h in PEM_HEADERS
                      for n, core in enumerate(base64_cores(h))])

# --- what may hold a secret, and findings known -----------------------------------------------------

# (source, secret: regular expressions matched with re.search; why it is not a leak)
RULES = [
    (r"^file: tb/servers/(ss\d)/token/[^/]+\.p12$", r"^private key \(\1 token",
     "the token's input: its keys as PKCS#12 under the PIN, as X-Road's signer keeps them (docs/testbed.md)"),
    (r"^file: tb/secrets/", r"^token PIN ", "the instance's PIN file, when no XROAD_TOKEN_PIN was given (docs/testbed.md)"),
    (r"^file: tb/(\S+)$", r"^private key \(testbed \1, ",
     "the testbed's own key file: its CA, OCSP, TSA, signing and TLS keys sit unencrypted in the folder (docs/testbed.md)"),
    (r"^file: tb/servers/ss1/roadside\.yaml$", r"^(database password|S3 secret access key) ",
     "the operator's configuration file of ss1, where the test put them (input)"),
    (r"^pg_dump (ss\d)$", r"^private key \(\1 internal TLS key, ",
     "the internal TLS key is kept in the database (settings), as X-Road keeps internal.key on disk (docs/backups.md)"),
    (r"^http ss\d POST /api-keys \(Basic\) -> 200$", r"^API key \(made by the API\)",
     "the answer that makes a key shows it, once, to its maker (docs/admin-api.md)"),
    (r"^cli ss\d: roadside api-keys create .* \(exit 0\)$", r"^API key \(made by the CLI\)",
     "the command that makes a key prints it, once, to its maker (docs/admin-api.md)"),
]

# Findings known and reported, with the reason they do not fail the test: (source, secret, reason).
KNOWN = [
    (r"^(file: tb/servers/ss1/data/backups/[^/:]+\.tar|http ss1 GET /backups/[^/]+/download -> 200)(: database\.jsonl)?$",
     r"^private key \(ss1 internal TLS key, ",
     "an unencrypted backup holds the internal TLS key in plain, as X-Road's do (docs/backups.md: "
     "'Keep backups as you keep the database, or encrypt them'); ss2's, encrypted, holds nothing"),
]


def match_rule(rules, source, secret):
    for source_re, secret_re, why in rules:
        m = re.search(source_re, source)
        if m:
            secret_pattern = secret_re
            for n, group in enumerate(m.groups(), 1):
                secret_pattern = secret_pattern.replace(f"\\{n}", re.escape(group or ""))
            if re.search(secret_pattern, secret):
                return why
    return None


# --- the search ---------------------------------------------------------------------------------


class Source:
    """Bytes to search: a file (read when searched) or bytes the scenarios got."""

    def __init__(self, label, data=None, path=None, unpacked_from=None):
        self.label, self._data, self.path = label, data, path
        self.unpacked_from = unpacked_from  # the file or answer an archive member came from

    def data(self):
        if self._data is not None:
            return self._data
        with open(self.path, "rb") as f:
            return f.read()


def unpacked(label, data, depth=0, top=None):
    """The members of a tar or zip file (backups, message-log archives, the ASiC containers in
    them) as sources of their own: compressed, they would hide what they hold."""
    out = []
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = [(i.filename, z.read(i)) for i in z.infolist() if not i.is_dir()]
    elif data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            members = [(m.name, t.extractfile(m).read()) for m in t.getmembers() if m.isfile()]
    else:
        return out
    for name, member in members:
        out.append(Source(f"{label}: {name}", member, unpacked_from=top or label))
        if depth < 3:
            out += unpacked(f"{label}: {name}", member, depth + 1, top or label)
    return out


class Hit:
    def __init__(self, source, secret, form, offset, why=None):
        self.source, self.secret, self.form, self.offset, self.why = source, secret, form, offset, why

    def __str__(self):
        return f"{self.source}: {self.secret} as {self.form}, at byte {self.offset}"


def pem_block_der(body):
    """The DER in a PEM block's body, its newlines real or JSON-escaped; None when it is not base64."""
    text = re.sub(rb"\s+", b"", body.replace(b"\\n", b"").replace(b"\\r", b""))
    try:
        return base64.b64decode(text, validate=True)
    except ValueError:
        return None


def search(sources, all_secrets, rules=RULES, known=KNOWN):
    """Every secret in every form in every source: (rows of (label, bytes, findings, allowed, the
    archive it was unpacked from), findings, known findings, allowed hits)."""
    keys = {s.forms[0][1]: s for s in all_secrets if s.kind == "private key" and s.label.endswith(" DER")}
    rows, findings, known_hits, allowed = [], [], [], []
    for source in sources:
        data = source.data()
        hits = {}
        for secret in all_secrets + [ANY_PEM_KEY]:
            for form, pattern in secret.forms:
                at = data.find(pattern)
                if at >= 0:
                    hits[secret.name()] = Hit(source.label, secret.name(), form, at)
                    break  # one form is enough to show a secret is there
        blocks = list(PEM_BLOCK.finditer(data))
        for m in blocks:
            secret = keys.get(pem_block_der(m.group(2)))
            name = secret.name() if secret else "private key (any unencrypted PEM block)"
            hits.setdefault(name, Hit(source.label, name, "PEM block", m.start()))
        if not blocks and PEM_HEADER.search(data):
            name = "private key (any unencrypted PEM block)"
            hits[name] = Hit(source.label, name, "PEM header", PEM_HEADER.search(data).start())
        counts = [0, 0]
        for hit in hits.values():
            hit.why = match_rule(rules, source.label, hit.secret)
            if hit.why:
                allowed.append(hit)
                counts[1] += 1
                continue
            hit.why = match_rule(known, source.label, hit.secret)
            (known_hits if hit.why else findings).append(hit)
            counts[0] += 1
        rows.append((source.label, len(data), counts[0], counts[1], source.unpacked_from))
    return rows, findings, known_hits, allowed


def planted_line(kind_text):
    return (json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), "level": "DEBUG",
                        "logger": "signer", "msg": "token login", "detail": kind_text}) + "\n").encode()


def self_check(log_source, all_secrets, pin, db_password, exponent_secret):
    """The search finds secrets planted in a copy of a log: [] or what it missed."""
    exponent = exponent_secret.forms[0][1]
    planted = {
        ("token PIN (the PIN)", "literal"): planted_line(f"logging in with PIN {pin}"),
        ("database password (ss1 and ss2's role)", "url-encoded"):
            planted_line("connecting to postgresql://roadside:" + urllib.parse.quote(db_password, safe="") + "@db/roadside"),
        (exponent_secret.name(), "hex"): planted_line("key material " + exponent.hex()),
    }
    missed = []
    for (secret_name, form), line in planted.items():
        copy = Source(log_source.label + " (planted copy)", log_source.data() + line)
        _, findings, _, _ = search([copy], all_secrets)
        if not any(f.secret == secret_name and f.form == form for f in findings):
            missed.append(f"{secret_name} as {form} (found: {[str(f) for f in findings]})")
    return missed


# --- the scenarios ---------------------------------------------------------------------------------


class S3StandIn:
    """An S3 endpoint that writes down every request it gets and refuses each as AWS refuses a bad
    signature (with the string to sign, as AWS does): the archive upload's fault path."""

    def __init__(self, record_path):
        record = open(record_path, "ab")
        lock = threading.Lock()
        self.puts = 0
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def handle_one(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with lock:
                    record.write(f"{self.command} {self.path}\n{self.headers}".encode() + body + b"\n\n")
                    record.flush()
                    if self.command == "PUT":
                        stand_in.puts += 1
                if self.command == "HEAD":
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SignatureDoesNotMatch</Code>"
                          b"<Message>The request signature we calculated does not match the signature you provided."
                          b"</Message><StringToSign>" + self.headers.get("Authorization", "").encode()[:200] +
                          b"</StringToSign></Error>")
                self.send_response(403)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_PUT = do_GET = do_HEAD = do_POST = handle_one

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.record = record

    def stop(self):
        self.server.shutdown()
        self.record.close()


class Postgres(Pg):
    """The servers' databases and their role, on the harness's PostgreSQL; the role's password
    enforced by scram-sha-256 when the test can write the server's pg_hba.conf."""

    def __init__(self, info_file, password):
        super().__init__(info_file)
        self.socket_dir = self.host
        self.suffix = secrets.token_hex(4)
        self.role = f"rs_secrets_{self.suffix}"
        self.hba = os.path.join(self.socket_dir, "data", "pg_hba.conf")
        self.hba_line = f"host all {self.role} 127.0.0.1/32 scram-sha-256  # secrets_test {self.suffix}\n"
        self.enforced = False
        self.dbs = []
        self.sql("postgres", f"CREATE ROLE {self.role} LOGIN PASSWORD '{password}'")
        try:
            with open(self.hba) as f:
                text = f.read()
            with open(self.hba, "w") as f:
                f.write(self.hba_line + text)
            self.sql("postgres", "SELECT pg_reload_conf()")
            self.enforced = True
        except OSError as e:
            self.why_not = str(e)

    def create(self, name):
        db = f"{name}_{self.suffix}"
        self.sql("postgres", f"CREATE DATABASE {db} OWNER {self.role}")
        self.dbs.append(db)
        return db

    def dump(self, db):
        return subprocess.run(["pg_dump", "-h", self.socket_dir, "-p", str(self.port), "-U", "postgres", "-d", db],
                              capture_output=True, check=True).stdout

    def server_log(self):
        return os.path.join(self.socket_dir, "server.log")

    def close(self):
        if self.enforced:
            with open(self.hba) as f:
                text = f.read()
            with open(self.hba, "w") as f:
                f.write(text.replace(self.hba_line, ""))
            self.sql("postgres", "SELECT pg_reload_conf()")
        for db in self.dbs:
            self.sql("postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        self.sql("postgres", f"DROP ROLE IF EXISTS {self.role}")


def soap_get_random(client_member):
    return (f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:xroad="http://x-road.eu/xsd/xroad.xsd" xmlns:id="http://x-road.eu/xsd/identifiers"><SOAP-ENV:Header>'
            f'<xroad:client id:objectType="SUBSYSTEM"><id:xRoadInstance>DEV</id:xRoadInstance><id:memberClass>COM'
            f'</id:memberClass><id:memberCode>{client_member}</id:memberCode><id:subsystemCode>CLIENT</id:subsystemCode>'
            f'</xroad:client><xroad:service id:objectType="SERVICE"><id:xRoadInstance>DEV</id:xRoadInstance>'
            f'<id:memberClass>COM</id:memberClass><id:memberCode>1002</id:memberCode><id:subsystemCode>SERVICE'
            f'</id:subsystemCode><id:serviceCode>getRandom</id:serviceCode><id:serviceVersion>v1</id:serviceVersion>'
            f'</xroad:service><xroad:id>{uuid.uuid4()}</xroad:id><xroad:protocolVersion>4.0</xroad:protocolVersion>'
            f'</SOAP-ENV:Header><SOAP-ENV:Body><ns1:getRandom xmlns:ns1="http://test.x-road.global/producer"/>'
            f'</SOAP-ENV:Body></SOAP-ENV:Envelope>').encode()


class Run:
    """One run: the secrets, the instance, what the scenarios got."""

    def __init__(self, roadside, work, pg_info):
        self.roadside, self.work = roadside, work
        self.tb = os.path.join(work, "tb")
        self.got = []  # Sources: HTTP answers and command outputs
        self.secrets = []
        self.notes = []
        self.testbed = None
        self.s3 = None
        self.pg = None
        self.gpg_home = None
        self.pg_info = pg_info
        # Printable ASCII with characters that URL-encoding and JSON escaping change.
        self.pin = "Pin/" + secrets.token_urlsafe(12) + "+1"
        self.wrong_pin = "Pin/" + secrets.token_urlsafe(12) + "+2"
        self.admin_password = "Adm/" + secrets.token_urlsafe(12) + "+3"
        self.wrong_admin_password = "Adm/" + secrets.token_urlsafe(12) + "+4"
        self.db_password = "Db/" + secrets.token_urlsafe(12) + "+5"
        self.wrong_db_password = "Db/" + secrets.token_urlsafe(12) + "+6"
        self.s3_secret = "S3/" + secrets.token_urlsafe(18) + "+7"
        self.wrong_api_key = str(uuid.uuid4())
        for kind, label, value in (
                ("token PIN", "the PIN", self.pin), ("token PIN", "a wrong one, tried", self.wrong_pin),
                ("admin password", "the administrator's", self.admin_password),
                ("admin password", "a wrong one, tried", self.wrong_admin_password),
                ("admin password", "as Basic credentials", f"{ADMIN_USER}:{self.admin_password}"),
                ("admin password", "a wrong one as Basic credentials", f"{ADMIN_USER}:{self.wrong_admin_password}"),
                ("database password", "ss1 and ss2's role", self.db_password),
                ("database password", "a wrong one, tried", self.wrong_db_password),
                ("S3 secret access key", "the archive upload's", self.s3_secret),
                ("API key", "a wrong one, tried", self.wrong_api_key)):
            self.secrets.append(text_secret(kind, label, value))
        self.env = dict(os.environ, XROAD_TOKEN_PIN=self.pin, XROAD_DB_PWD=self.db_password,
                        XROAD_ADMIN_USER=ADMIN_USER, XROAD_ADMIN_PASSWORD=self.admin_password,
                        ROADSIDE_ARCHIVE_S3_SECRET_ACCESS_KEY=self.s3_secret)

    # -- helpers

    def cli(self, server, *args, env=None, expect=0):
        """`roadside ARGS` for `server` (ss1, ss2, or None), its output kept as a source."""
        config = ["--config", self.servers[server]["config"]] if server else []
        r = subprocess.run([self.roadside, *args, *config], capture_output=True, env=env or self.env, timeout=180)
        label = f"cli {server or '-'}: roadside {' '.join(args)} (exit {r.returncode})"
        self.got.append(Source(label, r.stdout + b"\n" + r.stderr))
        if expect is not None and r.returncode != expect:
            raise AssertionError(f"{label}, expected {expect}: {(r.stdout + r.stderr).decode(errors='replace')[:600]}")
        return r

    def http(self, label, method, url, headers=None, body=None, expect=None):
        """An HTTP request; its answer (status line, headers, body) kept as a source."""
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        context = ssl._create_unverified_context() if url.startswith("https") else None
        try:
            with urllib.request.urlopen(req, timeout=60, context=context) as r:
                status, head, data = r.status, str(r.headers), r.read()
        except urllib.error.HTTPError as e:
            status, head, data = e.code, str(e.headers), e.read()
        self.got.append(Source(f"http {label} -> {status}", f"HTTP {status}\n{head}\n".encode() + data))
        refused = expect == REFUSED and 400 <= status < 600
        if expect is not None and not refused and status not in (expect if isinstance(expect, tuple) else (expect,)):
            raise AssertionError(f"{label}: {status}, expected {expect}: {data[:600]!r}")
        return status, data

    def admin(self, server, label, method, path, auth, body=None, raw=None, expect=None):
        headers = {"Authorization": auth}
        if body is not None or raw is not None:
            headers["Content-Type"] = "application/json"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        return self.http(f"{server} {method} {path}{label}", method, self.servers[server]["admin_url"] + "/api/v1" + path,
                         headers, data, expect)

    def basic(self, password):
        return "Basic " + base64.b64encode(f"{ADMIN_USER}:{password}".encode()).decode()

    # -- the instance

    def setup(self):
        t0 = time.monotonic()
        r = subprocess.run([self.roadside, "testbed", "init", "--dir", self.tb, "--servers", "2"], capture_output=True,
                           env=self.env)
        if r.returncode != 0:
            raise AssertionError(f"testbed init: {r.stderr.decode(errors='replace')}")
        with open(os.path.join(self.tb, "instance.json")) as f:
            self.contract = json.load(f)
        self.servers = {f"ss{n + 1}": s for n, s in enumerate(self.contract["servers"])}
        self.read_keys()
        self.pg = Postgres(self.pg_info, self.db_password)
        if not self.pg.enforced:
            self.notes.append(f"database password: configured, not enforced (pg_hba.conf not writable: {self.pg.why_not})")
        self.s3 = S3StandIn(os.path.join(self.work, "s3-requests.log"))
        gpg_home = self.gpg_home = os.path.join(self.work, "gpghome")
        os.makedirs(gpg_home, mode=0o700)
        subprocess.run(["gpg", "--homedir", gpg_home, "--batch", "--passphrase", "", "--quick-gen-key",
                        "ss2 backups <ss2@example.org>", "future-default", "default", "never"], check=True,
                       capture_output=True)
        listing = subprocess.run(["gpg", "--homedir", gpg_home, "--with-colons", "--list-keys"], check=True,
                                 capture_output=True, text=True).stdout
        fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
        for name, server in self.servers.items():
            db = self.pg.create(f"secrets_{name}")
            lines = ["variant: full",
                     f"database:\n  host: 127.0.0.1\n  port: {self.pg.port}\n  user: {self.pg.role}\n  name: {db}\n"
                     "  sslmode: disable",
                     "messagelog:\n  timestamping_interval_s: 2\n  archive_interval: \"0/5 * * * * ?\"\n"
                     f"  archive_s3_endpoint: http://127.0.0.1:{self.s3.port}\n  archive_s3_bucket: archives\n"
                     f"  archive_s3_prefix: {name}/\n  archive_s3_access_key_id: AKIDSECRETSTEST{name.upper()}"]
            if name == "ss1":
                lines[1] += f"\n  password: \"{self.db_password}\""
                lines[2] += f"\n  archive_s3_secret_access_key: \"{self.s3_secret}\""
                lines.append(f"log:\n  level: TRACE\n  audit: {os.path.join(os.path.dirname(server['config']), 'audit.log')}")
            else:
                lines.append("log:\n  level: DEBUG")
                lines.append(f"backup:\n  encrypt_to: {fingerprint}\n  gpg_home: {gpg_home}")
            with open(server["config"], "a") as f:
                f.write("\n".join(lines) + "\n")
        self.offer_echo_on_ss1()
        self.figures = {"setup_s": time.monotonic() - t0}

    def offer_echo_on_ss1(self):
        """ss1's SERVICE offers the testbed's echo to ss2's CLIENT: messages go both ways."""
        import yaml
        echo_url = next(s["url"] for s in self.contract["services"] if s["id"].endswith("/echo"))
        path = self.servers["ss1"]["server_conf"]
        with open(path) as f:
            doc = yaml.safe_load(f)
        service = next(c for c in doc["clients"] if c["id"] == "SUBSYSTEM:DEV/COM/1001/SERVICE")
        service["services"] = [{"code": "echo", "type": "REST", "url": echo_url, "timeout_s": 30}]
        service["access"] = [{"service": "echo", "subjects": ["SUBSYSTEM:DEV/COM/1002/CLIENT"]}]
        with open(path, "w") as f:
            yaml.safe_dump(doc, f)

    def read_keys(self):
        """The private keys: the tokens' (PKCS#12 under the PIN) and every PEM key file of the testbed."""
        env = dict(os.environ, RS_P12_PIN=self.pin)
        for name in self.servers:
            token = os.path.join(self.tb, "servers", name, "token")
            with open(os.path.join(token, "keyconf.xml")) as f:
                keyconf = f.read()
            for p12 in sorted(os.listdir(token)):
                if not p12.endswith(".p12"):
                    continue
                key_id = p12[:-4]
                m = re.search(r"<key usage=\"(\w+)\">\s*<keyId>" + re.escape(key_id), keyconf)
                usage = m.group(1).lower() if m else key_id
                path = os.path.join(token, p12)
                try:
                    pem = openssl("pkcs12", "-in", path, "-nocerts", "-nodes", "-passin", "env:RS_P12_PIN", env=env)
                except RuntimeError:
                    pem = openssl("pkcs12", "-legacy", "-in", path, "-nocerts", "-nodes", "-passin", "env:RS_P12_PIN",
                                  env=env)
                self.secrets += key_secrets(f"{name} token {usage} key", pem)
        for folder, _, files in os.walk(self.tb):
            if os.sep + "token" in folder:
                continue
            for f in files:
                path = os.path.join(folder, f)
                with open(path, "rb") as fh:
                    data = fh.read()
                if PEM_BLOCK.search(data):
                    self.secrets += key_secrets(f"testbed {os.path.relpath(path, self.tb)}", data)

    def read_internal_tls_keys(self):
        for name in self.servers:
            db = self.pg.dbs[list(self.servers).index(name)]
            pem = self.pg.text(db, "SELECT value FROM settings WHERE key = 'internal_tls.pem'").encode()
            assert PEM_BLOCK.search(pem), f"{name}: no internal TLS key in its database's settings"
            block = re.search(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", pem, re.S)
            self.secrets += key_secrets(f"{name} internal TLS key", block.group(0) + b"\n")

    def start(self):
        t0 = time.monotonic()
        self.log = open(os.path.join(self.work, "up.log"), "wb")
        self.testbed = subprocess.Popen([self.roadside, "testbed", "up", "--dir", self.tb], stdout=self.log,
                                        stderr=subprocess.STDOUT, env=self.env)
        ready = wait_for(lambda: all(readyz(s["health_url"])[0] == 200 for s in self.servers.values()), 120, 1)
        if not ready:
            tails = {n: open(s["log"], errors="replace").read()[-2000:] for n, s in self.servers.items()
                     if os.path.exists(s["log"])}
            raise AssertionError(f"the servers did not become ready: {tails}")
        self.figures["start_s"] = time.monotonic() - t0

    def stop(self):
        if self.testbed:
            self.testbed.terminate()
            try:
                self.testbed.wait(60)
            except subprocess.TimeoutExpired:
                self.testbed.kill()
                self.testbed.wait()
            self.log.close()
            self.testbed = None

    def close(self):
        self.stop()
        if self.gpg_home:  # the agent gpg started for the key
            subprocess.run(["gpgconf", "--homedir", self.gpg_home, "--kill", "gpg-agent"], capture_output=True)
        if self.s3:
            self.s3.stop()
        if self.pg:
            self.pg.close()

    # -- the scenarios

    def messages(self):
        ss1, ss2 = self.servers["ss1"]["client_http"], self.servers["ss2"]["client_http"]
        rest = lambda client, to, path, label, **kw: self.http(  # noqa: E731
            label, kw.pop("method", "GET"), f"http://{client}/r1/{to}/{path}", {"X-Road-Client": kw.pop("who")}, **kw)
        for _ in range(30):  # the first message may wait for OCSP responses and the peer's certificate
            if rest(ss1, "DEV/COM/1002/SERVICE", "echo/warm-up", "ss1 REST echo warm-up", who="DEV/COM/1001/CLIENT")[0] == 200:
                break
            time.sleep(1)
        rest(ss1, "DEV/COM/1002/SERVICE", "echo/hello?x=1", "ss1 -> ss2 REST GET echo", who="DEV/COM/1001/CLIENT",
             expect=200)
        rest(ss1, "DEV/COM/1002/SERVICE", "echo/post", "ss1 -> ss2 REST POST echo", who="DEV/COM/1001/CLIENT",
             method="POST", body=b'{"hello": "world"}', expect=200)
        status = 0
        for _ in range(30):  # ss1 takes ss1's new service within seconds of the file's change
            status = rest(ss2, "DEV/COM/1001/SERVICE", "echo/back", "ss2 -> ss1 REST GET echo", who="DEV/COM/1002/CLIENT")[0]
            if status == 200:
                break
            time.sleep(1)
        assert status == 200, f"ss2 -> ss1: {status}"
        self.http("ss1 -> ss2 SOAP getRandom", "POST", f"http://{ss1}/", {"Content-Type": "text/xml; charset=utf-8"},
                  soap_get_random("1001"), expect=200)
        # Client ids that are no client: unknown, malformed, and in a SOAP header.
        rest(ss1, "DEV/COM/1002/SERVICE", "echo/x", "ss1 REST unknown client", who="DEV/COM/9999/NOBODY", expect=REFUSED)
        rest(ss1, "DEV/COM/1002/SERVICE", "echo/x", "ss1 REST malformed client", who="DEV//%00/x", expect=REFUSED)
        self.http("ss1 SOAP unknown client", "POST", f"http://{ss1}/", {"Content-Type": "text/xml; charset=utf-8"},
                  soap_get_random("9999"), expect=REFUSED)

    def admin_api(self):
        made = self.admin("ss1", " (Basic)", "POST", "/api-keys", self.basic(self.admin_password), body=ROLES, expect=200)[1]
        made = json.loads(made)
        self.secrets.append(text_secret("API key", "made by the API", made["key"]))
        key = f"X-Road-ApiKey token={made['key']}"
        self.admin("ss1", " (wrong Basic password)", "POST", "/api-keys", self.basic(self.wrong_admin_password), body=ROLES,
                   expect=401)
        self.admin("ss1", " (Basic)", "GET", "/api-keys", self.basic(self.admin_password), expect=200)
        self.admin("ss1", "", "GET", "/tokens", key, expect=200)
        self.admin("ss1", " (wrong key)", "GET", "/tokens", f"X-Road-ApiKey token={self.wrong_api_key}", expect=401)
        # The PIN: wrong, in a malformed body, logged out and in again, a second initialization.
        self.admin("ss1", " (wrong PIN)", "PUT", "/tokens/0/login", key, body={"password": self.wrong_pin},
                   expect=REFUSED)
        self.admin("ss1", " (malformed body)", "PUT", "/tokens/0/login", key,
                   raw=b'{"password": "' + self.pin.encode() + b'", ', expect=400)
        self.admin("ss1", " (PIN in a list)", "PUT", "/tokens/0/login", key,
                   raw=json.dumps({"password": [self.pin]}).encode(), expect=REFUSED)
        self.admin("ss1", "", "PUT", "/tokens/0/logout", key, expect=200)
        self.admin("ss1", " (wrong PIN, logged out)", "PUT", "/tokens/0/login", key, body={"password": self.wrong_pin},
                   expect=REFUSED)
        self.admin("ss1", "", "PUT", "/tokens/0/login", key, body={"password": self.pin}, expect=200)
        self.admin("ss1", " (again)", "POST", "/initialization", key,
                   body={"owner_member_class": "COM", "owner_member_code": "1001", "security_server_code": "ss1",
                         "software_token_pin": self.pin}, expect=REFUSED)
        self.admin("ss1", " (no such client)", "GET", "/clients/DEV:COM:NOBODY-" + secrets.token_hex(4), key,
                   expect=REFUSED)
        self.admin("ss1", " (malformed)", "POST", "/clients", key, raw=b'{"client": {"member_class": ', expect=400)
        for path in ("/system/certificate", "/system/anchor", "/tokens/0", "/diagnostics/globalconf",
                     "/diagnostics/ocsp-responders", "/diagnostics/timestamping-services",
                     "/diagnostics/backup-encryption-status", "/diagnostics/message-log-encryption-status"):
            self.admin("ss1", "", "GET", path, key, expect=200)
        # The CLI: a key made on ss2, used by nobody, revoked.
        made2 = json.loads(self.cli("ss2", "api-keys", "create", "XROAD_SECURITYSERVER_OBSERVER").stdout)
        self.secrets.append(text_secret("API key", "made by the CLI", made2["key"]))
        self.cli("ss2", "api-keys", "list")
        self.cli("ss2", "api-keys", "revoke", str(made2["id"]))
        self.admin("ss2", " (revoked key)", "GET", "/tokens", f"X-Road-ApiKey token={made2['key']}", expect=401)
        wrong_pin_env = dict(self.env, XROAD_TOKEN_PIN=self.wrong_pin)
        self.cli("ss1", "token", "login", env=wrong_pin_env, expect=1)
        self.cli("ss1", "token", "login")
        self.cli("ss1", "api", "GET", "/tokens")
        self.api_key = key

    def backups(self):
        self.downloads = []
        for name in self.servers:
            self.cli(name, "backup", "create")
            self.cli(name, "backup", "list")
        time.sleep(1.1)  # a backup's name has the second it was made in
        made = json.loads(self.admin("ss1", "", "POST", "/backups", self.api_key, expect=(200, 201))[1])
        self.admin("ss1", "", "GET", "/backups", self.api_key, expect=200)
        self.downloads.append((f"http ss1 GET /backups/{made['filename']}/download -> 200",
                               self.admin("ss1", "", "GET", f"/backups/{made['filename']}/download", self.api_key,
                                          expect=200)[1]))

    def config_and_metrics(self):
        for name in self.servers:
            self.cli(name, "config", "show")
            self.cli(name, "config", "show", "--format", "json")
            self.http(f"{name} GET /metrics", "GET", self.servers[name]["health_url"] + "/metrics", expect=200)

    def archive_upload_refused(self):
        """Archives are made every 5 s and uploaded: wait for the stand-in to refuse one of each server's."""
        got = wait_for(lambda: self.s3.puts >= 2, 60, 1)
        if not got:
            self.notes.append(f"S3: {self.s3.puts} uploads tried in 60 s (2 expected)")

    def after_stop(self):
        """What needs the servers stopped: a command refused for a wrong database password."""
        wrong_db = dict(self.env, XROAD_DB_PWD=self.wrong_db_password)
        r = self.cli("ss2", "backup", "list", env=wrong_db, expect=None)
        if self.pg.enforced and r.returncode == 0:
            raise AssertionError("a wrong database password was not refused: " + r.stdout.decode(errors="replace"))

    # -- what to search

    def sources(self):
        out = []
        for folder, dirs, files in os.walk(self.work):
            dirs.sort()
            for f in sorted(files):
                path = os.path.join(folder, f)
                if os.path.isfile(path) and not os.path.islink(path):
                    out.append(Source("file: " + os.path.relpath(path, self.work), path=path))
        for name, db in zip(self.servers, self.pg.dbs):
            out.append(Source(f"pg_dump {name}", self.pg.dump(db)))
        if os.path.exists(self.pg.server_log()):
            out.append(Source("file: PostgreSQL's log", path=self.pg.server_log()))
        out += self.got
        for source in list(out):
            if source.path:
                out += unpacked(source.label, source.data())
        for label, body in self.downloads:
            out += unpacked(label, body)
        return out


def print_table(rows):
    """One line a source; an archive's members (tar, zip, and the zips in them) on one line."""
    lines, members = [], {}
    for label, size, found, allowed, unpacked_from in rows:
        if unpacked_from:
            total = members.setdefault(unpacked_from, [0, 0, 0, 0])
            for i, v in enumerate((1, size, found, allowed)):
                total[i] += v
        else:
            lines.append([label, size, found, allowed])
    with_members = []
    for line in lines:
        with_members.append(line)
        if line[0] in members:
            n, size, found, allowed = members[line[0]]
            with_members.append([f"{line[0]}: its {n} members, unpacked", size, found, allowed])
    lines = with_members
    width = min(110, max(len(line[0]) for line in lines))
    print(f"{'source':<{width}} {'bytes':>10} findings allowed")
    for label, size, found, allowed in lines:
        shown = label if len(label) <= width else label[: width - 3] + "..."
        print(f"{shown:<{width}} {size:>10} {found:>8} {allowed:>7}")


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    plant = "--plant" in sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    roadside = os.path.abspath(args[0])
    pg_info = args[1] if len(args) > 1 else ""
    started = time.monotonic()
    own_pg = None
    work = tempfile.mkdtemp(prefix="roadside-secrets-")
    os.chmod(work, 0o755)
    if not (pg_info and os.path.exists(pg_info)):
        own_pg = os.path.join(work, "..", os.path.basename(work) + "-pg-info")
        subprocess.run([os.path.join(SOURCE, "tests", "pg", "pg-harness.sh"), "start", own_pg], check=True,
                       capture_output=True)
        pg_info = own_pg
    run = Run(roadside, work, pg_info)
    try:
        run.setup()
        run.start()
        t0 = time.monotonic()
        run.read_internal_tls_keys()
        run.messages()
        run.admin_api()
        run.backups()
        run.config_and_metrics()
        run.archive_upload_refused()
        run.stop()
        run.after_stop()
        run.figures["scenarios_s"] = time.monotonic() - t0
        ss1_log = run.servers["ss1"]["log"]
        if plant:
            with open(ss1_log, "ab") as f:
                f.write(planted_line(f"logging in with PIN {run.pin}"))
        t0 = time.monotonic()
        sources = run.sources()
        rows, findings, known, allowed = search(sources, run.secrets)
        search_s = time.monotonic() - t0
        log_source = next(s for s in sources if s.path == ss1_log)
        exponent = next(s for s in run.secrets if s.label.startswith("ss1 token") and s.label.endswith("privateExponent"))
        missed = self_check(log_source, run.secrets, run.pin, run.db_password, exponent)
    finally:
        run.close()
        if own_pg:
            subprocess.run([os.path.join(SOURCE, "tests", "pg", "pg-harness.sh"), "stop", own_pg], capture_output=True)
        if os.environ.get("SECRETS_TEST_KEEP"):
            subprocess.run(["cp", "-r", work, os.environ["SECRETS_TEST_KEEP"]])
        shutil.rmtree(work, ignore_errors=True)

    print_table(rows)
    patterns = sum(len(s.forms) for s in run.secrets) + len(ANY_PEM_KEY.forms) + 1
    print(f"\nsearched: {len(rows)} sources, {sum(r[1] for r in rows)} bytes, for {len(run.secrets)} secrets "
          f"in {patterns} patterns, in {search_s:.1f} s; setup {run.figures['setup_s']:.0f} s, start "
          f"{run.figures['start_s']:.0f} s, scenarios {run.figures['scenarios_s']:.0f} s, "
          f"total {time.monotonic() - started:.0f} s")
    kinds = sorted({s.kind for s in run.secrets})
    print("secret kinds: " + ", ".join(f"{k} ({sum(s.kind == k for s in run.secrets)})" for k in kinds))
    for note in run.notes:
        print("note: " + note)
    reasons = {}
    for hit in allowed:
        reasons.setdefault(hit.why, []).append(hit)
    print(f"\nallowed ({len(allowed)} hits in places that hold a secret by design):")
    for why, hits in reasons.items():
        print(f"  {why}:")
        for hit in hits:
            print(f"    {hit}")
    if known:
        print(f"\nKNOWN FINDINGS ({len(known)}; reported, not failing):")
        for hit in known:
            print(f"  {hit}\n    known: {hit.why}")
    print("\nself-check (secrets planted in a copy of ss1's log): "
          + ("found all three" if not missed else "MISSED " + "; ".join(missed)))
    print(f"\nFINDINGS: {len(findings)}")
    for hit in findings:
        print(f"  {hit}")
    ok = not findings and not missed
    print("\nsecrets test: " + ("passed, no secret found where it should not be" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
