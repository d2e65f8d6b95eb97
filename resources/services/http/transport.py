"""The SSRF-safe connection: requests' documented adapter hooks, no urllib3 internals.

``VettedAdapter.send`` resolves the URL's host itself, keeps only the addresses that pass
``address_refusal`` and pins the request to one of them: its
``build_connection_pool_key_attributes`` (the hook requests documents for changing the pool
key) names the vetted address as the pool's host, and, for https, the URL's host as the
pool's ``server_hostname``, so TLS still sends SNI for the name and verifies the certificate
against it. The Host header carries the name. Since urllib3 only ever connects to the address
that was vetted, a DNS answer that changes between check and use (rebinding) cannot slip
through; since ``fetch`` follows redirects itself, every hop is vetted the same way.

Connections (``ConnectionCls`` of our pool classes) report themselves to the thread's
deadline watch when they connect and send, through ``connect()`` and ``request()``, so a
timer can shut their socket when a request's deadline passes: a server that trickles bytes
cannot hold a worker thread past it. tests/resources/test_http_transport.py pins each of
these behaviours of requests and urllib3.

Sessions ignore the environment (no proxies, no .netrc); ``proxy_manager_for`` refuses.
"""

import socket
import threading
from contextlib import suppress
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from resources.services.http.addresses import bare_host, vetted_addresses
from resources.services.http.errors import AddressRefused

DEFAULT_PORTS = {"http": 80, "https": 443}

# --- The deadline watch ---------------------------------------------------------------------

_local = threading.local()


class Watch:
    """The connections one request uses, so a timer can cut them off at its deadline."""

    def __init__(self):
        self.connections: list = []
        self.expired = False
        self._lock = threading.Lock()

    def add(self, connection) -> None:
        with self._lock:
            if connection not in self.connections:
                self.connections.append(connection)
            expired = self.expired
        if expired:
            self._cut(connection)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self.connections)
        for connection in connections:
            self._cut(connection)

    @staticmethod
    def _cut(connection) -> None:
        sock = getattr(connection, "sock", None)
        if sock is None:
            return
        # The plain socket's shutdown: it wakes a blocked recv in the fetching thread
        # (SSLSocket.shutdown would also drop its SSL object under that thread's feet).
        with suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class watched:
    """``with watched(seconds) as watch:`` — this thread's connections are cut after ``seconds``."""

    def __init__(self, seconds: float):
        self.watch = Watch()
        self.timer = threading.Timer(max(seconds, 0.0), self.watch.expire)
        self.timer.daemon = True

    def __enter__(self) -> Watch:
        _local.watch = self.watch
        self.timer.start()
        return self.watch

    def __exit__(self, *exc) -> None:
        self.timer.cancel()
        _local.watch = None


def _watch_connection(connection) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.add(connection)


# --- Connections, pools, adapter, session ---------------------------------------------------


class _WatchedConnectionMixin:
    def connect(self) -> None:
        _watch_connection(self)
        super().connect()
        _watch_connection(self)  # now with its socket

    def request(self, *args, **kwargs):
        _watch_connection(self)  # a kept-alive connection, reused
        return super().request(*args, **kwargs)


class VettedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class VettedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


class VettedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = VettedHTTPConnection


class VettedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = VettedHTTPSConnection


def _connect_failed(error: requests.ConnectionError) -> bool:
    """Whether the request failed before a connection was made (so another address may do)."""
    reason = error.args[0].reason if error.args and isinstance(error.args[0], MaxRetryError) else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


class VettedAdapter(HTTPAdapter):
    """requests adapter that connects only to vetted addresses, never through a proxy."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": VettedHTTPConnectionPool,
            "https": VettedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise AddressRefused("outbound fetches never go through a proxy")

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
        addresses = vetted_addresses(host, parts.port or DEFAULT_PORTS.get(scheme, 80))
        request.headers["Host"] = parts.netloc.rsplit("@", 1)[-1]
        failure = None
        for address in addresses:
            request.vetted_address = address
            try:
                return super().send(request, **kwargs)
            except requests.ConnectionError as error:
                if not _connect_failed(error):
                    raise
                failure = error  # this address does not answer: try the next one
            finally:
                del request.vetted_address
        raise failure

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        address = getattr(request, "vetted_address", None)
        if address is None:
            raise AddressRefused("a request reached the connection pool without a vetted address")
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = bare_host(host_params["host"])
        host_params["host"] = address
        return host_params, pool_kwargs


ACCEPT_PAGES = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class SafeSession(requests.Session):
    """A requests session for outbound fetches: vetted addresses, no environment, our User-Agent."""

    def __init__(self, *, accept: str = ACCEPT_PAGES):
        super().__init__()
        self.trust_env = False  # no proxies or credentials from the environment / .netrc
        self.proxies = {}
        self.max_redirects = settings.LINKCHECK_MAX_REDIRECTS
        adapter = VettedAdapter(max_retries=0, pool_connections=32, pool_maxsize=4)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers.update(
            {"User-Agent": settings.USER_AGENT, "Accept": accept, "Accept-Language": "en;q=0.9,*;q=0.5"}
        )


def session_new(**kwargs) -> SafeSession:
    """A fresh SSRF-safe session (one per thread: requests sessions are not thread-safe)."""
    return SafeSession(**kwargs)
