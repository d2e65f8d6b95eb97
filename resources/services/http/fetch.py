"""``fetch``: one URL, its redirects followed by hand and vetted on every hop, within one deadline.

Each hop is refused before connecting when its URL is (``url_refusal``: scheme, credentials,
a forbidden address literal), then goes through the session's ``VettedAdapter`` (the
resolved addresses vetted). Loops and more than ``max_redirects`` hops are refused, a
``follow`` predicate may stop at a redirect (the metadata client keeps to the API's hosts),
the body is streamed and never read past ``max_bytes``, and a watch cuts the connection when
the deadline passes.
"""

import socket
import ssl
import time
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from http.client import IncompleteRead, RemoteDisconnected
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationParseError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError

from resources.services.http.addresses import bare_host, url_refusal
from resources.services.http.errors import (
    CONNECTION_ERROR,
    DNS_ERROR,
    REDIRECT_LOOP,
    SSRF_BLOCKED,
    TIMEOUT,
    TLS_ERROR,
    UNSUPPORTED,
    AddressRefused,
    FetchError,
)
from resources.services.http.transport import watched

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECT_STATUSES = frozenset({301, 308})
CHUNK = 16 * 1024
OUT_OF_TIME = "no complete answer within the deadline"


@dataclass
class Fetched:
    """The final response of a fetch, after its redirects."""

    method: str
    url: str
    final_url: str
    status: int
    headers: dict = field(default_factory=dict)  # names in lower case
    body: bytes = b""
    hops: list = field(default_factory=list)
    # The body was not read to its end: the byte cap or a stop marker was reached.
    truncated: bool = False
    # Reading the body failed after the status line arrived (reset, deadline).
    body_error: str = ""
    # Seconds spent on the network over all hops (waiting for a host slot excluded).
    elapsed: float = 0.0


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


def _is_timeout(error: BaseException) -> bool:
    return isinstance(error, ReadTimeoutError | TimeoutError | requests.Timeout) or (
        isinstance(error, ConnectTimeoutError) and not isinstance(error, NewConnectionError)
    )


# (exception types, outcome, retryable, message prefix), tried in order after the refusals.
_CLASSES = [
    ((Urllib3SSLError, requests.exceptions.SSLError, ssl.SSLError, ssl.CertificateError), TLS_ERROR, False,
     "TLS error"),
    ((ConnectionResetError, RemoteDisconnected, BrokenPipeError, IncompleteRead, ProtocolError),
     CONNECTION_ERROR, True, "connection reset"),
    ((LocationParseError, requests.exceptions.InvalidURL, UnicodeError), UNSUPPORTED, False,
     "not a valid URL"),
    ((ConnectionRefusedError,), CONNECTION_ERROR, False, "connection refused"),
]  # fmt: skip


def classify_error(error: BaseException, *, expired: bool = False) -> tuple[str, bool, str]:
    """(outcome, retryable, message) for an exception raised while fetching."""
    causes = list(_causes(error))

    def found(*types):
        return next((c for c in causes if isinstance(c, types)), None)

    if (refused := found(AddressRefused)) is not None:
        return SSRF_BLOCKED, False, str(refused)
    if expired:
        return TIMEOUT, True, OUT_OF_TIME
    if (dns := found(NameResolutionError, socket.gaierror)) is not None:
        cause = found(socket.gaierror)
        return DNS_ERROR, False, f"unknown host ({cause.strerror if cause else dns})"
    if (timeout := next((c for c in causes if _is_timeout(c)), None)) is not None:
        return TIMEOUT, True, f"timed out: {_short(timeout)}"
    for types, outcome, retryable, prefix in _CLASSES:
        if (cause := found(*types)) is not None:
            return outcome, retryable, f"{prefix}: {_short(cause)}"
    return CONNECTION_ERROR, False, _short(error)


