#!/usr/bin/env python3
"""The module rules of CONTRIBUTING.md, checked against the code.

CONTRIBUTING's layout table lists the modules under src/ in order, each with the modules it
may use. This check fails when:
  - a product file of a module (not *_test.cc) includes a module its row does not list;
  - a test file includes a module that comes after its own (tests may also use tests/support
    and testbed's stand-ins for authorities and a Central Server, below);
  - a stand-in includes a module other than base and crypto;
  - a row lists a module that is not before it (a cycle could follow), or one that is unknown;
  - a folder under src/ has no row, or a row has no folder.

  check_layering.py [REPO]       check REPO (default: this file's repository)
  check_layering.py --self-test  show that a forbidden include is caught
"""
import os
import re
import shutil
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+)/', re.MULTILINE)
INCLUDE_PATH = re.compile(r'^\s*#\s*include\s+"([a-z_0-9]+/[a-z_0-9./]+)"', re.MULTILINE)
# Code only the test instance needs, which tests of every module use to stand in for a CA's
# OCSP responder and TSA or a Central Server. It may use only these modules, so a test that
# includes it reaches nothing after its own module through it.
STAND_INS = {"testbed/authority.h", "testbed/publish.h"}
STAND_IN_USES = {"base", "crypto"}
ROW = re.compile(r"^\|\s*`([a-z_0-9]+)`\s*\|\s*([^|]*)\|")


def read_table(repo):
    """[(module, [uses...])] in the table's order."""
    rows = []
    with open(os.path.join(repo, "CONTRIBUTING.md"), encoding="utf-8") as f:
        for line in f:
            m = ROW.match(line)
            if m:
                uses = re.findall(r"`([a-z_0-9]+)`", m.group(2))
                rows.append((m.group(1), uses))
    return rows


def source_files(folder):
    for root, _, files in os.walk(folder):
        for name in sorted(files):
            if name.endswith((".h", ".cc")):
                yield os.path.join(root, name)


def check(repo):
    problems = []
    rows = read_table(repo)
    if not rows:
        return ["CONTRIBUTING.md has no module table (rows like | `base` | uses | what |)"]
    order = {m: i for i, (m, _) in enumerate(rows)}
    allowed = dict(rows)
    src = os.path.join(repo, "src")
    folders = sorted(d for d in os.listdir(src) if os.path.isdir(os.path.join(src, d)))
    for d in folders:
        if d not in order:
            problems.append(f"src/{d} has no row in CONTRIBUTING.md's module table")
    for m, uses in rows:
        if m not in folders:
            problems.append(f"CONTRIBUTING.md lists module {m}, which has no folder under src/")
        for u in uses:
            if u not in order:
                problems.append(f"CONTRIBUTING.md: {m} may use {u}, which is not a module")
            elif order[u] >= order[m]:
                problems.append(f"CONTRIBUTING.md: {m} may use {u}, which is not listed before it")
    for m in folders:
        if m not in order:
            continue
        for path in source_files(os.path.join(src, m)):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            is_test = path.endswith("_test.cc")
            rel = os.path.relpath(path, repo)
            stand_in = os.path.splitext(os.path.relpath(path, src))[0] + ".h" in STAND_INS
            if stand_in and not is_test:
                for inc in INCLUDE_PATH.findall(text):
                    if inc.startswith(m + "/") and inc not in STAND_INS:
                        problems.append(f"{rel}: a stand-in includes {inc}, which is not a stand-in")
            # A test may use the stand-ins only where what they use comes before its module.
            if is_test and all(order[u] < order[m] for u in STAND_IN_USES):
                text = "\n".join(line for line in text.splitlines()
                                  if not any(inc.group(1) in STAND_INS for inc in INCLUDE_PATH.finditer(line)))
            for used in sorted(set(INCLUDE.findall(text))):
                if stand_in and not is_test and used != m and used not in STAND_IN_USES:
                    problems.append(f"{rel}: a stand-in includes {used}/; stand-ins may use only "
                                    + " and ".join(sorted(STAND_IN_USES)))
                if used == m:
                    continue
                if is_test:
                    if used == "support" or (used in order and order[used] < order[m]):
                        continue
                    problems.append(f"{rel}: a test of {m} includes {used}/, which comes after {m}")
                elif used not in allowed[m]:
                    problems.append(f"{rel}: {m} includes {used}/, which its row in CONTRIBUTING.md does not list")
    return problems


def self_test():
    """A copy of the repository's table and src/ with one forbidden include must fail."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(os.path.join(repo, "CONTRIBUTING.md"), tmp)
        shutil.copytree(os.path.join(repo, "src"), os.path.join(tmp, "src"))
        if check(tmp):
            print("self-test: the copy fails before any change:", *check(tmp), sep="\n  ")
            return 1
        with open(os.path.join(tmp, "src", "base", "forbidden.cc"), "w") as f:
            f.write('#include "server/application.h"\n')
        found = check(tmp)
        if not any("src/base/forbidden.cc: base includes server/" in p for p in found):
            print("self-test: a forbidden include (base -> server) was not caught")
            return 1
        with open(os.path.join(tmp, "src", "testbed", "publish.cc"), "a") as f:
            f.write('#include "globalconf/client.h"\n')
        with open(os.path.join(tmp, "src", "testbed", "authority.h"), "a") as f:
            f.write('#include "testbed/instance.h"\n')
        with open(os.path.join(tmp, "src", "base", "stand_in_test.cc"), "w") as f:
            f.write('#include "testbed/authority.h"\n')
        found = check(tmp)
        for expected, what in (("src/testbed/publish.cc: a stand-in includes globalconf/", "a stand-in using globalconf"),
                               ("src/testbed/authority.h: a stand-in includes testbed/instance.h", "a stand-in using the rest of testbed"),
                               ("src/base/stand_in_test.cc: a test of base includes testbed/", "a test of base using a stand-in on crypto")):
            if not any(expected in p for p in found):
                print(f"self-test: {what} was not caught")
                return 1
    print("self-test: a forbidden include (base -> server) is caught, and so are stand-ins that reach past base and crypto"
          " or into the rest of testbed, and a stand-in in a test of a module before crypto")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    repo = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    problems = check(repo)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problem(s): fix the include, or the table in CONTRIBUTING.md if the design changed")
        return 1
    print(f"layering: {len(read_table(repo))} modules, every include allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
