"""The forwarder's states as the suites rely on them: down refuses every new connection (none
slips through an accept() that was blocked when it went down), up forwards again, and a black
hole holds bytes until it heals."""
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopback import Forwarder  # noqa: E402

failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def echo_server():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def serve(c):
        with c:
            try:
                while data := c.recv(65536):
                    c.sendall(data)
            except OSError:
                pass

    def accept():
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return s.getsockname()[1]


def connects(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return True
    except OSError:
        return False


def round_trip(port, timeout):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        c.sendall(b"ping")
        try:
            return c.recv(4)
        except socket.timeout:
            return None


fwd = Forwarder(echo_server())
fwd.up()
time.sleep(0.1)  # the accept thread is blocked in accept()
check(round_trip(fwd.port, 2) == b"ping", "up: bytes flow")
fwd.down()
check(not any(connects(fwd.port) for _ in range(3)), "down: every new connection is refused, the first one too")
fwd.up()
check(round_trip(fwd.port, 2) == b"ping", "up again: bytes flow")
fwd.black_hole()
check(round_trip(fwd.port, 0.5) is None, "black hole: the connection is taken, no byte comes back")
fwd.up()
check(round_trip(fwd.port, 2) == b"ping", "healed: bytes flow")
fwd.down()
sys.exit(1 if failures else 0)
