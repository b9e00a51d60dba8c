#!/usr/bin/python3
"""Checks recorded admin-API exchanges against X-Road's OpenAPI document.

Roadside's admin REST API follows X-Road's Security Server admin API, whose contract is
X-Road's OpenAPI 3.0 document (openapi-definition.yaml, base path /api/v1, with shared parts in
common-openapi-definition.yaml beside it). The integration tests drive a running server and
hand every exchange to this module, which says what in it the document does not allow, and
counts which of X-Road's operations Roadside answers.

    spec = Spec("openapi-definition.yaml")         # loads both documents, resolves every $ref
    spec.match("GET", "/api/v1/clients/DEV%3ACOM%3A1234")   # -> Match(template, method, operation)
    spec.validate_response("GET", "/api/v1/tokens", 200, "application/json", body)  # -> [problem, ...]
    spec.validate_request_body("POST", "/api/v1/clients", "application/json", body)

    coverage = Coverage(spec)
    coverage.check_response(method, path, status, content_type, body)   # validates and records
    coverage.report()                               # prints the counts, the lists, the problems

From the command line, over a file of exchanges (one JSON object a line with "method",
"path", "status", "content_type" and "body" as text or "body_b64"):

    openapi_check.py --spec openapi-definition.yaml --exchanges exchanges.jsonl [--strict]

It prints the report and exits 1 when any exchange has a problem.

What is checked (tests/adminapi/README.md says why):
- the status is one the operation declares (exactly, as "4XX", or "default");
- the body's media type is one declared for that status, and a status that declares no
  content (204 and others) has an empty body;
- a JSON body validates against the declared schema, turned from OpenAPI 3.0 into JSON Schema
  (draft 2020-12): `nullable`, `readOnly` (not required in requests), `writeOnly` (not required
  in responses), the formats date-time, int32 and int64 (X-Road's own formats such as "text"
  say nothing checkable), enums exactly; properties the schema does not name are allowed, as
  OpenAPI allows them, unless Spec(strict=True);
- an error (4xx/5xx) whose response declares no content may be empty, else it must be X-Road's
  ErrorInfo JSON; any ErrorInfo's "status" must be the HTTP status.
Other bodies (octet-stream, gzip, XML, YAML) are checked for their media type only.
"""

import argparse
import base64
import datetime
import json
import os
import re
import sys
import urllib.parse
from typing import NamedTuple

import jsonschema
import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMMON_DOCUMENT = "common-openapi-definition.yaml"


class Match(NamedTuple):
    template: str  # as in the document, without the base path: "/clients/{id}"
    method: str  # upper case
    operation: dict  # the operation object, every $ref resolved


class Problem(NamedTuple):
    method: str  # "" for a line of --exchanges that could not be read (path is then FILE:LINE)
    path: str
    status: int | None  # None for a request body
    problem: str

    def __str__(self):
        status = str(self.status) if self.status is not None else "(request)" if self.method else ""
        return " ".join(filter(None, (self.method, self.path, status))) + f": {self.problem}"


