"""A proxy test suite in X-Road's manifest format (cases.json + files/), read as data.

The format is described in the suite folder's README: one object per case, naming the request
file, what the service answers, the expected result and how X-Road's runner judges it. Nothing
here knows any case by name: identifiers come from the message files, per-case server
configuration from the `needs` sentences, checks from the `checks` sentences.
"""

import base64
import email.parser
import email.policy
import json
import os
import quopri
import re
import xml.etree.ElementTree as ET

XROAD_NS = "http://x-road.eu/xsd/xroad.xsd"
ID_NS = "http://x-road.eu/xsd/identifiers"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"

# X-Road's MessageTestCase substitutes the query id with the Java regex
# \<xroad:id\>(.?)+\<\/xroad:id\>; (.?)+ matches what .* matches on one line.
_QUERY_ID = re.compile(r"<xroad:id>.*</xroad:id>")

# The header fields X-Road's @CheckConsistency compares between sent and received messages.
CONSISTENT_FIELDS = ("client", "service", "userId", "representedParty", "issue", "id")


class Case:
    def __init__(self, raw, files_dir):
        self.raw = raw
        self.files_dir = files_dir
        for key, value in raw.items():
            setattr(self, key, value)

    def file_path(self, rel):
        return os.path.join(self.files_dir, rel) if rel else None

    def read(self, rel):
        with open(self.file_path(rel), "rb") as f:
            return f.read()

    def missing(self):
        """Files the case needs that the suite folder lacks."""
        wanted = [self.request_file, self.response_file] + list(self.files or [])
        return sorted({f for f in wanted if f and not os.path.exists(self.file_path(f))} | set(self.missing_files or []))

    def request_soap_file(self):
        """The file the request's SOAP message comes from: the request file, or the one a
        generated request's transform names ("part 1 ... = queries/x.query")."""
        if self.request_file:
            return self.request_file
        m = re.search(r"= ((?:[\w.-]+/)*[\w.-]+\.query)", self.request_transform or "")
        return m.group(1) if m else None

    def needs_text(self):
        return " ".join(self.needs or [])

    def tls_between_servers(self):
        return "proxy-to-proxy TLS enabled" in self.needs_text()


def load(suite_dir):
    with open(os.path.join(suite_dir, "cases.json"), encoding="utf-8") as f:
        raw = json.load(f)
    if not isinstance(raw, list):
        raise ValueError(f"{suite_dir}/cases.json is not a JSON array")
    files_dir = os.path.join(suite_dir, "files")
    return [Case(c, files_dir) for c in raw]


def substitute_query_id(data: bytes, query_id: str) -> bytes:
    text = data.decode("utf-8")
    return _QUERY_ID.sub(f"<xroad:id>{query_id}</xroad:id>", text).encode("utf-8")


# ---- messages --------------------------------------------------------------------------------

def parse_mime(body: bytes, content_type: str):
    """The body with its Content-Type as an email.message.Message (parts in get_payload())."""
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\nMIME-Version: 1.0\r\n\r\n"
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(head + body)


def split_message(body: bytes, content_type: str):
    """(SOAP part bytes, [attachment parts as email.message.Message]) of a SOAP message with
    or without attachments. Nested multiparts are flattened, as X-Road counts attachments.

    The parts are found with bytes.find, not the email package: a message may carry hundreds
    of megabytes (AttachmentBig), which the email parser reads line by line in Python."""
    if content_type and content_type.strip().lower().startswith("multipart/"):
        parts = _mime_parts(body, content_type)
        if not parts:
            return None, []
        head, soap = parts[0]
        cte = (head.get("Content-Transfer-Encoding") or "").strip().lower()
        if cte == "base64":
            soap = base64.b64decode(soap)
        elif cte == "quoted-printable":
            soap = quopri.decodestring(soap)
        attachments = []
        for part_head, part_body in parts[1:]:
            attachments.extend(_leaves(part_head, part_body))
        return soap, attachments
    return body, []


def _boundary(content_type):
    return parse_mime(b"", content_type).get_boundary()


def _mime_parts(body: bytes, content_type: str):
    """[(headers as email.message.Message, body bytes)] of a multipart body: LF or CRLF line
    ends, preamble and epilogue ignored, a body cut after a delimiter ends there."""
    boundary = _boundary(content_type)
    if not boundary:
        return []
    delim = b"--" + boundary.encode("latin-1")
    pos = 0 if body.startswith(delim) else body.find(b"\n" + delim) + 1
    if pos == 0 and not body.startswith(delim):
        return []
    parts = []
    while True:
        pos += len(delim)
        if body[pos:pos + 2] == b"--":
            break
        eol = body.find(b"\n", pos)
        if eol < 0:
            break
        start = eol + 1
        nxt = body.find(b"\n" + delim, start)
        end = len(body) if nxt < 0 else nxt
        if end > start and body[end - 1:end] == b"\r":
            end -= 1
        parts.append(_part(body[start:end]))
        if nxt < 0:
            break
        pos = nxt + 1
    return parts


