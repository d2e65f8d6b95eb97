"""Outbound HTTP for user-supplied URLs: SSRF-safe, bounded in time and size, redirects by hand.

The guard sits where the socket is made. ``VettedAdapter`` gives requests a urllib3 pool
whose connections resolve the host themselves, refuse every candidate address in a
forbidden range (private, loopback, link-local, shared 100.64/10, NAT64, IPv4-mapped, cloud
metadata...), connect to the vetted address itself and check the peer address of the socket
once more. TLS is then negotiated on that socket by urllib3 with SNI and certificate
verification against the host name. Since the address connected to is the one checked, a
DNS answer that changes between check and use (rebinding) cannot slip through, and since
every connection goes through the pool, neither can a redirect: ``fetch`` follows redirects
itself (recording the hops, refusing loops, non-http(s) schemes and credentials) and each
hop is a new request. ``settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS`` names hosts (as written
in the URL) exempt from the address check, for tests and benchmarks on loopback servers.

Sessions ignore the environment (no proxies, no .netrc); ``proxy_manager_for`` refuses.
A watchdog closes the socket when a request's deadline passes, so a server that trickles
bytes cannot hold a worker thread past it.
"""

import ipaddress
import socket
import ssl
import sys
import threading
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from http.client import IncompleteRead, RemoteDisconnected
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.util.connection import allowed_gai_family
from urllib3.util.timeout import _DEFAULT_TIMEOUT

# Outcomes, spelled as LinkCheck.Outcome's values (this module does not import models).
TIMEOUT = "timeout"
DNS_ERROR = "dns_error"
CONNECTION_ERROR = "connection_error"
TLS_ERROR = "tls_error"
REDIRECT_LOOP = "redirect_loop"
SSRF_BLOCKED = "ssrf_blocked"
UNSUPPORTED = "unsupported"

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
CHUNK = 16 * 1024