class Spec:
    """An OpenAPI 3.0 document with its $refs resolved, able to judge exchanges."""

    def __init__(self, path, strict=False):
        """Loads the document at `path`. A $ref to another file is looked up by its file name
        in the same folder (X-Road's document names common-openapi-definition.yaml through a
        path valid only in X-Road's source tree); nothing is fetched from the network.
        `strict` refuses JSON object properties the schema does not name."""
        self.folder = os.path.dirname(os.path.abspath(path))
        self.strict = strict
        self._files = {}
        self._resolved = {}
        main = os.path.basename(path)
        self.document = self._resolve(self._load(main), main, ())
        servers = self.document.get("servers") or [{"url": ""}]
        self.base_path = urllib.parse.urlsplit(servers[0]["url"]).path.rstrip("/")
        self.paths = self.document["paths"]
        # (template, METHOD) -> operation, in the document's order
        self.operations = {(t, m.upper()): op for t, item in self.paths.items()
                           for m, op in item.items() if m in METHODS}
        self._validators = {}
        self._formats = _format_checker()
        error_info = self._resolve({"$ref": COMMON_DOCUMENT + "#/components/schemas/ErrorInfo"}, main, ())
        self._error_content = {"application/json": {"schema": error_info}}

    # --- loading -------------------------------------------------------------------------

    def _load(self, name):
        if name not in self._files:
            with open(os.path.join(self.folder, name), encoding="utf-8") as f:
                self._files[name] = yaml.safe_load(f)
        return self._files[name]

    def _resolve(self, node, file, seen):
        """`node` with every $ref replaced by the (resolved) thing it names. `file` is the
        document `node` comes from; `seen` the refs being resolved (a cycle is an error)."""
        if isinstance(node, list):
            return [self._resolve(x, file, seen) for x in node]
        if not isinstance(node, dict):
            return node
        if "$ref" not in node:
            return {k: self._resolve(v, file, seen) for k, v in node.items()}
        ref = node["$ref"]
        target, _, pointer = ref.partition("#")
        if urllib.parse.urlsplit(target).scheme:
            raise ValueError(f"$ref {ref}: only local files are read")
        target = os.path.basename(target) if target else file
        key = (target, pointer)
        if key in seen:
            raise ValueError(f"$ref {ref}: refers to itself")
        if key not in self._resolved:
            value = self._load(target)
            for part in filter(None, pointer.split("/")):
                value = value[part.replace("~1", "/").replace("~0", "~")]
            self._resolved[key] = self._resolve(value, target, seen + (key,))
        return self._resolved[key]  # OpenAPI 3.0 ignores a $ref's siblings

    # --- matching ------------------------------------------------------------------------

    def match(self, method, concrete_path):
        """The template and operation `method` on `concrete_path` is, or None. The path may
        carry the base path (/api/v1), a query, or be a whole URL; its segments are
        percent-decoded before being compared with the template's fixed segments, and a
        `{parameter}` takes any one non-empty segment (DEV:COM:1234:SUB, DEV%3ACOM%3A1234).
        A fixed segment wins over a parameter (POST /backups/upload is not /backups/{filename}),
        unless only the parameter's template declares the method."""
        method = method.upper()
        for template in self._templates(concrete_path):
            if (template, method) in self.operations:
                return Match(template, method, self.operations[(template, method)])
        return None

    def _templates(self, concrete_path):
        """Every template the path fits, the most specific first."""
        path = urllib.parse.urlsplit(concrete_path).path
        if self.base_path and (path == self.base_path or path.startswith(self.base_path + "/")):
            path = path[len(self.base_path):]
        segments = path.split("/")[1:]
        fits = []
        for template in self.paths:
            parts = template.split("/")[1:]
            if len(parts) != len(segments):
                continue
            fixed = []
            for part, segment in zip(parts, segments):
                if part.startswith("{") and part.endswith("}"):
                    if not segment:
                        break
                    fixed.append(0)
                elif part == urllib.parse.unquote(segment):
                    fixed.append(1)
                else:
                    break
            else:
                fits.append((fixed, template))
        return [t for _, t in sorted(fits, key=lambda f: f[0], reverse=True)]

    def _operation(self, method, concrete_path, problems):
        m = self.match(method, concrete_path)
        if m is None:
            templates = self._templates(concrete_path)
            if templates:
                declared = sorted({k.upper() for t in templates for k in self.paths[t] if k in METHODS})
                problems.append(f"{method.upper()} is not declared for {self.base_path}{templates[0]}"
                                f" (declared: {', '.join(declared)})")
            else:
                problems.append("no such path in the document")
        return m

    # --- judging -------------------------------------------------------------------------

    def validate_response(self, method, concrete_path, status, content_type, body):
        """Problems with a response (a list of strings, empty when it is valid)."""
        problems = []
        m = self._operation(method, concrete_path, problems)
        if m is None:
            return problems
        status = int(status)
        responses = m.operation.get("responses", {})
        response = (responses.get(str(status)) or responses.get(f"{status // 100}XX")
                    or responses.get("default"))
        if response is None:
            return [f"status {status} is not declared (declared: {', '.join(responses)})"]
        content = response.get("content") or {}
        body = body or b""
        if status >= 400 and not content:
            if not body:
                return []  # an error that says nothing more than its status
            content = self._error_content  # else X-Road's ErrorInfo
        problems += self._check_body(m, content, content_type, body, "response", str(status))
        if status >= 400 and not problems and _is_json(content_type):
            sent = json.loads(body)
            sent = sent.get("status") if isinstance(sent, dict) else None
            if sent != status:
                problems.append(f"body: ErrorInfo status {sent!r} is not the HTTP status {status}")
        return problems

    def validate_request_body(self, method, concrete_path, content_type, body):
        """Problems with a request's body (a list of strings, empty when it is valid)."""
        problems = []
        m = self._operation(method, concrete_path, problems)
        if m is None:
            return problems
        request = m.operation.get("requestBody")
        body = body or b""
        if request is None:
            return [f"the operation takes no body, got {len(body)} bytes"] if body else []
        if not body:
            return ["the request body is required"] if request.get("required") else []
        return self._check_body(m, request.get("content") or {}, content_type, body, "request", "request")

    def _check_body(self, m, content, content_type, body, mode, key):
        if not content:
            return [f"status {key} declares no body, got {len(body)} bytes"] if body else []
        if not body:
            return [f"empty body (declared: {', '.join(content)})"]
        declared = _declared_media_type(content, content_type)
        if declared is None:
            return [f"content type {content_type!r} is not declared (declared: {', '.join(content)})"]
        if not _is_json(declared):
            return []
        try:
            instance = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            return [f"body is not JSON: {e}"]
        schema = content[declared].get("schema")
        if schema is None:
            return []
        cache = (m.template, m.method, key, declared, mode)
        if cache not in self._validators:
            converted = to_json_schema(schema, mode, self.strict)
            self._validators[cache] = jsonschema.Draft202012Validator(converted, format_checker=self._formats)
        errors = sorted(self._validators[cache].iter_errors(instance), key=lambda e: _json_path(e.absolute_path))
        return [f"body{_json_path(e.absolute_path)}: {_shorten(e.message)}" for e in errors]


