"""Which addresses and URLs outbound requests may reach.

Private, loopback, link-local, shared (100.64/10), multicast, reserved, NAT64, IPv4-mapped and
cloud-metadata addresses are refused. ``settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS`` names
hosts (as written in the URL) exempt from the address check, for tests and benchmarks on
loopback servers.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from urllib3.util.connection import allowed_gai_family

from resources.services.http.errors import SSRF_BLOCKED, UNSUPPORTED, AddressRefused, FetchError

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


def address_refusal(address) -> str | None:
    """Why this IP address may not be fetched from, or None for a public unicast address."""
    ip = ipaddress.ip_address(str(address).split("%", 1)[0]) if isinstance(address, str) else address
    for network, reason in FORBIDDEN_NETWORKS:
        if ip.version == network.version and ip in network:
            return f"{ip} is a {reason} address ({network})"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{ip} is not a public address"
    return None


def bare_host(host: str) -> str:
    """A URL's host as compared and resolved: no brackets, no trailing dot, lower case."""
    return host.strip().strip("[]").rstrip(".").lower()


def _same_host(a: str, b: str) -> bool:
    a, b = bare_host(a), bare_host(b)
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
    bare = bare_host(host)
    if bare == "invalid" or bare.endswith(".invalid"):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return socket.getaddrinfo(bare, port, allowed_gai_family(), socket.SOCK_STREAM)


def vetted_addresses(host: str, port: int) -> list[str]:
    """The addresses of ``host`` a request may connect to, in resolver order.

    Raises socket.gaierror when the name does not resolve and AddressRefused when it
    resolves only to refused addresses.
    """
    allowed = host_allowed_internal(host)
    candidates, refusals = [], []
    for *_rest, address in resolve(host, port):
        ip = str(address[0])
        if not allowed and (reason := address_refusal(ip)):
            refusals.append(reason)
        elif ip not in candidates:
            candidates.append(ip)
    if not candidates and refusals:
        raise AddressRefused(
            f"{host} resolves only to refused addresses: {'; '.join(dict.fromkeys(refusals))}"
        )
    if not candidates:
        raise socket.gaierror(socket.EAI_NODATA, "no address")
    return candidates


def url_refusal(url: str) -> FetchError | None:
    """The FetchError a URL is refused with before any connection, or None when it may be fetched."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a bad port
    except ValueError as error:
        return FetchError(f"not a valid URL: {error}", outcome=UNSUPPORTED, url=url)
    if parts.scheme.lower() not in ("http", "https"):
        return FetchError(
            f"{parts.scheme or 'scheme-less'} links are not checked", outcome=UNSUPPORTED, url=url
        )
    if parts.username is not None or parts.password is not None:
        return FetchError("URLs with a user name or password are never fetched", outcome=UNSUPPORTED, url=url)
    host = parts.hostname or ""
    if not host:
        return FetchError("the URL has no host", outcome=UNSUPPORTED, url=url)
    if port == 0:
        return FetchError("port 0 cannot be fetched", outcome=UNSUPPORTED, url=url)
    if host_allowed_internal(host):
        return None
    bare = bare_host(host)
    if bare == "localhost" or bare.endswith(".localhost"):
        return FetchError(f"{bare} is a loopback name", outcome=SSRF_BLOCKED, url=url)
    try:
        ip = ipaddress.ip_address(bare.split("%", 1)[0])
    except ValueError:
        return None  # a name: its addresses are vetted when connecting
    if reason := address_refusal(ip):
        return FetchError(reason, outcome=SSRF_BLOCKED, url=url)
    return None
