#!/usr/bin/python3
"""Unit tests of openapi_check.py against X-Road's real admin-API document.

The document is read from $ROADSIDE_VECTORS_DIR/xroad/admin-api ($ROADSIDE_VECTORS_DIR
defaults to ../shared/vectors beside the repository); every test is skipped, with a message
saying so, when it is absent. Run: /usr/bin/python3 tests/adminapi/openapi_check_test.py
"""

import contextlib
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_check as oc  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.environ.get("ROADSIDE_VECTORS_DIR") or os.path.join(HERE, "..", "..", "..", "shared", "vectors")
SPEC_FILE = os.path.normpath(os.path.join(VECTORS, "xroad", "admin-api", "openapi-definition.yaml"))
HAVE_SPEC = os.path.exists(SPEC_FILE)
SKIP_WHY = f"X-Road's admin-API document not found at {SPEC_FILE} (set ROADSIDE_VECTORS_DIR)"

JSON = "application/json"
TIME = "2024-05-01T12:00:00.000Z"


def js(value):
    return json.dumps(value).encode()


def token(**changes):
    t = {"id": "0", "name": "softToken-0", "type": "SOFTWARE", "keys": [], "status": "OK", "logged_in": True,
         "available": True, "saved_to_configuration": True, "read_only": False}
    t.update(changes)
    return t


VERSION = {"info": "Roadside 1.0", "java_version": 21, "min_java_version": 21, "max_java_version": 21,
           "using_supported_java_version": True, "java_vendor": "none", "java_runtime_version": "none"}
CLIENT = {"id": "DEV:COM:1234:SUB", "instance_id": "DEV", "member_class": "COM", "member_code": "1234",
          "subsystem_code": "SUB", "status": "SAVED", "owner": False}