# Ranges never connected to. ``is_global`` below catches the rest of the special-purpose
# registry; these are listed so the reason given names the range.
FORBIDDEN_NETWORKS = [
    (ipaddress.ip_network(network), reason)
    for network, reason in [
        ("169.254.169.254/32", "cloud metadata address"),
        ("fd00:ec2::254/128", "cloud metadata address"),
        ("0.0.0.0/8", "'this network'"),
        ("10.0.0.0/8", "private network"),
        ("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private network"),
        ("192.0.0.0/24", "IETF protocol assignments"),
        ("192.0.2.0/24", "documentation range"),
        ("192.88.99.0/24", "6to4 relay anycast"),
        ("192.168.0.0/16", "private network"),
        ("198.18.0.0/15", "benchmarking range"),
        ("198.51.100.0/24", "documentation range"),
        ("203.0.113.0/24", "documentation range"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
        ("::/128", "unspecified address"),
        ("::1/128", "loopback"),
        ("::ffff:0:0/96", "IPv4-mapped address"),
        ("::/96", "IPv4-compatible address"),
        ("64:ff9b::/96", "NAT64 translation prefix"),
        ("64:ff9b:1::/48", "local-use NAT64 prefix"),
        ("100::/64", "discard prefix"),
        ("2001::/32", "Teredo tunnel"),
        ("2001:db8::/32", "documentation range"),
        ("2002::/16", "6to4 tunnel"),
        ("fc00::/7", "unique local (private) address"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local"),
        ("ff00::/8", "multicast"),
    ]
]


class AddressRefused(Exception):
    """The URL's host is (or resolves only to) an address outbound fetches may not reach.

    Deliberately not an OSError: urllib3 and requests let it through unwrapped.
    """


class FetchError(Exception):
    """A fetch that produced no usable HTTP response; ``outcome`` is a LinkCheck outcome."""

    def __init__(self, outcome: str, message: str, *, retryable: bool = False, hops=(), url: str = ""):
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.retryable = retryable
        self.hops = list(hops)
        self.url = url
        self.elapsed = 0.0  # seconds spent on the network before it failed


def address_refusal(address) -> str | None:
    """Why this IP address may not be fetched from, or None for a public unicast address."""
    ip = ipaddress.ip_address(str(address).split("%", 1)[0]) if isinstance(address, str) else address
    for network, reason in FORBIDDEN_NETWORKS:
        if ip.version == network.version and ip in network:
            return f"{ip} is a {reason} address ({network})"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{ip} is not a public address"
    return None


def _bare_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _same_host(a: str, b: str) -> bool:
    a, b = _bare_host(a), _bare_host(b)
    if a == b:
        return True
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return False


def host_allowed_internal(host: str) -> bool:
    """Whether settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS exempts this URL host from the address check."""
    allowed = getattr(settings, "LINKCHECK_ALLOWED_INTERNAL_HOSTS", ()) or ()
    return bool(host) and any(_same_host(host, entry) for entry in allowed)


def resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo for a stream socket; names under .invalid fail at once (RFC 6761) without a query."""
    bare = _bare_host(host)
    if bare == "invalid" or bare.endswith(".invalid"):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return socket.getaddrinfo(bare, port, allowed_gai_family(), socket.SOCK_STREAM)


# --- The deadline watchdog ------------------------------------------------------------------

_local = threading.local()


class _Watch:
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


def _watch_connection(connection) -> None:
    watch = getattr(_local, "watch", None)
    if watch is not None:
        watch.add(connection)


# --- Connections, pools, adapter, session ---------------------------------------------------


class _VettedConnectionMixin:
    """Resolve the host here, connect only to an address that passes ``address_refusal``."""

    def _new_conn(self) -> socket.socket:
        allowed = host_allowed_internal(self.host)
        try:
            candidates = resolve(self._dns_host, self.port)
        except socket.gaierror as error:
            raise NameResolutionError(self.host, self, error) from error
        refusals, last_error = [], None
        for family, kind, proto, _canonical, address in candidates:
            if not allowed and (reason := address_refusal(address[0])):
                refusals.append(reason)
                continue
            sock = socket.socket(family, kind, proto)
            try:
                for option in self.socket_options or ():
                    sock.setsockopt(*option)
                if self.timeout is not _DEFAULT_TIMEOUT:
                    sock.settimeout(self.timeout)
                if self.source_address:
                    sock.bind(self.source_address)
                sock.connect(address)
                peer = sock.getpeername()[0]
            except OSError as error:
                sock.close()
                last_error = error
                continue
            # The address actually connected to, checked again: the one that matters.
            if not allowed and (reason := address_refusal(peer)):
                sock.close()
                raise AddressRefused(f"{self.host}: {reason}")
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        if refusals and last_error is None:
            raise AddressRefused(f"{self.host} resolves only to refused addresses: {'; '.join(refusals)}")
        if last_error is None:
            raise NameResolutionError(self.host, self, socket.gaierror(socket.EAI_NODATA, "no address"))
        if isinstance(last_error, TimeoutError):
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from last_error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}") from last_error

    def connect(self) -> None:
        _watch_connection(self)
        super().connect()
        _watch_connection(self)

    def request(self, *args, **kwargs):
        _watch_connection(self)
        return super().request(*args, **kwargs)


class VettedHTTPConnection(_VettedConnectionMixin, HTTPConnection):
    pass


class VettedHTTPSConnection(_VettedConnectionMixin, HTTPSConnection):
    pass


class VettedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = VettedHTTPConnection


class VettedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = VettedHTTPSConnection


class VettedAdapter(HTTPAdapter):
    """requests adapter whose pools connect only to vetted addresses, never through a proxy."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": VettedHTTPConnectionPool,
            "https": VettedHTTPSConnectionPool,
        }

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise AddressRefused("outbound fetches of members' links never go through a proxy")


class SafeSession(requests.Session):
    """A requests session for members' links: vetted addresses, no environment, our User-Agent."""

    def __init__(self):
        super().__init__()
        self.trust_env = False  # no proxies or credentials from the environment / .netrc
        self.proxies = {}
        self.max_redirects = settings.LINKCHECK_MAX_REDIRECTS
        adapter = VettedAdapter(max_retries=0, pool_connections=32, pool_maxsize=4)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers.update(
            {
                "User-Agent": settings.USER_AGENT,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "en;q=0.9,*;q=0.5",
            }
        )


def session_new() -> SafeSession:
    """A fresh SSRF-safe session (one per thread: requests sessions are not thread-safe)."""
    return SafeSession()


# --- fetch ----------------------------------------------------------------------------------


@dataclass
class Fetched:
    """The final response of a fetch, after its redirects."""

    method: str
    url: str
    final_url: str
    status: int
    headers: dict = field(default_factory=dict)
    body: bytes = b""
    hops: list = field(default_factory=list)
    # The body was not read to its end: the byte cap or a stop marker was reached.
    truncated: bool = False
    # Reading the body failed after the status line arrived (reset, deadline).
    body_error: str = ""
    # Seconds spent on the network over all hops (waiting for a host slot excluded).
    elapsed: float = 0.0


def url_refusal(url: str) -> FetchError | None:
    """The FetchError a URL is refused with before any connection, or None when it may be fetched."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as error:
        return FetchError(UNSUPPORTED, f"not a valid URL: {error}", url=url)
    if parts.scheme.lower() not in ("http", "https"):
        return FetchError(UNSUPPORTED, f"{parts.scheme or 'scheme-less'} links are not checked", url=url)
    if parts.username is not None or parts.password is not None:
        return FetchError(UNSUPPORTED, "URLs with a user name or password are never fetched", url=url)
    host = parts.hostname or ""
    if not host:
        return FetchError(UNSUPPORTED, "the URL has no host", url=url)
    if port == 0:
        return FetchError(UNSUPPORTED, "port 0 cannot be fetched", url=url)
    if host_allowed_internal(host):
        return None
    bare = _bare_host(host)
    if bare == "localhost" or bare.endswith(".localhost"):
        return FetchError(SSRF_BLOCKED, f"{bare} is a loopback name", url=url)
    try:
        ip = ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return None  # a name: its addresses are vetted when connecting
    if reason := address_refusal(ip):
        return FetchError(SSRF_BLOCKED, reason, url=url)
    return None


def _causes(error: BaseException):
    """The error and everything it wraps (urllib3 reasons, requests args, causes, contexts)."""
    seen, stack = set(), [error]
    while stack:
        current = stack.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        stack.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))


def classify_error(error: BaseException, *, expired: bool = False) -> tuple[str, bool, str]:
    """(outcome, retryable, message) for an exception raised while fetching."""
    causes = list(_causes(error))

    def found(*types):
        return next((c for c in causes if isinstance(c, types)), None)

    if (refused := found(AddressRefused)) is not None:
        return SSRF_BLOCKED, False, str(refused)
    if expired:
        return TIMEOUT, True, "no complete answer within the deadline"
    if (dns := found(NameResolutionError, socket.gaierror)) is not None:
        cause = found(socket.gaierror)
        return DNS_ERROR, False, f"unknown host ({cause.strerror if cause else dns})"
    timeout = next(
        (
            c
            for c in causes
            if isinstance(c, ReadTimeoutError | TimeoutError | requests.Timeout)
            or (isinstance(c, ConnectTimeoutError) and not isinstance(c, NewConnectionError))
        ),
        None,
    )
    if timeout is not None:
        return TIMEOUT, True, f"timed out: {_short(timeout)}"
    if (
        tls := found(Urllib3SSLError, requests.exceptions.SSLError, ssl.SSLError, ssl.CertificateError)
    ) is not None:
        return TLS_ERROR, False, f"TLS error: {_short(tls)}"
    if (
        reset := found(
            ConnectionResetError, RemoteDisconnected, BrokenPipeError, IncompleteRead, ProtocolError
        )
    ) is not None:
        return CONNECTION_ERROR, True, f"connection reset: {_short(reset)}"
    if (bad := found(LocationParseError, requests.exceptions.InvalidURL, UnicodeError)) is not None:
        return UNSUPPORTED, False, f"not a valid URL: {_short(bad)}"
    if (refused_conn := found(ConnectionRefusedError)) is not None:
        return CONNECTION_ERROR, False, f"connection refused: {_short(refused_conn)}"
    return CONNECTION_ERROR, False, _short(error)


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 500 else text[:497] + "…"


def _cookie_state(session) -> tuple:
    return tuple(sorted((c.domain, c.path, c.name, c.value or "") for c in session.cookies))


def redirect_target(response, current_url: str) -> str | None:
    location = response.headers.get("location")
    if response.status_code not in REDIRECT_STATUSES or not location:
        return None
    with suppress(UnicodeError):
        location = location.encode("latin1").decode("utf8")  # as requests does
    target = urljoin(current_url, location.strip())
    # A fragment stays with the resource it names (RFC 9110, 10.2.2).
    if "#" not in target and "#" in current_url:
        target += "#" + current_url.split("#", 1)[1]
    return target


def _read_body(
    response, *, max_bytes: int, stop_at: tuple[bytes, ...], out_of_time
) -> tuple[bytes, bool, str]:
    """Read up to max_bytes (decoded), stopping early at any stop marker; never more."""
    if max_bytes <= 0:
        return b"", True, ""
    body = bytearray()
    overlap = max((len(m) for m in stop_at), default=0)
    try:
        while len(body) < max_bytes:
            chunk = response.raw.read1(min(CHUNK, max_bytes - len(body)), decode_content=True)
            if not chunk:
                return bytes(body), False, ""
            start = max(0, len(body) - overlap)
            body += chunk
            if stop_at:
                window = bytes(body[start:]).lower()
                if any(marker in window for marker in stop_at):
                    return bytes(body), True, ""
            if out_of_time():
                return bytes(body), True, "the deadline passed while reading the body"
    except Exception as error:  # a body cut short still leaves the status we got
        return bytes(body), True, f"body cut short: {_short(error)}"
    return bytes(body), True, ""


def fetch(
    url: str,
    *,
    session: requests.Session,
    method: str = "HEAD",
    max_bytes: int = 0,
    stop_at: tuple[bytes, ...] = (),
    deadline: float | None = None,
    max_redirects: int | None = None,
    slot=None,
    clock=time.monotonic,
) -> Fetched:
    """Fetch a URL, following up to max_redirects redirects by hand; raise FetchError when no answer.

    ``deadline`` bounds the time spent on the network over all hops (waiting for a host
    ``slot`` does not count); ``max_bytes`` caps the (decoded) body read from the final
    response, which is streamed and closed early, never drained.
    """
    deadline = settings.LINKCHECK_DEADLINE if deadline is None else deadline
    max_redirects = settings.LINKCHECK_MAX_REDIRECTS if max_redirects is None else max_redirects
    hops: list[dict] = []
    visited: set[tuple] = set()
    spent = 0.0
    current = url
    for _ in range(max_redirects + 1):
        try:
            if (refusal := url_refusal(current)) is not None:
                raise refusal
            key = (current.split("#", 1)[0], _cookie_state(session))
            if key in visited:
                raise FetchError(REDIRECT_LOOP, f"redirect loop: back to {current}", url=current)
            visited.add(key)
            host = _bare_host(urlsplit(current).hostname or "")
            with slot(host) if slot is not None else nullcontext():
                started = clock()
                try:
                    fetched = _request(
                        session,
                        method,
                        current,
                        budget=deadline - spent,
                        max_bytes=max_bytes,
                        stop_at=stop_at,
                        clock=clock,
                    )
                finally:
                    spent += clock() - started
        except FetchError as error:
            error.hops, error.elapsed = hops, spent
            raise
        if isinstance(fetched, Fetched):
            fetched.url, fetched.hops, fetched.elapsed = url, hops, spent
            return fetched
        status, target = fetched
        hops.append({"status": status, "url": target})
        current = target
    error = FetchError(REDIRECT_LOOP, f"more than {max_redirects} redirects", url=current)
    error.hops, error.elapsed = hops, spent
    raise error


def _request(session, method, url, *, budget, max_bytes, stop_at, clock) -> Fetched | tuple[int, str]:
    """One request: the final response as Fetched, or (status, target) for a redirect."""
    if budget <= 0:
        raise FetchError(TIMEOUT, "no complete answer within the deadline", retryable=True, url=url)
    started = clock()
    watch = _Watch()
    timer = threading.Timer(budget, watch.expire)
    timer.daemon = True
    _local.watch = watch
    timer.start()
    try:
        try:
            response = session.request(
                method,
                url,
                allow_redirects=False,
                stream=True,
                timeout=(
                    min(settings.LINKCHECK_CONNECT_TIMEOUT, budget),
                    min(settings.LINKCHECK_READ_TIMEOUT, budget),
                ),
            )
        except Exception as error:  # every failure becomes an outcome
            outcome, retryable, message = classify_error(error, expired=watch.expired)
            raise FetchError(outcome, message, retryable=retryable, url=url) from error
        if watch.expired:
            # Cut off while the headers arrived: what was parsed is not an answer.
            response.close()
            raise FetchError(TIMEOUT, "no complete answer within the deadline", retryable=True, url=url)
        try:
            target = redirect_target(response, url)
            if target is not None:
                return response.status_code, target
            body, truncated, body_error = _read_body(
                response,
                max_bytes=max_bytes,
                stop_at=stop_at,
                out_of_time=lambda: watch.expired or clock() - started >= budget,
            )
            if watch.expired and not body_error:
                body_error = "the deadline passed while reading the body"
            return Fetched(
                method=method,
                url=url,
                final_url=url,
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=body,
                truncated=truncated,
                body_error=body_error,
            )
        finally:
            response.close()
    finally:
        timer.cancel()
        _local.watch = None
