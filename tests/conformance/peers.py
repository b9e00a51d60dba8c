"""The parties a case talks to besides Roadside: the mock service behind the provider's server
and the stub that stands in for a provider's server proxy. Both answer as the current case says
(its response file, content type and behaviour), like X-Road's DummyService and
DummyServerProxy."""

import http.server
import mimetypes
import re
import socket
import socketserver
import threading

import suite


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _handler_for(handle, methods=("GET", "POST")):
    """An HTTP/1.1 request handler class, silent, that passes each request of `methods` to
    handle(handler)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

    for method in methods:
        setattr(Handler, "do_" + method, lambda self: handle(self))
    return Handler


def read_body(handler):
    """The request body, by Content-Length or chunked transfer coding."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        out = bytearray()
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            out += handler.rfile.read(size)
            handler.rfile.readline()
    return handler.rfile.read(int(handler.headers.get("Content-Length") or 0))


class Answering:
    """What the current case makes a party answer; set by the runner before each case."""

    def __init__(self):
        self.case = None
        self.query_id = ""
        self.sent = None  # (body, content type) the client sent
        self.failures = []  # service-side checks that failed
        self.received = []  # (headers, body) of every request that arrived
        self.lock = threading.Lock()

    def start_case(self, case, query_id, sent):
        with self.lock:
            self.case, self.query_id, self.sent = case, query_id, sent
            self.failures, self.received = [], []

    def fail(self, why):
        with self.lock:
            self.failures.append(why)

    def response_body(self, substitute=True):
        case = self.case
        data = case.read(case.response_file)
        if substitute:
            data = suite.substitute_query_id(data, self.query_id)
        if case.response_transform and "BOM" in case.response_transform:
            data = b"\xef\xbb\xbf" + data
        return data


def _behaviour(case):
    return (case.response_behaviour or "").lower() if case else ""


def _aborts(case):
    """The party declares a length and sends no body (X-Road's aborting handlers)."""
    b = _behaviour(case)
    return "content-length: 1000" in b and "no body" in b


def _abort(handler, content_type):
    handler.send_response(200)
    if content_type:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.flush()
    handler.close_connection = True
    handler.connection.shutdown(socket.SHUT_RDWR)


def _reply(handler, status, content_type, body, extra=()):
    handler.send_response(status)
    if content_type is not None:
        handler.send_header("Content-Type", content_type)
    for name, value in extra:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class MockService:
    """X-Road's DummyService: checks what arrived against what the client sent, then answers
    with the case's response file."""

    def __init__(self, answering, checks, tls=None):
        self.answering = answering
        self.checks = checks  # checks.service_side(answering, headers, body) -> [failures]
        self.server = _Server(("127.0.0.1", 0), _handler_for(self.handle))
        if tls is not None:  # an ssl.SSLContext: X-Road's mock service on its TLS port
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, h):
        a = self.answering
        body = read_body(h)
        with a.lock:
            a.received.append((dict(h.headers.items()), body))
        case = a.case
        if case is None:
            _reply(h, 500, "text/plain", b"no case is running\n")
            return
        if _aborts(case):
            _abort(h, None)
            return
        behaviour = _behaviour(case)
        if "http 500" in behaviour and case.response_file:
            # A service that answers with its own fault, sent as it is.
            _reply(h, 500, "text/xml", a.response_body(substitute=False))
            return
        for why in self.checks.service_side(a, h.headers, body):
            a.fail(why)
        if not case.response_file:
            _reply(h, 200, None, b"")
            return
        _reply(h, case.response_status or 200, case.response_content_type, a.response_body())

    def stop(self):
        self.server.shutdown()


class StubServerProxy:
    """X-Road's DummyServerProxy: reads the signed request whole and answers with the case's
    response file, always with Connection: close and x-hash-algorithm: SHA512."""

    def __init__(self, answering, address):
        self.answering = answering
        self.server = _Server((address, 0), _handler_for(self.handle))
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, h):
        a = self.answering
        read_body(h)
        case = a.case
        h.close_connection = True
        if case is not None and _aborts(case):
            _abort(h, "text/xml")
            return
        body = a.response_body() if case is not None and case.response_file else b""
        content_type = case.response_content_type if case is not None else "text/plain"
        _reply(h, 200, content_type, body, [("Connection", "close"), ("x-hash-algorithm", "SHA512")])

    def stop(self):
        self.server.shutdown()


_SERVES_FILE = re.compile(r"HTTP server on ([\w.-]+):(\d+)\b.*? serving (\S+)")
_URL = re.compile(r"https?://([\w.-]+):(\d+)(/[^\s,;)'\"]*)?")


def file_servers(case):
    """(host, port, file, paths) of every file server the case's `needs` ask for ("... HTTP
    server on HOST:PORT ... serving FILE"): its paths are those the case's sentences give for
    that host and port (none: every path)."""
    text = " ".join((case.needs or []) + [case.response_behaviour or ""])
    out = []
    for need in case.needs or []:
        m = _SERVES_FILE.search(need)
        if m:
            host, port, rel = m.group(1), int(m.group(2)), m.group(3).rstrip(".,;")
            paths = {u.group(3) for u in _URL.finditer(text)
                     if u.group(1) == host and int(u.group(2)) == port and u.group(3)}
            out.append((host, port, rel, sorted(paths)))
    return out


def content_type_of(rel):
    if rel.endswith((".wsdl", ".xml", ".xsd")):
        return "text/xml; charset=UTF-8"
    return mimetypes.guess_type(rel)[0] or "application/octet-stream"


class FileServer:
    """A fixed-port HTTP server that answers one file for any method (X-Road's WireMock
    fixtures): at `paths` when given, else at every path; 404 elsewhere. Raises RuntimeError
    naming the port when it cannot listen there (taken), so a case fails rather than waits."""

    def __init__(self, host, port, data, content_type, paths=()):
        self.data, self.content_type, self.paths = data, content_type, set(paths)
        handler = _handler_for(self.handle, ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"))
        address = "127.0.0.1" if host == "localhost" else host
        try:
            self.server = _Server((address, port), handler)
        except OSError as e:
            raise RuntimeError(f"cannot serve on {host}:{port}, which the case needs (fixed port): {e}") from e
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def handle(self, h):
        read_body(h)
        if self.paths and h.path.split("?")[0] not in self.paths:
            _reply(h, 404, "text/plain", b"not found\n")
            return
        _reply(h, 200, self.content_type, self.data)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port(address="127.0.0.1"):
    """A port nothing listens on (bound and released)."""
    s = socket.socket()
    s.bind((address, 0))
    port = s.getsockname()[1]
    s.close()
    return port
