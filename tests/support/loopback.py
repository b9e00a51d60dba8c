"""Loopback plumbing the process-level tests share: free ports below the ephemeral range, a TCP
forwarder a test can take down or turn into a black hole, and HAProxy in front of nodes."""
import os
import random
import socket
import threading


def free_port(address="127.0.0.1"):
    # Below the kernel's ephemeral range (32768 and up): a port bind(0) hands out can be taken
    # by an outgoing connection before the server that was given it listens on it.
    for _ in range(1000):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind((address, port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port below the ephemeral range")


class Forwarder:
    """A TCP forwarder in front of a service, in one of three states:
      up          bytes flow;
      down        nothing listens (connection refused) and open connections are reset;
      black hole  connections are taken and kept, new and old, but no byte passes either way
                  and nothing is closed: what a dropped route looks like. Healed, the bytes
                  held back flow again."""

    def __init__(self, target_port, target_host="127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.listener = None
        self.flowing = threading.Event()
        self.lock = threading.Lock()
        self.open = set()

    def up(self):
        self.flowing.set()
        if self.listener is None:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", self.port))
            s.listen(256)
            self.listener = s
            threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def down(self):
        self.flowing.set()  # let held pipes see their sockets closed
        if self.listener:
            # shutdown() first: a close() alone leaves the socket listening until the accept()
            # blocked on it in another thread returns, and it takes one more connection.
            try:
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
            self.listener = None
        with self.lock:
            conns, self.open = list(self.open), set()
        for c in conns:
            try:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
                c.close()
            except OSError:
                pass

    def black_hole(self):
        self.flowing.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client):
        self.flowing.wait()
        try:
            upstream = socket.create_connection(self.target, timeout=10)
            upstream.settimeout(None)
        except OSError:
            client.close()
            return
        with self.lock:
            self.open.update((client, upstream))
        threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()
        self._pipe(client, upstream)

    def _pipe(self, a, b):
        try:
            while True:
                data = a.recv(65536)
                self.flowing.wait()  # a black hole holds what it read
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self.lock:
                self.open.discard(a)
                self.open.discard(b)


def haproxy_config(work, listeners):
    """An HAProxy configuration (TCP mode, TLS passed through) with its stats socket in `work`:
    for each of `listeners` (frontend name, bind address, port, {server name: (address, health
    port)}) a backend of those servers on the same port, each checked by GET /readyz on its
    health port (300 ms apart, out after two failures, back after two passes)."""
    out = f"""global
  maxconn 2000
  stats socket {os.path.join(work, "haproxy.sock")} level admin
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch
"""
    for name, bind, port, servers in listeners:
        out += f"""frontend {name}
  bind {bind}:{port}
  default_backend {name}-nodes
backend {name}-nodes
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 300ms fall 2 rise 2
"""
        for server, (address, health_port) in servers.items():
            out += f"  server {server} {address}:{port} check addr 127.0.0.1 port {health_port}\n"
    return out


def haproxy_servers(work, frontend):
    """{server: (status, current sessions)} of `frontend`'s backend, as HAProxy (stats socket
    in `work`) has them; {} when it does not answer."""
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(os.path.join(work, "haproxy.sock"))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    except OSError:
        return {}
    rows = [line.split(",") for line in data.decode().splitlines() if line.startswith(frontend + "-nodes,")]
    return {r[1]: (r[17], int(r[4] or 0)) for r in rows if r[1] not in ("BACKEND", "FRONTEND")}


def haproxy_up(work, frontend):
    """The servers of `frontend`'s backend that HAProxy has UP."""
    return {name for name, (status, _) in haproxy_servers(work, frontend).items() if status == "UP"}