def _short(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 500 else text[:497] + "…"


def _cookie_state(session) -> tuple:
    return tuple(sorted((c.domain, c.path, c.name, c.value or "") for c in session.cookies))


def redirect_target(response, current_url: str) -> str | None:
    """Where a redirect response leads (absolute), or None when it is not a redirect."""
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
            if stop_at and any(marker in bytes(body[start:]).lower() for marker in stop_at):
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
    headers: dict | None = None,
    max_bytes: int = 0,
    stop_at: tuple[bytes, ...] = (),
    deadline: float | None = None,
    max_redirects: int | None = None,
    follow: Callable[[str, str], bool] | None = None,
    timeouts: tuple[float, float] | None = None,
    slot=None,
    clock=time.monotonic,
) -> Fetched:
    """Fetch a URL, following up to max_redirects redirects by hand; raise FetchError when no answer.

    ``deadline`` bounds the time spent on the network over all hops (waiting for a host
    ``slot`` does not count); ``max_bytes`` caps the (decoded) body read from the final
    response, which is streamed and closed early, never drained. ``follow(current, target)``
    returning False makes a redirect the final answer; ``timeouts`` are (connect, read) per request.
    """
    deadline = settings.LINKCHECK_DEADLINE if deadline is None else deadline
    max_redirects = settings.LINKCHECK_MAX_REDIRECTS if max_redirects is None else max_redirects
    hops: list[dict] = []
    visited: set[tuple] = set()
    spent = 0.0
    current = url
    timeouts = timeouts or (settings.LINKCHECK_CONNECT_TIMEOUT, settings.LINKCHECK_READ_TIMEOUT)
    request = {
        "method": method,
        "headers": headers,
        "timeouts": timeouts,
        "max_bytes": max_bytes,
        "stop_at": stop_at,
    }
    for _ in range(max_redirects + 1):
        try:
            if (refusal := url_refusal(current)) is not None:
                raise refusal
            key = (current.split("#", 1)[0], _cookie_state(session))
            if key in visited:
                raise FetchError(f"redirect loop: back to {current}", outcome=REDIRECT_LOOP, url=current)
            visited.add(key)
            host = bare_host(urlsplit(current).hostname or "")
            with slot(host) if slot is not None else nullcontext():
                started = clock()
                try:
                    fetched = _request(session, current, budget=deadline - spent, clock=clock, **request)
                finally:
                    spent += clock() - started
        except FetchError as error:
            error.hops, error.elapsed = hops, spent
            raise
        if isinstance(fetched, tuple) and follow is not None and not follow(current, fetched[1]):
            fetched = fetched[2]
        if isinstance(fetched, Fetched):
            fetched.url, fetched.hops, fetched.elapsed = url, hops, spent
            return fetched
        status, target, _response = fetched
        hops.append({"status": status, "url": target})
        current = target
    error = FetchError(f"more than {max_redirects} redirects", outcome=REDIRECT_LOOP, url=current)
    error.hops, error.elapsed = hops, spent
    raise error


def _request(
    session, url, *, method, headers, timeouts, budget, max_bytes, stop_at, clock
) -> Fetched | tuple[int, str, Fetched]:
    """One request: the final response as Fetched, or (status, target, response) for a redirect."""
    if budget <= 0:
        raise FetchError(OUT_OF_TIME, outcome=TIMEOUT, retryable=True, url=url)
    started = clock()
    with watched(budget) as watch:
        try:
            response = session.request(
                method,
                url,
                headers=headers,
                allow_redirects=False,
                stream=True,
                timeout=(min(timeouts[0], budget), min(timeouts[1], budget)),
            )
        except Exception as error:  # every failure becomes an outcome
            outcome, retryable, message = classify_error(error, expired=watch.expired)
            raise FetchError(message, outcome=outcome, retryable=retryable, url=url) from error
        with response:
            if watch.expired:
                # Cut off while the headers arrived: what was parsed is not an answer.
                raise FetchError(OUT_OF_TIME, outcome=TIMEOUT, retryable=True, url=url)
            answer = Fetched(
                method=method,
                url=url,
                final_url=url,
                status=response.status_code,
                headers={k.lower(): v for k, v in response.headers.items()},
            )
            target = redirect_target(response, url)
            if target is not None:
                return response.status_code, target, answer
            answer.body, answer.truncated, answer.body_error = _read_body(
                response,
                max_bytes=max_bytes,
                stop_at=stop_at,
                out_of_time=lambda: watch.expired or clock() - started >= budget,
            )
            if watch.expired and not answer.body_error:
                answer.body_error = "the deadline passed while reading the body"
            return answer
