"""A proxy test suite in X-Road's manifest format (cases.json + files/), read as data.

The format is described in the suite folder's README: one object per case, naming the request
file, what the service answers, the expected result and how X-Road's runner judges it. Nothing
here knows any case by name: identifiers come from the message files, per-case server
configuration from the `needs` sentences, checks from the `checks` sentences.
"""

import email.parser
import email.policy
import json
import os
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
    or without attachments. Nested multiparts are flattened, as X-Road counts attachments."""
    if content_type and content_type.strip().lower().startswith("multipart/"):
        parts = parse_mime(body, content_type).get_payload()
        if not isinstance(parts, list) or not parts:
            return None, []
        soap = parts[0].get_payload(decode=True)
        attachments = []
        for p in parts[1:]:
            attachments.extend(leaves(p))
        return soap, attachments
    return body, []


def leaves(part):
    if part.is_multipart():
        out = []
        for p in part.get_payload():
            out.extend(leaves(p))
        return out
    return [part]


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
    if not case.request_file or case.missing():
        return None, None
    soap, _ = split_message(case.read(case.request_file), case.request_content_type or "text/xml")
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
