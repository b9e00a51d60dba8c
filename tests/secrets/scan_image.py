#!/usr/bin/python3
"""No secret in a container image: every layer of a `podman save` archive, searched.

A finding is, in any layer or in the image's configuration:
  - a file named like a key store or a PIN: *.p12, *.pfx, *.jks, *.keystore, token-pin;
  - an unencrypted or encrypted PEM private key block, in any file (the binary included) but
    the distribution's shared libraries (lib*.so* in /usr/lib/<triplet>/), which carry
    published keys for their self-tests (GnuTLS does): those are listed, not findings;
  - one of the repository's test secrets: the PINs and passwords its tests use (FIXTURE_SECRETS)
    and the private keys in its files and in X-Road's test PKI (../shared/vectors/xroad/pki), as
    PEM lines and as DER;
  - an environment variable of the image whose name says it holds a secret (PIN, PASSWORD, PWD,
    SECRET, TOKEN, KEY) and that has a value.
Each is named with its layer and file. Exit 1 on any, or when the archive has no layer it can read.

    scan_image.py IMAGE_ARCHIVE      (podman save --format docker-archive, or oci-archive)
    scan_image.py --self-test        (a made-up archive with one of each is caught; a clean one passes)
"""
import base64
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
VECTORS = os.environ.get("ROADSIDE_VECTORS_DIR") or os.path.join(os.path.dirname(SOURCE), "shared", "vectors")

# The PINs and passwords the repository's tests and X-Road's test PKI use.
FIXTURE_SECRETS = ["Secret1234", "Secret-1234", "hsm-user-pin-1234", "identity-pin-1234", "Conformance-1234",
                   "a-long-admin-password-1", "an-admin-password-for-onboarding", "very-secret-password",
                   "wJalrXUtnFEMI-s3-secret"]
KEY_STORE_NAME = re.compile(r"(\.(p12|pfx|jks|keystore)|(^|/)token-pin)$", re.I)
PEM_KEY = re.compile(rb"-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----([A-Za-z0-9+/=\s\\:,-]+?)"
                     rb"-----END \1-----")
# A shared library of the distribution, whose own test keys are not the image's secrets.
SYSTEM_LIBRARY = re.compile(r"^(usr/)?lib/[a-z0-9_]+-linux-gnu[a-z]*/lib[^/]*\.so(\.[0-9]+)*$")
SECRET_ENV = re.compile(r"^[A-Z0-9_]*(PIN|PASSWORD|PWD|SECRET|TOKEN|KEY)[A-Z0-9_]*=.+")


