"""The PostgreSQL of tests/pg/pg-harness.sh as the Python suites reach it: its socket folder
and port from the harness's info file, and psql as the superuser."""
import re
import subprocess


class Pg:
    def __init__(self, info_file):
        with open(info_file) as f:
            m = re.search(r"host=(\S+) port=(\d+)", f.read())
        if not m:
            raise SystemExit(f"{info_file} names no host= and port= (tests/pg/pg-harness.sh start writes it)")
        self.host, self.port = m.group(1), int(m.group(2))

    def text(self, db, query):
        """What `query` on `db` prints, unaligned (fields split by |, rows by newlines)."""
        r = subprocess.run(["psql", "-h", self.host, "-p", str(self.port), "-U", "postgres", "-d", db, "-AtXqc", query],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"psql on {db}: {query[:60]}: {r.stderr.strip()}")
        return r.stdout

    def sql(self, db, query):
        """The rows of `query` on `db`, each a list of its fields' text (no field may hold | or
        a newline)."""
        return [line.split("|") for line in self.text(db, query).splitlines() if line]
