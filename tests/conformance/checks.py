"""How X-Road's runner judges a case: the mock service's checks on what arrived, and the
client's checks on the answer. The `checks` sentences of the manifest are read by their
form (a quoted value after a fixed phrase), never by the case they belong to; a sentence of
no known form fails the case, so nothing is passed unjudged."""

import re

import suite

_IMPLICIT = "request received by the mock service must be consistent with the sent one"
# X-Road's runner does not judge the answer as SOAP (steps 9 and 10 of its README); the
# other checks say what it judges instead.
_BYPASS = "SOAP fault/response checks are bypassed"
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"


def _quoted(text, after):
    """The value that follows `after`: between single quotes (closed by a quote that ends
    the value: followed by a space, ';', ')' or the end), or else up to "; " or the end."""
    at = text.find(after)
    if at < 0:
        return None
    rest = text[at + len(after):].lstrip(" :")
    if rest[:1] == "'":
        for end in range(1, len(rest)):
            if rest[end] == "'" and (end + 1 == len(rest) or rest[end + 1] in " ;)"):
                return rest[1:end]
        return None
    return rest.split("; ")[0].strip() or None


def _element(envelope, clark):
    return envelope.find(f".//{clark}") if envelope is not None else None


class Judge:
    def __init__(self):
        self.unknown = set()

    # ---- service side ------------------------------------------------------------------------

    def service_side(self, answering, headers, body):
        case = answering.case
        sentences = [c[len("service side:"):].strip() for c in case.checks or [] if c.startswith("service side:")]
        content_type = headers.get("Content-Type", "")
        soap, attachments = suite.split_message(body, content_type)
        envelope = suite.parse_xml(soap)
        header = suite.xroad_header(envelope)
        failures = []
        replaced = any("replaces the default consistency check" in s or "disables the default consistency check" in s
                       for s in case.checks or [])
        for s in sentences:
            if s.startswith(_IMPLICIT):
                if not replaced:
                    failures += self._consistent(answering, header, attachments)
                continue
            why = self._service_sentence(s, case, headers, body, content_type, envelope, header, attachments)
            if why:
                failures.append(why)
        return failures

    def _consistent(self, answering, header, attachments):
        sent_body, sent_type = answering.sent
        sent_header, sent_attachments = suite.header_of(sent_body, sent_type)
        if sent_header is None:
            return []
        if header is None:
            return ["the service got no X-Road SOAP message"]
        out = []
        for field in suite.CONSISTENT_FIELDS:
            if (sent_header.get(field) or "") != (header.get(field) or ""):
                out.append(f"the service got {field}={header.get(field)!r}, the client sent {sent_header.get(field)!r}")
        if len(sent_attachments) != len(attachments):
            out.append(f"the service got {len(attachments)} attachments, the client sent {len(sent_attachments)}")
        return out

    def _service_sentence(self, s, case, headers, body, content_type, envelope, header, attachments):
        if "SOAPAction header exactly" in s:
            want = _quoted(s, "SOAPAction header exactly")
            got = headers.get("SOAPAction")
            return None if got == want else f"SOAPAction at the service is {got!r}, not {want!r}"
        if "Content-Type received by the service equals the client's request Content-Type exactly" in s:
            return None if content_type == case.request_content_type else \
                f"the service got Content-Type {content_type!r}, the client sent {case.request_content_type!r}"
        if "custom part header" in s:
            name, _, value = (_quoted(s, "custom part header") or "").partition(": ")
            if any(p.get(name) == value for p in attachments):
                return None
            return f"no attachment at the service carries {name}: {value}"
        m = re.search(r"header block #(\d+)\)? has a Content-ID header and content-type exactly", s)
        if m:
            want = _quoted(s, "content-type exactly")
            parts = self._parts(body, content_type)
            i = int(m.group(1))
            if i >= len(parts):
                return f"the service got no MIME part #{i}"
            p = parts[i]
            if p.get("Content-ID") is None:
                return f"MIME part #{i} at the service has no Content-ID"
            return None if p.get("Content-Type") == want else f"MIME part #{i} has content-type {p.get('Content-Type')!r}, not {want!r}"
        return self._content_sentence(s, envelope, header) if self._is_content(s) else self._unknown(s)

    @staticmethod
    def _parts(body, content_type):
        """[top-level headers, part 1 headers, ...] as email messages (#0 the top level)."""
        msg = suite.parse_mime(body, content_type)
        return [msg] + (list(msg.get_payload()) if msg.is_multipart() else [])

    # ---- content of a message (either side) --------------------------------------------------

    @staticmethod
    def _is_content(s):
        return "has text content exactly" in s or "decoded xroad:userId equals exactly" in s

    @staticmethod
    def _content_sentence(s, envelope, header):
        if "has text content exactly" in s:
            m = re.search(r"element (\{[^}]*\}\w+) has text content exactly", s)
            want = _quoted(s, "has text content exactly")
            el = _element(envelope, m.group(1)) if m else None
            got = el.text if el is not None else None
            return None if got == want else f"{m.group(1) if m else 'element'} has {got!r}, not {want!r}"
        want = _quoted(s, "decoded xroad:userId equals exactly")
        got = (header or {}).get("userId")
        return None if got == want else f"userId is {got!r}, not {want!r}"

    def _unknown(self, s):
        self.unknown.add(s)
        return f"the runner cannot judge this check: {s}"

    # ---- client side -------------------------------------------------------------------------

    @staticmethod
    def soap_checks_bypassed(case):
        """Whether the case's answer is judged by its checks alone, not as a SOAP message."""
        return any(_BYPASS in c for c in case.checks or [])

    def client_side(self, case, response_headers, body, envelope, header):
        failures = []
        for c in case.checks or []:
            if c.startswith("service side:") or c.startswith("implicit:") or _BYPASS in c:
                continue
            if c.startswith("response Content-Type received by the client equals the service's response Content-Type exactly"):
                want = c.split("exactly", 1)[1].lstrip(" :")  # the rest of the sentence, "; " included
                got = response_headers.get("Content-Type")
                if got != want:
                    failures.append(f"the client got Content-Type {got!r}, not {want!r}")
            elif c.startswith("response Content-Type starts with"):
                want = _quoted(c, "starts with") or ""
                got = response_headers.get("Content-Type") or ""
                if not got.startswith(want):
                    failures.append(f"the client got Content-Type {got!r}, not one starting {want!r}")
            elif re.match(r"response (\w+) MIME part parses as a WSDL whose binding operation names are exactly", c):
                why = self._wsdl_operations(c, response_headers.get("Content-Type") or "", body)
                if why:
                    failures.append(why)
            elif c.startswith("response:") and self._is_content(c):
                why = self._content_sentence(c, envelope, header)
                if why:
                    failures.append(why)
            elif c.startswith("fault:") and "contains the substring" in c:
                want = _quoted(c, "contains the substring")
                if want is None or want.encode("utf-8") not in body:
                    failures.append(f"the fault does not contain {want!r}")
            else:
                failures.append(self._unknown(c))
        return failures

    @staticmethod
    def _wsdl_operations(s, content_type, body):
        """"response Nth MIME part parses as a WSDL whose binding operation names are exactly
        {a, b} [(any order)]": None when they are."""
        ordinal = re.match(r"response (\w+) MIME part", s).group(1)
        n = int(ordinal) if ordinal.isdigit() else _ORDINALS.get(ordinal, 0)
        want = [w.strip() for w in re.search(r"exactly \{([^}]*)\}", s).group(1).split(",") if w.strip()]
        msg = suite.parse_mime(body, content_type)
        parts = msg.get_payload() if msg.is_multipart() else [msg]
        if not 1 <= n <= len(parts):
            return f"the answer has {len(parts)} MIME parts, no part #{n}"
        wsdl = suite.parse_xml(parts[n - 1].get_payload(decode=True))
        if wsdl is None or wsdl.tag != f"{{{WSDL_NS}}}definitions":
            return f"MIME part #{n} is not a WSDL"
        got = [op.get("name") for b in wsdl.findall(f"{{{WSDL_NS}}}binding") for op in b.findall(f"{{{WSDL_NS}}}operation")]
        same = sorted(got) == sorted(want) if "any order" in s else got == want
        return None if same else f"the WSDL's binding operations are {got}, not {want}"
