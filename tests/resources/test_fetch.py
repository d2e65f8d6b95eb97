"""The SSRF-safe HTTP client (resources.services.http) against real local servers (tests/loopback.py).

Every test here runs behind ``loopback_only``: a socket that tries to connect anywhere
but a loopback address fails the test instead of leaving the machine.
"""

import ipaddress
import socket
import time

import pytest
from werkzeug import Response

from resources.services import http as fetching
from resources.services.http import addresses
from tests.loopback import Server, huge_body, reply, slow, trickle

pytestmark = pytest.mark.usefixtures("loopback_only", "allow_loopback")


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
    # The answer would come after 30 s: a fetch that waited for it would succeed, not time out.
    server.routes["/slow"] = slow(30)

    with pytest.raises(fetching.FetchError) as failed:
        fetching.fetch(server.url("/slow"), session=session)

    assert failed.value.outcome == "timeout"
    assert failed.value.retryable is True
    assert server.hits("/slow") == 1


def test_fetch_deadline_cuts_a_server_that_trickles_bytes(server, session):
    # Each byte arrives well within the read timeout; only the deadline stops this.
    server.routes["/trickle"] = trickle(0.05, server)
    started = time.monotonic()

    with pytest.raises(fetching.FetchError) as failed:
        fetching.fetch(server.url("/trickle"), session=session, deadline=0.8)

    assert failed.value.outcome == "timeout"
    assert time.monotonic() - started >= 0.75  # not cut before the deadline (a lower bound: load-safe)
    # The client hung up: the server's next bytes found the connection closed, long before
    # the 10,000 bytes (500 s) it would send to a client that kept listening.
    for _ in range(200):
        if server.cut["/trickle"]:
            break
        time.sleep(0.05)
    assert server.cut["/trickle"] == 1
    assert server.sent["/trickle"] < 10_000


def test_fetch_streams_a_1_gb_body_reading_only_the_cap(server, session):
    server.routes["/big"] = huge_body(server)

    fetched = fetching.fetch(server.url("/big"), session=session, method="GET", max_bytes=64 * 1024)

    assert fetched.status == 200
    assert len(fetched.body) == 64 * 1024
    assert fetched.truncated is True
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
