"""The metadata side of the outbound client: polite GETs to the arXiv API, Crossref and doi.org.

Requests go through ``resources.services.http`` like every other outbound request: SSRF-safe
connections, redirects followed by hand and vetted on every hop (scheme, address, at most
MAX_REDIRECTS), a byte cap. A redirect away from the API's own host (or ``redirect_hosts``)
is not followed: it is a publisher's landing page, not an answer. Every request holds a
slot from ``host_slot`` (shared by all workers through the database) and is retried on 429,
5xx, timeouts and connection errors with backoff (a 429's Retry-After is honoured and pushed
to the other workers with ``host_defer``). One deadline, settings.HTTP_DEADLINE, covers all
the attempts of one ``get`` and the waits between them: a wait that would pass it ends the
``get`` with a TransientError, so the task retries later instead of holding the thread.
``sleep`` and ``clock`` are injectable so tests are fast.
"""

import threading
import time
from collections import Counter
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import connections
from requests.structures import CaseInsensitiveDict

from resources.services.http import (
    REDIRECT_LOOP,
    SSRF_BLOCKED,
    TIMEOUT,
    UNSUPPORTED,
    FetchError,
    SafeSession,
    TransientError,
    backoff_seconds,
    fetch,
    retry_after_seconds,
)
from resources.services.throttle import SlotTimeout, host_defer, host_slot

MAX_BYTES = 16 * 1024 * 1024  # 100 arXiv entries are well under 1 MB
MAX_REDIRECTS = 5
BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
BACKOFF_MAX = 30.0
# A longer Retry-After is not slept through in a worker: the task retries later instead.
RETRY_AFTER_MAX = 60.0
# Refusals of the URL or its redirects: asking again gives the same answer.
PERMANENT = frozenset({SSRF_BLOCKED, UNSUPPORTED, REDIRECT_LOOP})


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    url: str


