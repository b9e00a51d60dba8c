#!/usr/bin/env python3
"""Runs a proxy test suite in X-Road's manifest format against Roadside.

    run.py ROADSIDE_BINARY [SUITE_DIR] [--known-failures FILE]

SUITE_DIR defaults to $ROADSIDE_VECTORS/xroad/proxy-suite ($ROADSIDE_VECTORS defaults to
../shared/vectors beside the repository). The runner builds a testbed instance with the
clients, services and access rights the suite's message files name (every client may call
every service, as in X-Road's suite), a mock service, and a stub server proxy; sends each
case's request through Roadside; judges the answer as X-Road's runner does; and prints a
line per case and `N passed, N failed, N skipped`. Exit status 0 when nothing failed.

A case is skipped only when the manifest marks it not portable (the reason is printed) or
when a file it needs is missing from the suite folder (named). Everything else runs.

--known-failures FILE names cases (one "Name: why" a line) that fail for a known reason not
fixed yet: they still run and count as failed, and they do not make the exit status non-zero;
one of them passing does (take it off the list), so the list only shrinks.
"""

import contextlib
import hashlib
import http.client
import os
import re
import shutil
import signal
import ssl
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checks  # noqa: E402
import peers  # noqa: E402
import suite  # noqa: E402
import instance as tb  # noqa: E402

# X-Road's runner kills a case after 60 s. Here a case that takes longer still counts (a
# sanitizer build is slower), but its line says so.
CASE_TIMEOUT_S = 60


def default_suite():
    here = os.path.dirname(os.path.abspath(__file__))
    vectors = os.environ.get("ROADSIDE_VECTORS") or os.path.join(here, "..", "..", "..", "shared", "vectors")
    return os.path.normpath(os.path.join(vectors, "xroad", "proxy-suite"))


def query_id():
    """X-Road's: MD5 of the current time in milliseconds (8 bytes, big-endian), as hex."""
    return hashlib.md5(int(time.time() * 1000).to_bytes(8, "big")).hexdigest()


# ---- the request ----------------------------------------------------------------------------

def request_of(case, qid):
    """(method, body bytes or an iterator of chunks, content type, sent copy for the checks)."""
    transform = (case.request_transform or "").lower()
    if case.http_method == "GET":
        return "GET", None, None, (b"", "")
    if "zero-byte body" in transform:
        return "POST", b"", case.request_content_type, (b"", case.request_content_type or "")
    if "generated" in transform and "repeated" in transform:
        return generated(case, qid)
    body = suite.substitute_query_id(case.read(case.request_file), qid)
    if "bom" in transform:
        body = b"\xef\xbb\xbf" + body
    return "POST", body, case.request_content_type, (body, case.request_content_type)


def generated(case, qid):
    """A multipart request whose attachment is one random block repeated, streamed (X-Road's
    AttachmentBig): the numbers come from the manifest's sentence."""
    t = case.request_transform
    block = int(re.search(r"random (\d+)-byte block", t).group(1))
    times = int(re.search(r"repeated (\d+) times", t).group(1))
    soap_file = case.request_soap_file()
    boundary = "conformance" + qid[:12]
    soap = suite.substitute_query_id(case.read(soap_file), qid)
    head = (f"--{boundary}\r\nContent-Type: text/xml; charset=UTF-8\r\n\r\n").encode() + soap + \
           (f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    data = os.urandom(block)

    def chunks():
        yield head
        piece = data * 1024
        full, rest = divmod(times, 1024)
        for _ in range(full):
            yield piece
        if rest:
            yield data * rest
        yield tail

    content_type = f'multipart/related; type="text/xml"; charset=UTF-8; boundary={boundary}'
    sent = head + tail  # for the checks: the header and the attachment count
    return "POST", chunks(), content_type, (sent, content_type)


def send(case, url, method, body, content_type, tls):
    """(status, headers dict, body bytes) of the answer, or raises OSError."""
    host, port, path = url
    timeout = 300 if not isinstance(body, (bytes, type(None))) else 45
    if tls:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=tls)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"x-hash-algorithm": "SHA512"}
    headers.update(case.request_headers or {})
    if content_type is not None:
        headers["Content-Type"] = content_type
    if method == "POST":
        chunks = [body] if isinstance(body, bytes) else body
        conn.request(method, path, body=iter(chunks), headers=headers, encode_chunked=True)
    else:
        conn.request(method, path, headers=headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k: v for k, v in r.getheaders()}, data


# ---- judging --------------------------------------------------------------------------------