@unittest.skipUnless(HAVE_SPEC, SKIP_WHY)
class OpenApiCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec = oc.Spec(SPEC_FILE)
        cls.strict = oc.Spec(SPEC_FILE, strict=True)

    def response(self, method, path, status, body, content_type=JSON, spec=None):
        raw = body if isinstance(body, bytes) else js(body)
        return (spec or self.spec).validate_response(method, path, status, content_type, raw)

    def assertProblem(self, problems, *fragments):
        self.assertTrue(problems, "expected a problem")
        text = "\n".join(problems)
        for f in fragments:
            self.assertIn(f, text)

    # --- the document ----------------------------------------------------------------

    def test_document_size_and_common_refs(self):
        self.assertEqual(len(self.spec.paths), 108)
        self.assertEqual(len(self.spec.operations), 138)
        self.assertEqual(self.spec.base_path, "/api/v1")
        # ErrorInfo lives in the common document, named through X-Road's source-tree path.
        schema = self.spec.match("POST", "/clients").operation["responses"]["400"]["content"][JSON]["schema"]
        self.assertEqual(schema["required"], ["status"])
        self.assertIn("code", schema["properties"]["error"]["properties"])

    # --- matching --------------------------------------------------------------------

    def test_match_with_encoded_and_plain_ids(self):
        for path in ("/api/v1/clients/DEV%3ACOM%3A1234%3ASUB", "/api/v1/clients/DEV:COM:1234:SUB",
                     "/clients/DEV%3ACOM%3A1234", "https://localhost:4000/api/v1/clients/DEV:COM:1234?x=1"):
            m = self.spec.match("get", path)
            self.assertEqual((m.template, m.method), ("/clients/{id}", "GET"), path)
        m = self.spec.match("GET", "/api/v1/clients/DEV%3ACOM%3A1234%3ASUB/local-groups")
        self.assertEqual(m.template, "/clients/{id}/local-groups")
        m = self.spec.match("DELETE", "/api/v1/clients/DEV:COM:1:SUB/tls-certificates/AB12")
        self.assertEqual(m.template, "/clients/{id}/tls-certificates/{hash}")

    def test_match_prefers_fixed_segments_unless_method_says_otherwise(self):
        self.assertEqual(self.spec.match("POST", "/api/v1/backups/upload").template, "/backups/upload")
        self.assertEqual(self.spec.match("DELETE", "/api/v1/backups/upload").template, "/backups/{filename}")

    def test_match_refuses_unknown(self):
        self.assertIsNone(self.spec.match("GET", "/api/v1/no-such-thing"))
        self.assertIsNone(self.spec.match("PATCH", "/api/v1/tokens"))
        self.assertIsNone(self.spec.match("GET", "/api/v1/clients//local-groups"))  # an empty id
        self.assertProblem(self.response("GET", "/api/v1/no-such-thing", 200, []), "no such path")
        self.assertProblem(self.response("PATCH", "/api/v1/tokens", 200, []), "PATCH is not declared", "GET")

    # --- responses -------------------------------------------------------------------

    def test_tokens(self):
        self.assertEqual(self.response("GET", "/api/v1/tokens", 200, [token()]), [])
        self.assertEqual(self.response("GET", "/api/v1/tokens", 200, [token()], JSON + "; charset=UTF-8"), [])
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, [token(type="SOFT")]),
                           "body[0].type", "'SOFT' is not one of")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, [token(type="software")]), "is not one of")
        missing = token()
        del missing["logged_in"]
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, [missing]), "'logged_in' is a required")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, [token(available="yes")]),
                           "body[0].available", "not of type 'boolean'")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, token()), "not of type 'array'")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, [token()], "text/plain"),
                           "content type 'text/plain' is not declared")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, b"[{"), "body is not JSON")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 200, b""), "empty body")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 418, []), "status 418 is not declared")

    def test_system_version(self):
        self.assertEqual(self.response("GET", "/api/v1/system/version", 200, VERSION), [])
        self.assertProblem(self.response("GET", "/api/v1/system/version", 200, dict(VERSION, info="")),
                           "body.info", "too short")
        self.assertProblem(self.response("GET", "/api/v1/system/version", 200, dict(VERSION, java_version="21")),
                           "body.java_version")

    def test_additional_properties_allowed_unless_strict(self):
        extra = dict(VERSION, roadside_build="abc")
        self.assertEqual(self.response("GET", "/api/v1/system/version", 200, extra), [])
        self.assertProblem(self.response("GET", "/api/v1/system/version", 200, extra, spec=self.strict),
                           "roadside_build")
        self.assertEqual(self.response("GET", "/api/v1/system/version", 200, VERSION, spec=self.strict), [])

    def test_all_of_and_date_time(self):
        backup = {"filename": "conf_backup_20240501-120000.gpg", "created_at": TIME, "local_conf_present": True}
        for spec in (self.spec, self.strict):  # strict: allOf's properties count as named
            self.assertEqual(self.response("POST", "/api/v1/backups/ext", 201, backup, spec=spec), [])
        self.assertProblem(self.response("POST", "/api/v1/backups/ext", 201, dict(backup, local_conf_present=None)),
                           "local_conf_present")
        no_file = dict(backup)
        del no_file["filename"]  # required by the allOf's branch
        self.assertProblem(self.response("POST", "/api/v1/backups/ext", 201, no_file), "'filename' is a required")
        for bad in ("2024-05-01 12:00:00.000Z", "2024-13-01T12:00:00.000Z", "2024-05-01T12:00:00.000 "):
            self.assertProblem(self.response("GET", "/api/v1/backups", 200, [dict(backup, created_at=bad)]),
                               "body[0].created_at")

    def test_post_clients(self):
        self.assertEqual(self.response("POST", "/api/v1/clients", 201, CLIENT), [])
        self.assertProblem(self.response("POST", "/api/v1/clients", 201, dict(CLIENT, status="ACTIVE")),
                           "body.status", "'ACTIVE' is not one of")
        self.assertProblem(self.response("POST", "/api/v1/clients", 200, CLIENT), "status 200 is not declared")

    def test_request_bodies(self):
        check = self.spec.validate_request_body
        add = {"client": {"member_class": "COM", "member_code": "1234", "subsystem_code": "SUB"},
               "ignore_warnings": False}
        self.assertEqual(check("POST", "/api/v1/clients", JSON, js(add)), [])  # readOnly id: not required
        del add["client"]["member_code"]
        self.assertProblem(check("POST", "/api/v1/clients", JSON, js(add)), "body.client", "'member_code'")
        self.assertProblem(check("POST", "/api/v1/clients", "text/plain", b"x"), "is not declared")
        self.assertProblem(check("GET", "/api/v1/tokens", JSON, b"{}"), "takes no body")
        self.assertEqual(check("GET", "/api/v1/tokens", None, b""), [])

    def test_errors(self):
        ok = {"status": 400, "error": {"code": "invalid_request", "metadata": ["x"]}}
        self.assertEqual(self.response("POST", "/api/v1/clients", 400, ok), [])
        self.assertProblem(self.response("POST", "/api/v1/clients", 400, {"status": 400, "error": {"metadata": []}}),
                           "body.error", "'code' is a required")
        self.assertProblem(self.response("POST", "/api/v1/clients", 400, dict(ok, status=500)),
                           "ErrorInfo status 500 is not the HTTP status 400")
        self.assertProblem(self.response("POST", "/api/v1/clients", 400, {"message": "bad"}), "'status' is a required")
        # A status that declares no content: nothing, or ErrorInfo.
        self.assertEqual(self.response("GET", "/api/v1/tokens", 401, b"", None), [])
        self.assertEqual(self.response("GET", "/api/v1/tokens", 401, {"status": 401}), [])
        self.assertProblem(self.response("GET", "/api/v1/tokens", 401, b"<html/>", "text/html"), "'text/html'")
        self.assertProblem(self.response("GET", "/api/v1/tokens", 500, {"status": "500"}), "body.status")

    def test_204_and_other_media_types(self):
        self.assertEqual(self.response("DELETE", "/api/v1/tokens/0", 204, b"", None), [])
        self.assertProblem(self.response("DELETE", "/api/v1/tokens/0", 204, {}), "declares no body")
        self.assertProblem(self.response("DELETE", "/api/v1/tokens/0", 200, b"", None), "status 200 is not declared")
        self.assertEqual(self.response("GET", "/api/v1/system/certificate/export", 200, b"\x1f\x8b", "application/gzip"),
                         [])
        self.assertProblem(self.response("GET", "/api/v1/system/certificate/export", 200, b"x", JSON), "application/gzip")

    def test_nullable_conversion(self):
        schema = oc.to_json_schema({"type": "string", "nullable": True, "enum": ["A"], "readOnly": True})
        self.assertEqual(schema, {"type": ["string", "null"], "enum": ["A", None]})
        schema = oc.to_json_schema({"type": "integer", "minimum": 0, "exclusiveMinimum": True})
        self.assertEqual(schema, {"type": "integer", "exclusiveMinimum": 0})

    # --- coverage and the command line ------------------------------------------------

    def test_coverage(self):
        cov = oc.Coverage(self.spec)
        self.assertEqual(cov.check_response("GET", "/api/v1/tokens", 200, JSON, js([token()])), [])
        cov.check_response("GET", "/api/v1/tokens", 200, JSON, js([]))
        cov.check_response("DELETE", "/api/v1/tokens/0", 204, None, b"")
        cov.check_response("GET", "/api/v1/tokens/0", 404, JSON, js({"status": 404}))  # called, never a success
        cov.check_response("GET", "/api/v1/system/version", 200, JSON, js({}))  # a success with problems
        cov.check_response("GET", "/api/v1/nothing", 404, None, b"")
        out = io.StringIO()
        counts = cov.report(out)
        self.assertEqual(counts, {"paths": 3, "paths_total": 108, "operations": 3, "operations_total": 138,
                                  "problems": 8})
        text = out.getvalue()
        self.assertTrue(text.startswith("X-Road admin API paths implemented: 3 of 108 (3 of 138 operations)\n"))
        implemented = text.split("Not implemented:")[0]
        self.assertIn("GET     /api/v1/tokens  (200×2)", implemented)
        self.assertIn("DELETE  /api/v1/tokens/{id}  (204)", implemented)
        self.assertIn("GET     /api/v1/tokens/{id}  (called: 404)", text)
        self.assertNotIn("/tokens/{id}  (called", implemented)
        self.assertEqual({(p.method, p.path, p.status) for p in cov.problems},
                         {("GET", "/api/v1/system/version", 200), ("GET", "/api/v1/nothing", 404)})
        self.assertIn("GET /api/v1/nothing 404: no such path in the document", text)

    def test_command_line(self):
        lines = [{"method": "GET", "path": "/api/v1/tokens", "status": 200, "content_type": JSON,
                  "body": json.dumps([token()])},
                 {"method": "DELETE", "path": "/api/v1/tokens/0", "status": 204, "content_type": None, "body_b64": ""}]
        for extra, code in (([], 0), ([{"method": "GET", "path": "/api/v1/tokens", "status": 200,
                                        "content_type": JSON, "body_b64": "W3t9XQ=="}], 1)):
            with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
                f.write("\n".join(json.dumps(x) for x in lines + extra) + "\n")
            out = io.StringIO()
            try:
                with contextlib.redirect_stdout(out):
                    self.assertEqual(oc.main(["--spec", SPEC_FILE, "--exchanges", f.name]), code)
            finally:
                os.unlink(f.name)
            self.assertIn("paths implemented: 2 of 108 (2 of 138 operations)", out.getvalue())
            if code:
                self.assertIn("body[0]: 'id' is a required property", out.getvalue())


if __name__ == "__main__":
    if not HAVE_SPEC:
        print(f"SKIP: {SKIP_WHY}")
    unittest.main()