def host_key(url: str) -> str:
    """The throttle key of a base URL: its host, with the port when it is not the default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _on_hosts(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


class ApiClient:
    """Polite GETs to the metadata APIs, counting requests per API; safe to share between threads."""

    def __init__(self, *, sleep=time.sleep, retries: int | None = None, clock=time.monotonic):
        self.sleep = sleep
        self.clock = clock
        self.retries = settings.METADATA_RETRIES if retries is None else retries
        self.timeouts = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT)
        self.requests: Counter = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[SafeSession] = []

    @property
    def session(self) -> SafeSession:
        # One session per thread: requests does not promise a Session is thread-safe.
        session = getattr(self._local, "session", None)
        if session is None:
            session = SafeSession(accept="*/*")
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        """Close every thread's session (their kept-alive connections)."""
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

    @contextmanager
    def _counted(self, api: str):
        """Wraps each request (every redirect hop is one): counts it for the summary."""
        with self._lock:
            self.requests[api] += 1
        yield

    def _get_once(self, api, url, *, headers, redirect_hosts, budget) -> Reply:
        """One GET and its redirects: vetted on every hop, followed only on the API's hosts."""
        start_host = (urlsplit(url).hostname or "").lower()

        def follow(_current: str, target: str) -> bool:
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return True  # for fetch to refuse, on the record
            host = parts.hostname.lower()
            # Somewhere else (a publisher's landing page): not an API answer; do not follow.
            return host == start_host or _on_hosts(host, redirect_hosts)

        try:
            fetched = fetch(
                url,
                session=self.session,
                method="GET",
                headers=headers,
                max_bytes=MAX_BYTES + 1,
                deadline=budget,
                max_redirects=MAX_REDIRECTS,
                follow=follow,
                timeouts=self.timeouts,
                slot=lambda _host: self._counted(api),
                clock=self.clock,
            )
        except FetchError as error:
            if error.outcome == UNSUPPORTED and error.hops:
                raise FetchError(
                    f"{api} redirected to a URL that is not http(s)", outcome=UNSUPPORTED
                ) from None
            if error.outcome in PERMANENT:
                raise FetchError(f"{api}: {error.message}", outcome=error.outcome, url=error.url) from None
            # Timeouts, resets, refused connections, unknown names: all may pass.
            problem = f"{api} timed out" if error.outcome == TIMEOUT else f"could not connect to {api}"
            raise FetchError(problem, outcome=error.outcome, retryable=True, url=error.url) from None
        if fetched.body_error:
            raise FetchError(f"could not read {api}'s answer", retryable=True, url=url)
        if len(fetched.body) > MAX_BYTES:
            raise FetchError(f"the response from {urlsplit(fetched.final_url).hostname} is too large")
        return Reply(fetched.status, CaseInsensitiveDict(fetched.headers), fetched.body, fetched.final_url)

    def _one_try(self, api, url, key, *, spacing, concurrency, deadline, **request) -> Reply:
        """One request in the host's slot, waited for within the deadline."""
        wait_at_most = min(settings.HOST_SLOT_WAIT, deadline.left())
        try:
            with host_slot(
                key, spacing=spacing, concurrency=concurrency, timeout=wait_at_most, sleep=self.sleep
            ):
                try:
                    return self._get_once(api, url, budget=deadline.left(), **request)
                finally:
                    if spacing:
                        # Count the interval from the end of this request, not only its start,
                        # so the server never sees two requests closer than ``spacing``.
                        host_defer(key, spacing)
        except SlotTimeout as error:
            raise TransientError(f"{api}: {error}", retry_after=error.wait) from None

    def get(
        self,
        api: str,
        url: str,
        *,
        params: dict | None = None,
        headers: dict | None = None,
        spacing: float = 0.0,
        concurrency: int = 1,
        redirect_hosts: tuple[str, ...] = (),
    ) -> Reply:
        """GET with a host slot and retries; return the final Reply or raise TransientError/FetchError."""
        if params:
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params, doseq=True)}"
        key = host_key(url)
        deadline = _Deadline(self.clock, settings.HTTP_DEADLINE)
        problem, retry_after = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                wait = (
                    retry_after
                    if retry_after is not None
                    else backoff_seconds(attempt, base=BACKOFF_BASE, cap=BACKOFF_MAX)
                )
                if wait + min(1.0, settings.HTTP_DEADLINE / 10) >= deadline.left():
                    raise TransientError(f"{problem} (retry due after the deadline)", retry_after=wait)
                deadline.sleep(self.sleep, wait)
            try:
                reply = self._one_try(
                    api, url, key, spacing=spacing, concurrency=concurrency, deadline=deadline,
                    headers=headers, redirect_hosts=redirect_hosts,
                )  # fmt: skip
            except FetchError as error:
                if not error.retryable:
                    raise
                problem, retry_after = error.message, None
                continue
            if reply.status != 429 and reply.status < 500:
                return reply
            problem = f"{api} answered HTTP {reply.status}"
            retry_after = retry_after_seconds(reply.headers.get("Retry-After"))
            if reply.status == 429:
                # Every worker waits, not only this one.
                host_defer(key, retry_after if retry_after is not None else BACKOFF_BASE)
            if retry_after is not None and retry_after > RETRY_AFTER_MAX:
                raise TransientError(problem, retry_after=retry_after)
        tries = self.retries + 1
        raise TransientError(
            f"{problem} ({tries} attempt{'s' if tries > 1 else ''})", retry_after=retry_after
        )


class _Deadline:
    """Seconds left of one ``get``; a wait counts in full even when the injected sleep is a stub."""

    def __init__(self, clock, seconds: float):
        self.clock = clock
        self.ends = clock() + seconds
        self.unslept = 0.0

    def left(self) -> float:
        return self.ends - self.clock() - self.unslept

    def sleep(self, sleep, seconds: float) -> None:
        started = self.clock()
        sleep(seconds)
        self.unslept += max(0.0, seconds - (self.clock() - started))


def close_thread_connections() -> None:
    """A pool thread's database connections are its own: close them when its work is done."""
    connections.close_all()