def fixture_patterns():
    """(name, bytes) of every test secret: the listed ones and each private key found in the
    repository's files or the test PKI, as two PEM lines and its DER."""
    out = [(f"test secret {s!r}", s.encode()) for s in FIXTURE_SECRETS]
    files = subprocess.run(["git", "-C", SOURCE, "grep", "-l", "PRIVATE KEY-----"], capture_output=True,
                           text=True).stdout.split()
    paths = [os.path.join(SOURCE, f) for f in files if not f.startswith("tests/secrets/")]
    pki = os.path.join(VECTORS, "xroad", "pki")
    for folder, _, names in os.walk(pki):
        paths += [os.path.join(folder, n) for n in names if n.endswith(".pem")]
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        for n, m in enumerate(PEM_KEY.finditer(data.replace(b'\\n"\n', b"\n").replace(b'"', b""))):
            lines = [x.strip() for x in m.group(2).replace(b"\\n", b"\n").split(b"\n") if len(x.strip()) == 64]
            name = f"test key {os.path.relpath(path, os.path.dirname(SOURCE))}#{n}"
            out += [(name + " (PEM line)", line) for line in lines[len(lines) // 2: len(lines) // 2 + 1]]
            try:
                out.append((name + " (DER)", base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", m.group(2)))))
            except ValueError:
                pass
    return out


def scan_bytes(where, data, patterns, findings, allowed, library=False):
    m = PEM_KEY.search(data)
    if m:
        (allowed if library else findings).append(f"{where}: a PEM {m.group(1).decode()} block at byte {m.start()}")
    for name, pattern in patterns:
        at = data.find(pattern)
        if at >= 0:
            findings.append(f"{where}: {name} at byte {at}")


def scan_layer(label, layer, patterns, findings, allowed):
    """Every file of one layer: (files, bytes) searched."""
    files = size = 0
    for member in layer:
        path = member.name
        if KEY_STORE_NAME.search(path) and not os.path.basename(path).startswith(".wh."):
            findings.append(f"{label}: /{path}: a key store or PIN file by its name")
        if not member.isfile():
            continue
        data = layer.extractfile(member).read()
        files, size = files + 1, size + len(data)
        scan_bytes(f"{label}: /{path}", data, patterns, findings, allowed, SYSTEM_LIBRARY.match(path) is not None)
    return files, size


def scan(archive, patterns):
    """(findings, allowed, layers, files, bytes) of one image archive."""
    findings, allowed = [], []
    layers = files = size = 0
    with tarfile.open(archive) as outer:
        for member in outer.getmembers():
            if not member.isfile():
                continue
            blob = outer.extractfile(member).read()
            try:
                layer = tarfile.open(fileobj=io.BytesIO(blob), mode="r:*")
            except tarfile.TarError:
                layer = None
            if layer is None:  # the manifest, the image's configuration
                scan_bytes(f"{member.name}", blob, patterns, findings, allowed)
                try:
                    config = json.loads(blob)
                except ValueError:
                    continue
                env = (config.get("config") or config.get("Config") or {}).get("Env") if isinstance(config, dict) else None
                for var in env or []:
                    if SECRET_ENV.match(var):
                        findings.append(f"{member.name}: the image's environment has {var.split('=')[0]} set")
                continue
            with layer:
                n, b = scan_layer(f"layer {member.name}", layer, patterns, findings, allowed)
            layers, files, size = layers + 1, files + n, size + b
    return findings, allowed, layers, files, size


def add_file(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def make_archive(path, layer_files, env):
    """A docker-archive of one layer with `layer_files` and a configuration with `env`."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as t:
        for name, data in layer_files.items():
            add_file(t, name, data)
    with tarfile.open(path, "w") as t:
        add_file(t, "abc.tar", layer.getvalue())
        add_file(t, "config.json", json.dumps({"config": {"Env": env}}).encode())
        add_file(t, "manifest.json", json.dumps([{"Config": "config.json", "Layers": ["abc.tar"]}]).encode())


def self_test(patterns):
    key = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
                         capture_output=True, check=True).stdout
    binary = b"\x7fELF...-----BEGIN PRIVATE KEY-----\0%s\0-----END PRIVATE KEY-----..."
    with tempfile.TemporaryDirectory() as d:
        clean = os.path.join(d, "clean.tar")
        make_archive(clean, {"usr/local/bin/roadside": binary, "etc/passwd": b"root:x:0:0::/:/sbin/nologin\n",
                             "usr/lib/x86_64-linux-gnu/libgnutls.so.30": b"\x7fELF..." + key},
                     ["ROADSIDE_VARIANT=full", "XROAD_TOKEN_PIN="])
        dirty = os.path.join(d, "dirty.tar")
        make_archive(dirty, {"usr/local/bin/roadside": binary + b"Secret-1234" + key, "etc/tls.key": key,
                             "usr/lib/x86_64-linux-gnu/libroadside-extra.so": b"Secret-1234",
                             "var/lib/roadside/token/abc.p12": b"0\x82", "etc/roadside/token-pin": b"x\n"},
                     ["ROADSIDE_VARIANT=full", "XROAD_DB_PWD=hunter2"])
        found_clean, allowed_clean = scan(clean, patterns)[:2]
        found_dirty = scan(dirty, patterns)[0]
    expected = ["/etc/tls.key: a PEM PRIVATE KEY block", "/usr/local/bin/roadside: test secret 'Secret-1234'",
                "/usr/local/bin/roadside: a PEM PRIVATE KEY block", "libroadside-extra.so: test secret 'Secret-1234'",
                "/var/lib/roadside/token/abc.p12: a key store", "/etc/roadside/token-pin: a key store",
                "environment has XROAD_DB_PWD set"]
    missed = [e for e in expected if not any(e in f for f in found_dirty)]
    ok = not found_clean and len(allowed_clean) == 1 and not missed
    print(f"clean image: {found_clean or 'nothing found'}; allowed: {allowed_clean}")
    print(f"dirty image: {len(found_dirty)} found" + (f", MISSED {missed}" if missed else ", each expected one"))
    print(f"test secrets searched: {len(patterns)} patterns")
    return 0 if ok else 1


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    patterns = fixture_patterns()
    if sys.argv[1] == "--self-test":
        return self_test(patterns)
    findings, allowed, layers, files, size = scan(sys.argv[1], patterns)
    for f in findings:
        print("found: " + f)
    for a in allowed:
        print("allowed (a system library's own test key): " + a)
    print(f"{layers} layers, {files} files, {size} bytes searched for key stores, PEM private keys and "
          f"{len(patterns)} test secrets: {len(findings)} found")
    if not layers:
        print("no layer could be read: nothing was searched")
    return 1 if findings or not layers else 0


if __name__ == "__main__":
    sys.exit(main())