def _part(raw: bytes):
    crlf, lf = raw.find(b"\r\n\r\n"), raw.find(b"\n\n")
    if raw.startswith(b"\r\n") or raw.startswith(b"\n"):
        split, skip = 0, 2 if raw.startswith(b"\r\n") else 1
    elif crlf >= 0 and (lf < 0 or crlf < lf):
        split, skip = crlf, 4
    elif lf >= 0:
        split, skip = lf, 2
    else:
        split, skip = len(raw), 0
    head = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw[:split] + b"\n\n")
    return head, raw[split + skip:]


def _leaves(head, body):
    if head.get_content_maintype() == "multipart":
        out = []
        for h, b in _mime_parts(body, head.get("Content-Type", "")):
            out.extend(_leaves(h, b))
        return out
    head.set_payload(body)
    return [head]


def parse_xml(data):
    if data is None:
        return None
    try:
        return ET.fromstring(data.lstrip(b"\xef\xbb\xbf"))
    except ET.ParseError:
        return None


def identifier(el):
    """An X-Road identifier element as TYPE:INSTANCE/CLASS/CODE[/SUB][/SERVICE[/VERSION]]."""
    kind = el.get(f"{{{ID_NS}}}objectType", "")
    part = {c.tag.split("}")[-1]: (c.text or "").strip() for c in el}
    names = ["xRoadInstance", "memberClass", "memberCode", "subsystemCode", "serviceCode", "serviceVersion"]
    if kind == "SERVER":
        names = ["xRoadInstance", "memberClass", "memberCode", "serverCode"]
    values = [part[n] for n in names if part.get(n)]
    return f"{kind}:" + "/".join(values)


def xroad_header(envelope):
    """The X-Road header fields of a parsed SOAP envelope: name -> identifier or text."""
    if envelope is None or envelope.tag != f"{{{SOAP_NS}}}Envelope":
        return None
    header = envelope.find(f"{{{SOAP_NS}}}Header")
    if header is None:
        return None
    out = {}
    for el in header:
        if not el.tag.startswith(f"{{{XROAD_NS}}}"):
            continue
        name = el.tag.split("}")[-1]
        if name in ("client", "service", "securityServer", "representedParty"):
            out[name] = identifier(el)
        else:
            out[name] = el.text or ""
    return out


def header_of(body: bytes, content_type: str):
    soap, attachments = split_message(body, content_type)
    return xroad_header(parse_xml(soap)), attachments


def soap_body_first(envelope):
    body = envelope.find(f"{{{SOAP_NS}}}Body") if envelope is not None else None
    if body is None or len(body) == 0:
        return None
    return body[0]


# ---- what the cases name ---------------------------------------------------------------------

def _parts(el):
    return {c.tag.split("}")[-1]: (c.text or "").strip() for c in el}


def _client_text(p):
    """I/C/M or I/C/M/S (the server configuration's short form), or None when incomplete."""
    if not all(p.get(k) for k in ("xRoadInstance", "memberClass", "memberCode")):
        return None
    return "/".join([p["xRoadInstance"], p["memberClass"], p["memberCode"]] + ([p["subsystemCode"]] if p.get("subsystemCode") else []))


def named_ids(case):
    """(client, (provider, service code, version)) a case's request names; None where its
    request has no such well-formed element."""
    source = case.request_soap_file()
    if not source or case.missing():
        return None, None
    if case.request_file:
        soap, _ = split_message(case.read(source), case.request_content_type or "text/xml")
    else:
        soap = case.read(source)  # a generated request: the file is its SOAP part
    env = parse_xml(soap)
    if env is None:
        return None, None
    client_el = env.find(f".//{{{XROAD_NS}}}client")
    service_el = env.find(f".//{{{XROAD_NS}}}service")
    client = _client_text(_parts(client_el)) if client_el is not None else None
    service = None
    if service_el is not None:
        p = _parts(service_el)
        provider = _client_text(p)
        if provider and p.get("serviceCode"):
            service = (provider, p["serviceCode"], p.get("serviceVersion") or "")
    return client, service


def identifiers(cases):
    """(clients, services) every case's request names: the instance the runner sets up."""
    clients, services = set(), set()
    for case in cases:
        client, service = named_ids(case)
        if client:
            clients.add(client)
        if service:
            services.add(service)
    return clients, services
