"""The SSRF-safe HTTP layer (resources.services.fetch) against real local servers.

Every test here runs behind ``loopback_only``: a socket that tries to connect anywhere
but a loopback address fails the test instead of leaving the machine.
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
from werkzeug import Response

from resources.services import http as fetching
from resources.services.http import addresses

# --- Helpers shared with the link-check tests -----------------------------------------------


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


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    return guard_connections(monkeypatch)


@pytest.fixture(autouse=True)
def allow_loopback(settings):
    allow_loopback_hosts(settings)


class Server:
    """A threaded HTTP/1.0 server on a loopback address; routes are functions of the handler.

    For what pytest-httpserver cannot do: sleep before answering, trickle bytes, stream a
    body lazily, reset a connection, speak TLS with a certificate made at test time.
    """

    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None):
        self.routes: dict = {}
        self.log: list[tuple[str, str, dict, float]] = []  # (method, path, headers, time)
        self.sent: Counter = Counter()
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


@pytest.fixture
def server():
    running = Server()
    yield running
    running.close()


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


def trickle(interval: float):
    """Send the status line and then one header byte every ``interval`` seconds, forever."""

    def route(handler):
        handler.wfile.write(b"HTTP/1.0 200 OK\r\n")
        handler.wfile.flush()
        for _ in range(10_000):
            handler.wfile.write(b"X")
            handler.wfile.flush()
            time.sleep(interval)

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


@pytest.fixture(scope="module")
def tls_certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_server(tls_certificate):
    running = tls_server_with(*tls_certificate)
    yield running
    running.close()


@pytest.fixture
def session():
    with fetching.session_new() as made:
        yield made


# --- Which addresses are refused ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "127.0.0.1",
        "127.0.0.2",
        "0.0.0.0",
        "169.254.169.254",
        "169.254.1.1",
        "100.64.0.1",
        "100.127.255.254",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "64:ff9b::a00:1",
        "64:ff9b::808:808",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "2002:a00:1::1",
        "ff02::1",
    ],
)
def test_address_refusal_refuses_internal_and_translated_addresses(address):
    assert fetching.address_refusal(address) is not None


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2606:4700:4700::1111"])
def test_address_refusal_allows_public_addresses(address):
    assert fetching.address_refusal(address) is None


def test_address_refusal_names_the_metadata_address():
    assert "metadata" in fetching.address_refusal("169.254.169.254")


# --- SSRF: refused before any connection ----------------------------------------------------


def test_fetch_refuses_loopback_unless_the_host_is_allowed(settings, server, session, loopback_only):
    server.routes["/"] = reply(200)
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = []

    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(server.url("/"), session=session)

    assert refused.value.outcome == "ssrf_blocked"
    assert loopback_only == []
    assert server.log == []


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "[::1]"])
def test_fetch_refuses_loopback_in_any_spelling(settings, server, session, loopback_only, host):
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = []
    server.routes["/"] = reply(200)

    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(f"http://{host}:{server.port}/", session=session)

    assert refused.value.outcome == "ssrf_blocked"
    assert loopback_only == []


def test_fetch_vets_the_resolved_address_of_a_name(monkeypatch, session, loopback_only):
    # A name whose DNS answer is internal (as in DNS rebinding): refused before connecting.
    monkeypatch.setattr(
        addresses,
        "resolve",
        lambda host, port: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
        ],
    )

    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch("http://rebinding.example.org/", session=session)

    assert refused.value.outcome == "ssrf_blocked"
    assert "10.1.2.3" in refused.value.message and "127.0.0.1" in refused.value.message
    assert loopback_only == []


@pytest.mark.parametrize("target", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/"])
def test_fetch_redirect_to_a_private_address_is_refused_without_connecting(
    httpserver, session, loopback_only, target
):
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": target})

    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(httpserver.url_for("/go"), session=session, method="GET")

    assert refused.value.outcome == "ssrf_blocked"
    assert refused.value.hops == [{"status": 302, "url": target}]
    assert all(ipaddress.ip_address(ip).is_loopback for ip in loopback_only)
    assert target.split("/")[2] not in loopback_only


def test_fetch_redirect_from_an_allowed_host_to_another_loopback_address_is_refused(
    server, session, loopback_only
):
    server.routes["/go"] = reply(301, headers={"Location": f"http://127.0.0.2:{server.port}/"})

    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(server.url("/go"), session=session)

    assert refused.value.outcome == "ssrf_blocked"
    assert "127.0.0.2" not in loopback_only
    assert set(loopback_only) == {"127.0.0.1"}


def test_fetch_redirect_to_localhost_is_refused_when_only_the_address_is_allowed(
    settings, server, session, loopback_only
):
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = ["127.0.0.1"]
    server.routes["/go"] = reply(302, headers={"Location": f"http://localhost:{server.port}/"})
    server.routes["/"] = reply(200)

    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(server.url("/go"), session=session)

    assert refused.value.outcome == "ssrf_blocked"
    assert server.hits("/") == 0


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.org/file", "ftp links"),
        ("file:///etc/passwd", "file links"),
        ("http://user:secret@127.0.0.1/", "user name or password"),
        ("http://:8080/", "no host"),
    ],
)
def test_fetch_refuses_other_schemes_and_credentials(session, loopback_only, url, words):
    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(url, session=session)

    assert refused.value.outcome == "unsupported"
    assert words in refused.value.message
    assert loopback_only == []


def test_fetch_redirect_to_a_file_url_is_refused(server, session):
    server.routes["/go"] = reply(302, headers={"Location": "file:///etc/passwd"})

    with pytest.raises(fetching.FetchError) as refused:
        fetching.fetch(server.url("/go"), session=session)

    assert refused.value.outcome == "unsupported"
    assert refused.value.hops == [{"status": 302, "url": "file:///etc/passwd"}]


def test_fetch_ignores_proxies_from_the_environment(monkeypatch, server, loopback_only):
    proxy = Server()
    proxy.routes["/"] = reply(200, b"proxied")
    server.routes["/"] = reply(200, b"direct")
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, proxy.url("/"))
    try:
        with fetching.session_new() as session:
            fetched = fetching.fetch(server.url("/"), session=session, method="GET", max_bytes=100)
    finally:
        proxy.close()

    assert fetched.body == b"direct"
    assert proxy.log == []
    assert session.trust_env is False


def test_fetch_unknown_host_under_invalid_is_a_dns_error_without_a_query(session, loopback_only):
    with pytest.raises(fetching.FetchError) as failed:
        fetching.fetch("http://no-such-host.invalid/paper", session=session)

    assert failed.value.outcome == "dns_error"
    assert loopback_only == []


# --- Redirects ------------------------------------------------------------------------------


def test_fetch_follows_and_records_redirect_hops(server, session):
    server.routes["/a"] = reply(301, headers={"Location": "/b"})
    server.routes["/b"] = reply(307, headers={"Location": server.url("/c")})
    server.routes["/c"] = reply(200, b"here")

    fetched = fetching.fetch(server.url("/a"), session=session, method="GET", max_bytes=100)

    assert (fetched.status, fetched.final_url, fetched.body) == (200, server.url("/c"), b"here")
    assert fetched.hops == [
        {"status": 301, "url": server.url("/b")},
        {"status": 307, "url": server.url("/c")},
    ]


def test_fetch_detects_a_redirect_loop(server, session):
    server.routes["/a"] = reply(302, headers={"Location": "/b"})
    server.routes["/b"] = reply(302, headers={"Location": "/a"})

    with pytest.raises(fetching.FetchError) as looped:
        fetching.fetch(server.url("/a"), session=session)

    assert looped.value.outcome == "redirect_loop"
    assert [hop["url"] for hop in looped.value.hops] == [server.url("/b"), server.url("/a")]
    assert server.hits("/a") == 1


def test_fetch_stops_after_ten_redirects(server, session):
    for n in range(12):
        server.routes[f"/r{n}"] = reply(302, headers={"Location": f"/r{n + 1}"})
    server.routes["/r12"] = reply(200)

    with pytest.raises(fetching.FetchError) as looped:
        fetching.fetch(server.url("/r0"), session=session)

    assert looped.value.outcome == "redirect_loop"
    assert "more than 10 redirects" in looped.value.message
    assert len(looped.value.hops) == 11


def test_fetch_cookie_setting_redirect_back_to_the_same_url_is_no_loop(server, session):
    def page(handler):
        if "seen=1" in handler.headers.get("Cookie", ""):
            reply(200, b"welcome")(handler)
        else:
            reply(302, headers={"Location": "/page", "Set-Cookie": "seen=1; Path=/"})(handler)

    server.routes["/page"] = page

    fetched = fetching.fetch(server.url("/page"), session=session, method="GET", max_bytes=100)

    assert (fetched.status, fetched.body, fetched.final_url) == (200, b"welcome", server.url("/page"))
    assert fetched.hops == [{"status": 302, "url": server.url("/page")}]


# --- Time and size limits -------------------------------------------------------------------


def test_fetch_gives_up_after_the_read_timeout(settings, server, session):
    settings.LINKCHECK_READ_TIMEOUT = 0.3
    server.routes["/slow"] = slow(3)
    started = time.monotonic()

    with pytest.raises(fetching.FetchError) as failed:
        fetching.fetch(server.url("/slow"), session=session)

    assert failed.value.outcome == "timeout"
    assert failed.value.retryable is True
    assert time.monotonic() - started < 2


def test_fetch_deadline_cuts_a_server_that_trickles_bytes(server, session):
    # Each byte arrives well within the read timeout; only the deadline stops this.
    server.routes["/trickle"] = trickle(0.05)
    started = time.monotonic()

    with pytest.raises(fetching.FetchError) as failed:
        fetching.fetch(server.url("/trickle"), session=session, deadline=0.8)

    assert failed.value.outcome == "timeout"
    assert 0.7 < time.monotonic() - started < 2.5


def test_fetch_streams_a_1_gb_body_reading_only_the_cap(server, session):
    server.routes["/big"] = huge_body(server)
    started = time.monotonic()

    fetched = fetching.fetch(server.url("/big"), session=session, method="GET", max_bytes=64 * 1024)

    assert fetched.status == 200
    assert len(fetched.body) == 64 * 1024
    assert fetched.truncated is True
    assert time.monotonic() - started < 5
    for _ in range(50):  # the server notices the closed connection
        if server.sent["/big"]:
            break
        time.sleep(0.05)
    assert 0 < server.sent["/big"] < 64 * 1024 * 1024


def test_fetch_stops_reading_at_a_marker(server, session):
    page = b"<html><head><title>t</title></head><body>" + b"x" * 200_000
    server.routes["/page"] = reply(200, page, {"Content-Type": "text/html"})

    fetched = fetching.fetch(
        server.url("/page"), session=session, method="GET", max_bytes=512 * 1024, stop_at=(b"</head",)
    )

    assert b"</head>" in fetched.body
    assert len(fetched.body) < 100_000


# --- TLS ------------------------------------------------------------------------------------


def test_fetch_self_signed_certificate_is_a_tls_error(tls_server, session):
    with pytest.raises(fetching.FetchError) as failed:
        fetching.fetch(tls_server.url("/", host="localhost"), session=session)

    assert failed.value.outcome == "tls_error"
    assert "certificate" in failed.value.message.lower()


def test_fetch_verifies_the_certificate_against_the_host_name_not_the_address(tls_server, tls_certificate):
    cert, _key = tls_certificate
    with fetching.session_new() as session:
        session.verify = str(cert)
        fetched = fetching.fetch(
            tls_server.url("/", host="localhost"), session=session, method="GET", max_bytes=99
        )
        with pytest.raises(fetching.FetchError) as mismatch:
            # The same server by address: the certificate names only localhost.
            fetching.fetch(tls_server.url("/", host="127.0.0.1"), session=session)

    assert (fetched.status, fetched.body) == (200, b"<html><head><title>secure</title></head></html>")
    assert mismatch.value.outcome == "tls_error"


# --- Requests as sent -----------------------------------------------------------------------


def test_fetch_sends_a_user_agent_naming_clubsite_and_a_contact(httpserver, session):
    httpserver.expect_request("/ua").respond_with_response(Response("ok"))

    fetching.fetch(httpserver.url_for("/ua"), session=session)

    request, _response = httpserver.log[0]
    agent = request.headers["User-Agent"]
    assert agent.startswith("clubsite/")
    assert "+http" in agent and "mailto:" in agent
    assert request.method == "HEAD"
