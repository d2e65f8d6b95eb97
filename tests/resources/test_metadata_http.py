"""The metadata client on the one outbound HTTP client: redirects vetted, one deadline per request."""

import socket

import pytest

from resources.services.http import FetchError, TransientError, addresses
from resources.services.metadata.http import ApiClient
from resources.services.metadata.sources import NEGOTIATION_HOSTS
from tests.loopback import Server, reply, trickle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback_only", "allow_loopback")]


@pytest.fixture
def allow_loopback(settings):
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = ["127.0.0.1"]  # the address only, not the name


def test_a_redirect_to_an_api_host_on_a_private_address_is_refused_without_connecting(
    monkeypatch, server, loopback_only
):
    # doi.org hands content negotiation over to crossref.org; that name answering with a
    # private address (DNS rebinding, a poisoned resolver) must not reach it.
    real_resolve = addresses.resolve

    def resolve(host, port):
        if host == "data.crossref.org":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real_resolve(host, port)

    monkeypatch.setattr(addresses, "resolve", resolve)
    server.routes["/doi/10.1/x"] = reply(302, headers={"Location": "http://data.crossref.org/10.1/x"})
    client = ApiClient(sleep=[].append)

    with pytest.raises(FetchError) as refused:
        client.get("doi.org", server.url("/doi/10.1/x"), redirect_hosts=NEGOTIATION_HOSTS)

    assert refused.value.outcome == "ssrf_blocked"
    assert refused.value.message.startswith("doi.org: data.crossref.org resolves only to refused addresses")
    assert loopback_only == ["127.0.0.1"]
    assert client.requests == {"doi.org": 2}


def test_a_same_host_redirect_to_another_port_is_vetted_like_the_first_hop(settings, server):
    # The API's own host is followed on any port, but only while the address passes: with the
    # loopback address no longer allowed, the hop to the other port is refused.
    other = Server()
    other.routes["/answer"] = reply(200, b"{}")
    server.routes["/api"] = reply(302, headers={"Location": f"http://localhost:{other.port}/answer"})
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = ["127.0.0.1"]
    try:
        with pytest.raises(FetchError) as refused:
            ApiClient(sleep=[].append).get("Crossref", server.url("/api"), redirect_hosts=("localhost",))
    finally:
        other.close()

    assert refused.value.outcome == "ssrf_blocked"
    assert other.log == []


def test_one_deadline_covers_every_attempt_of_an_api_that_trickles_its_headers(settings, server):
    settings.HTTP_DEADLINE = 1.0
    settings.METADATA_RETRIES = 3
    server.routes["/api/query"] = trickle(0.05)
    sleeps: list[float] = []

    with pytest.raises(TransientError) as failed:
        ApiClient(sleep=sleeps.append).get(
            "arXiv", server.url("/api/query"), params={"id_list": "1707.08567"}
        )

    assert failed.value.message == "arXiv timed out (retry due after the deadline)"
    assert (len(server.log), sleeps) == (1, [])