def judge(case, judge_, answering, status, headers, body):
    """None when the case passed, else why it failed."""
    if answering.failures:
        return "at the service: " + "; ".join(answering.failures)
    if status not in (200, 500):
        return f"HTTP {status} (X-Road's client accepts 200 and 500 only)"
    content_type = headers.get("Content-Type")
    if content_type is None and case.http_method == "POST":
        return "the answer has no Content-Type"
    soap, _ = suite.split_message(body, content_type or "text/xml")
    envelope = suite.parse_xml(soap)
    header = suite.xroad_header(envelope)
    first = suite.soap_body_first(envelope)
    extra = judge_.client_side(case, headers, body, envelope, header)
    if judge_.soap_checks_bypassed(case):
        return "; ".join(extra) or None
    if first is not None and first.tag == f"{{{suite.SOAP_NS}}}Fault":
        code = (first.findtext("faultcode") or "").strip()
        string = (first.findtext("faultstring") or "").strip()
        if case.expect != "fault":
            return f"fault {code}: {string}"
        match = case.fault_match
        if match == "exact" and code != case.fault_code:
            return f"fault {code} ({string}), expected {case.fault_code}"
        if match == "prefix" and not code.startswith(case.fault_code or ""):
            return f"fault {code} ({string}), expected one starting {case.fault_code}"
        return "; ".join(extra) or None
    if envelope is None:
        return f"the answer is not SOAP (HTTP {status}, {content_type}): {body[:200]!r}"
    if first is None or not first.tag.endswith("Response"):
        return f"the answer is not a SOAP response (first element {first.tag if first is not None else None})"
    if case.expect != "ok":
        return f"a response, expected fault {case.fault_code}"
    return "; ".join(extra) or None


# ---- main -----------------------------------------------------------------------------------

def skip_reason(case):
    if not case.portable:
        return f"not portable ({case.portability}): " + "; ".join(case.needs or [])
    missing = case.missing()
    if missing:
        return "missing from the suite folder: " + ", ".join(missing)
    return None


def main(argv):
    known = {}
    if "--known-failures" in argv:
        at = argv.index("--known-failures")
        with open(argv[at + 1], encoding="utf-8") as f:
            for line in f:
                name, sep, why = line.partition(":")
                if sep and not line.startswith("#"):
                    known[name.strip()] = why.strip()
        argv = argv[:at] + argv[at + 2:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(argv[1])
    suite_dir = os.path.abspath(argv[2]) if len(argv) > 2 and argv[2] else default_suite()
    if not os.path.exists(os.path.join(suite_dir, "cases.json")):
        print(f"SKIP: no suite at {suite_dir} (set ROADSIDE_VECTORS or pass a folder)")
        return 0
    cases = suite.load(suite_dir)
    work = tempfile.mkdtemp(prefix="roadside-conformance-")
    answering = peers.Answering()
    judge_ = checks.Judge()
    service = peers.MockService(answering, judge_)
    passed = failed = skipped = 0
    unexpected = []
    started = time.monotonic()
    try:
        inst = tb.Instance(binary, work, cases, service.port)
        stub = peers.StubServerProxy(answering, inst.provider_address())
        # The mock service over TLS, with the key X-Road's suite gives it (certs/consumer.p12).
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.set_ciphers("DEFAULT:@SECLEVEL=0")  # the suite's certificates are signed with SHA-1
        tls.load_cert_chain(inst.cert_pem("certs/consumer.p12"), inst.key_pem("certs/consumer.p12"))
        tls_service = peers.MockService(answering, judge_, tls)
        inst.mock_tls_port = tls_service.port
        # Cases that need the same servers run together: fewer restarts.
        order = sorted(range(len(cases)), key=lambda i: (tb.setup_of(cases[i]), i))
        for i in order:
            case = cases[i]
            why = skip_reason(case)
            if why:
                skipped += 1
                print(f"SKIP {case.name}: {why}", flush=True)
                continue
            t0 = time.monotonic()
            try:
                result = run_case(case, inst, answering, judge_, stub)
            except Exception as e:  # a case that cannot run fails; the others still run
                result = f"{type(e).__name__}: {e}"
            took = time.monotonic() - t0
            if result is None:
                passed += 1
                late = f", over X-Road's {CASE_TIMEOUT_S} s limit" if took > CASE_TIMEOUT_S else ""
                print(f"PASS {case.name} ({took:.1f} s{late})", flush=True)
                if case.name in known:
                    unexpected.append(f"{case.name} passes: take it off the known failures")
            else:
                failed += 1
                note = f" [known: {known[case.name]}]" if case.name in known else ""
                print(f"FAIL {case.name} ({took:.1f} s): {result}{note}", flush=True)
                if case.name not in known:
                    unexpected.append(f"{case.name} fails")
    finally:
        service.stop()
        if "tls_service" in locals():
            tls_service.stop()
        if "inst" in locals():
            inst.stop()
        if os.environ.get("CONFORMANCE_KEEP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"in {time.monotonic() - started:.0f} s")
    if known:
        listed = sum(1 for c in cases if c.name in known)
        print(f"{listed} cases are listed as known failures; not as known: " + ("; ".join(unexpected) or "none"))
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if not unexpected else 1


def run_case(case, inst, answering, judge_, stub):
    inst.prepare(case, stub)
    qid = query_id()
    method, body, content_type, sent = request_of(case, qid)
    answering.start_case(case, qid, sent)
    url, tls = inst.target(case)
    with contextlib.ExitStack() as fixtures:
        for host, port, rel, paths in peers.file_servers(case):
            server = peers.FileServer(host, port, case.read(rel), peers.content_type_of(rel), paths)
            fixtures.callback(server.stop)
        try:
            status, headers, data = send(case, url, method, body, content_type, tls)
        except (OSError, http.client.HTTPException) as e:
            return f"no answer: {type(e).__name__}: {e}"
    return judge(case, judge_, answering, status, headers, data)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    sys.exit(main(sys.argv))