def to_json_schema(schema, mode="response", strict=False, _in_all_of=False):
    """An OpenAPI 3.0 schema object (refs resolved) as a JSON Schema 2020-12 one.
    mode "response" lets writeOnly properties be absent though required, "request" readOnly
    ones; `strict` closes objects to properties nobody names (a branch of an allOf stays open:
    the object that holds the allOf closes it to the names of all its branches)."""
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key in ("nullable", "discriminator", "readOnly", "writeOnly", "example", "externalDocs", "xml",
                   "deprecated") or key.startswith("x-"):
            continue  # annotations, or (discriminator) a hint the oneOf below already enforces
        if key == "properties":
            out[key] = {n: to_json_schema(s, mode, strict) for n, s in value.items()}
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = to_json_schema(value, mode, strict)
        elif key in ("allOf", "oneOf", "anyOf"):
            out[key] = [to_json_schema(s, mode, strict, key == "allOf") for s in value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value is True and bound in schema:
                out[key] = schema[bound]  # 3.0's boolean form is 2020-12's number
        else:
            out[key] = value
    for key in ("minimum", "maximum"):
        if schema.get("exclusive" + key.capitalize()) is True:
            out.pop(key, None)
    skip = "readOnly" if mode == "request" else "writeOnly"
    if "required" in out:
        props = schema.get("properties", {})
        out["required"] = [n for n in out["required"] if not props.get(n, {}).get(skip)]
    if strict and not _in_all_of and "additionalProperties" not in schema and (
            "properties" in schema or "allOf" in schema) and schema.get("type", "object") == "object":
        named = _property_names(schema)  # its own and its allOf branches'
        out["properties"] = {**{n: {} for n in named}, **out.get("properties", {})}
        out["additionalProperties"] = False
    if schema.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _property_names(schema):
    names = set(schema.get("properties", {}))
    for branch in schema.get("allOf", []):
        names |= _property_names(branch)
    return names


def _format_checker():
    checker = jsonschema.FormatChecker(formats=())
    rfc3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")

    @checker.checks("date-time", raises=ValueError)
    def date_time(value):
        if not isinstance(value, str):
            return True
        if not rfc3339.fullmatch(value):
            return False
        datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # a real date and time
        return True

    @checker.checks("int32")
    def int32(value):
        return not isinstance(value, int) or -2**31 <= value < 2**31

    @checker.checks("int64")
    def int64(value):
        return not isinstance(value, int) or -2**63 <= value < 2**63

    return checker


def _media_type(content_type):
    return (content_type or "").split(";")[0].strip().lower()


def _declared_media_type(content, content_type):
    """The key of `content` that `content_type` is (exactly, or by a type/* or */* range)."""
    media = _media_type(content_type)
    if not media:
        return None
    for declared in content:
        d = declared.lower()
        if d == media or d == "*/*" or (d.endswith("/*") and media.startswith(d[:-1])):
            return declared
    return None


def _is_json(content_type):
    media = _media_type(content_type)
    return media == "application/json" or media.endswith("+json")


def _json_path(path):
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _shorten(text, limit=300):
    return text if len(text) <= limit else text[:limit] + "…"


class Coverage:
    """Validates exchanges and remembers them: which operations were called, with which
    statuses, and every problem found. An operation counts as implemented once it has
    answered with a 2xx status; a path, once one of its operations is implemented."""

    def __init__(self, spec):
        self.spec = spec
        self.statuses = {}  # (template, METHOD) -> [status, ...]
        self.problems = []  # [Problem, ...]

    def check_response(self, method, path, status, content_type, body):
        problems = self.spec.validate_response(method, path, status, content_type, body)
        m = self.spec.match(method, path)
        if m is not None:
            self.statuses.setdefault((m.template, m.method), []).append(int(status))
        self.problems += [Problem(method.upper(), path, int(status), p) for p in problems]
        return problems

    def check_request(self, method, path, content_type, body):
        problems = self.spec.validate_request_body(method, path, content_type, body)
        self.problems += [Problem(method.upper(), path, None, p) for p in problems]
        return problems

    def implemented(self):
        return [op for op in self.spec.operations
                if any(200 <= s < 300 for s in self.statuses.get(op, []))]

    def report(self, out=None):
        """Prints the counts, the implemented and not implemented operations and the problems
        (to `out`, else standard output); returns the counts as a dict."""
        out = out or sys.stdout
        done = self.implemented()
        counts = {"paths": len({t for t, _ in done}), "paths_total": len(self.spec.paths),
                  "operations": len(done), "operations_total": len(self.spec.operations),
                  "problems": len(self.problems)}
        base = self.spec.base_path
        print(f"X-Road admin API paths implemented: {counts['paths']} of {counts['paths_total']}"
              f" ({counts['operations']} of {counts['operations_total']} operations)", file=out)
        print("Implemented:", file=out)
        for t, m in done:
            print(f"  {m:<7} {base}{t}  ({_statuses(self.statuses[(t, m)])})", file=out)
        print("Not implemented:", file=out)
        for t, m in self.spec.operations:
            if (t, m) not in done:
                called = self.statuses.get((t, m))
                note = f"  (called: {_statuses(called)})" if called else ""
                print(f"  {m:<7} {base}{t}{note}", file=out)
        print(f"Problems: {len(self.problems)}", file=out)
        for p in self.problems:
            print(f"  {p}", file=out)
        return counts


def _statuses(statuses):
    return ", ".join(f"{s}×{statuses.count(s)}" if statuses.count(s) > 1 else str(s)
                     for s in sorted(set(statuses)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", required=True, help="X-Road's openapi-definition.yaml")
    parser.add_argument("--exchanges", required=True,
                        help='JSON lines: {"method","path","status","content_type","body" or "body_b64"}')
    parser.add_argument("--strict", action="store_true", help="refuse properties the schemas do not name")
    args = parser.parse_args(argv)
    coverage = Coverage(Spec(args.spec, strict=args.strict))
    with open(args.exchanges, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                e = json.loads(line)
                body = base64.b64decode(e["body_b64"]) if "body_b64" in e else (e.get("body") or "").encode("utf-8")
                coverage.check_response(e["method"], e["path"], e["status"], e.get("content_type"), body)
            except (ValueError, KeyError, TypeError) as err:
                coverage.problems.append(Problem("", f"{args.exchanges}:{number}", None, f"unreadable exchange: {err!r}"))
    counts = coverage.report()
    return 1 if counts["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
