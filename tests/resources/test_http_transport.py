"""What resources.services.http.transport relies on in requests and urllib3, pinned.

The SSRF guard uses only documented hooks: ``HTTPAdapter.build_connection_pool_key_attributes``
(requests >= 2.32 calls it from ``get_connection_with_tls_context`` for every request and
documents overriding it), a PoolManager's ``pool_classes_by_scheme``, a pool's
``ConnectionCls``, ``server_hostname`` as a pool keyword (SNI and certificate checked against
it), a Host header that urllib3 sends instead of its own, and ``connect()``/``request()``/
``sock`` on the connection for the deadline watch. An upgrade that changes one of them fails
here, by name, before it can weaken the guard.
"""

import socket

import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter

from resources.services import http
from resources.services.http import addresses, transport
from tests.loopback import reply, trickle

pytestmark = pytest.mark.usefixtures("loopback_only", "allow_loopback")


def pools(session) -> list:
    manager = session.get_adapter("http://x/").poolmanager
    return [manager.pools[key] for key in manager.pools.keys()]  # noqa: SIM118 - the container has no __iter__


def test_pinned_library_versions_are_the_ones_checked_here():
    # When these move, read the hooks named in this module's docstring in the new release.
    assert requests.__version__.split(".")[:2] == ["2", "34"]
    assert urllib3.__version__.split(".")[0] == "2"
    assert "build_connection_pool_key_attributes" in vars(HTTPAdapter)


def test_the_pool_is_keyed_on_the_vetted_address_and_the_name_travels_in_the_host_header(
    monkeypatch, server, loopback_only
):
    # The name resolves (as our resolver says) to the server's address: the pool must be made
    # for that address, urllib3 must connect there, and the server must see the name.
    monkeypatch.setattr(
        addresses,
        "resolve",
        lambda host, port: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))],
    )
    server.routes["/"] = reply(200, b"hello")
    monkeypatch.setattr(addresses, "host_allowed_internal", lambda host: True)

    with http.session_new() as session:
        fetched = http.fetch(
            f"http://club-paper.example:{server.port}/", session=session, method="GET", max_bytes=100
        )
        made = pools(session)

    assert (fetched.status, fetched.body) == (200, b"hello")
    assert [(type(pool), pool.host, pool.port) for pool in made] == [
        (transport.VettedHTTPConnectionPool, "127.0.0.1", server.port)
    ]
    assert made[0].ConnectionCls is transport.VettedHTTPConnection
    assert loopback_only == ["127.0.0.1"]
    assert server.log[0][2]["Host"] == f"club-paper.example:{server.port}"


def test_an_https_pool_carries_the_name_as_server_hostname(monkeypatch):
    monkeypatch.setattr(addresses, "host_allowed_internal", lambda host: True)
    adapter = transport.VettedAdapter()
    request = requests.Request("GET", "https://club-paper.example:8443/x").prepare()
    request.vetted_address = "127.0.0.1"

    pool = adapter.get_connection_with_tls_context(request, verify=True)

    assert isinstance(pool, transport.VettedHTTPSConnectionPool)
    assert (pool.host, pool.port) == ("127.0.0.1", 8443)
    assert pool.conn_kw["server_hostname"] == "club-paper.example"
    assert pool.ConnectionCls is transport.VettedHTTPSConnection


def test_a_request_that_bypasses_the_vetting_reaches_no_pool():
    adapter = transport.VettedAdapter()
    request = requests.Request("GET", "http://club-paper.example/").prepare()

    with pytest.raises(http.AddressRefused):
        adapter.get_connection_with_tls_context(request, verify=True)


def test_the_next_vetted_address_is_tried_when_one_refuses_the_connection(monkeypatch, server, loopback_only):
    # Nothing listens on 127.0.0.3: that address refuses, the second one answers.
    monkeypatch.setattr(
        addresses,
        "resolve",
        lambda host, p: [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.3", p)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", p)),
        ],
    )
    monkeypatch.setattr(addresses, "host_allowed_internal", lambda host: True)
    server.routes["/"] = reply(200, b"second")

    with http.session_new() as session:
        fetched = http.fetch(
            f"http://two-addresses.example:{server.port}/", session=session, method="GET", max_bytes=100
        )

    assert fetched.body == b"second"
    assert loopback_only == ["127.0.0.3", "127.0.0.1"]


def test_the_deadline_watch_sees_the_connection_and_cuts_a_trickling_server(server):
    server.routes["/trickle"] = trickle(0.05)

    with http.session_new() as session, pytest.raises(http.FetchError) as failed:
        http.fetch(server.url("/trickle"), session=session, deadline=0.5)

    assert failed.value.outcome == "timeout"
    assert failed.value.message == "no complete answer within the deadline"
    assert server.hits("/trickle") == 1
