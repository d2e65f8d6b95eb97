"""Real local HTTP servers for the tests of outbound requests, and a guard that keeps them local.

``Server`` is a threaded HTTP/1.0 server on a loopback address whose routes are functions of the
handler (``reply``, ``slow``, ``trickle``, ``huge_body``, ``reset_on_head``), for what
pytest-httpserver cannot do; ``guard_connections`` makes any socket that tries to connect
beyond loopback fail the test. The fixtures (``loopback_only``, ``allow_loopback``, ``server``,
``tls_certificate``, ``tls_server``) are in tests/conftest.py; a module opts in with
``pytestmark = pytest.mark.usefixtures("loopback_only", "allow_loopback")``.
"""

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


def guard_connections(monkeypatch) -> list[str]:
    """Record every address a socket connects to; refuse (and fail on) any non-loopback one."""
    made: list[str] = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
            made.append(str(ip))
            if not ip.is_loopback:
                raise AssertionError(f"a test tried to connect to {ip}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return made


def allow_loopback_hosts(settings) -> None:
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = ["127.0.0.1", "localhost"]
    settings.LINKCHECK_HOST_SPACING = 0


class Server:
    """A threaded HTTP/1.0 server on a loopback address; routes are functions of the handler.

    For what pytest-httpserver cannot do: sleep before answering, trickle bytes, stream a
    body lazily, reset a connection, speak TLS with a certificate made at test time.
    """

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None):
        self.routes: dict = {}
        self.log: list[tuple[str, str, dict, float]] = []  # (method, path, headers, time)
        self.sent: Counter = Counter()
        self.cut: Counter = Counter()  # connections the client closed while a route was still sending
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _dispatch(self):
                with server._lock:
                    server.log.append((self.command, self.path, dict(self.headers), time.monotonic()))
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    route = server.routes.get(self.path.split("?", 1)[0])
                    if route is None:
                        self.send_error(404)
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                    pass
                finally:
                    with server._lock:
                        server.active -= 1

            do_GET = do_HEAD = _dispatch

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def url(self, path: str = "/", host: str | None = None) -> str:
        return f"{self.scheme}://{host or self.host}:{self.port}{path}"

    def hits(self, path: str, method: str | None = None) -> int:
        return sum(1 for m, p, _h, _t in self.log if p == path and (method is None or m == method))

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def reply(status=200, body=b"", headers=None, head_status=None):
    """A route answering with a fixed status, headers and body (HEAD gets no body)."""

    def route(handler):
        code = head_status if handler.command == "HEAD" and head_status else status
        handler.send_response(code)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    return route


def slow(seconds: float, then=None):
    def route(handler):
        time.sleep(seconds)
        (then or reply())(handler)

    return route


def together(server: Server, count: int = 2, then=None, timeout: float = 20.0):
    """A route that holds each request until ``count`` requests have been in flight on the server
    at once, then answers: concurrency shows in ``server.max_active`` whatever the machine's load.
    (``timeout`` only keeps a broken run from hanging; it fails on max_active, not on time.)"""

    def route(handler):
        give_up = time.monotonic() + timeout
        while server.max_active < count and time.monotonic() < give_up:
            time.sleep(0.01)
        (then or reply())(handler)

    return route


def trickle(interval: float, server: Server | None = None):
    """Send the status line and then one header byte every ``interval`` seconds, forever;
    with ``server``, count the bytes in ``server.sent`` and a closed connection in ``server.cut``."""

    def route(handler):
        path = handler.path.split("?", 1)[0]
        handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
        handler.wfile.flush()
        try:
            for _ in range(10_000):
                handler.wfile.write(b"X")
                handler.wfile.flush()
                if server is not None:
                    server.sent[path] += 1
                time.sleep(interval)
        except (BrokenPipeError, ConnectionResetError):
            if server is not None:
                server.cut[path] += 1

    return route


def huge_body(server: Server, size: int = 1 << 30, content_type: str = "application/octet-stream"):
    """A body of ``size`` bytes generated lazily chunk by chunk; HEAD is refused (405)."""
    block = b"\0" * 65536

    def route(handler):
        if handler.command == "HEAD":
            reply(405)(handler)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        sent = 0
        try:
            while sent < size:
                chunk = block[: min(len(block), size - sent)]
                handler.wfile.write(chunk)
                sent += len(chunk)
        finally:
            server.sent[handler.path] += sent

    return route


def reset_on_head(then=None):
    """Drop the connection with a TCP reset when asked with HEAD; answer GET normally."""

    def route(handler):
        if handler.command == "HEAD":
            handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            handler.connection.close()
            return
        (then or reply(200, b"<html><head><title>ok</title></head></html>"))(handler)

    return route


def make_certificate(folder) -> tuple:
    """A self-signed certificate for the name localhost only (made with openssl at test time)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def tls_server_with(cert, key) -> Server:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    running = Server(tls=context)
    running.routes["/"] = reply(200, b"<html><head><title>secure</title></head></html>")
    return running
