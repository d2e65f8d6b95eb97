"""The HTTP side of metadata: one polite client for the arXiv API, Crossref and doi.org.

Every request holds a slot from ``host_slot`` (shared by all workers through the database),
is retried on 429, 5xx, timeouts and connection errors with backoff (a 429's Retry-After is
honoured and pushed to the other workers with ``host_defer``), and follows redirects by hand
so a redirect can never lead to a non-http(s) URL. ``sleep`` is injectable so tests are fast.
"""

import email.utils
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from django.db import connections

from resources.services.throttle import SlotTimeout, host_defer, host_slot

MAX_BYTES = 16 * 1024 * 1024  # 100 arXiv entries are well under 1 MB
MAX_REDIRECTS = 5
BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
BACKOFF_MAX = 30.0
# A longer Retry-After is not slept through in a worker: the task retries later instead.
RETRY_AFTER_MAX = 60.0
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A request that failed for good (a 4xx other than 404/429, a redirect off http(s), a huge body)."""


class TransientError(Exception):
    """A request that kept failing in a way that may pass (429, 5xx, timeouts); try again later.

    ``retry_after`` is how long the server asked us to wait, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]  # case-insensitive, as requests gives them
    body: bytes
    url: str


def host_key(url: str) -> str:
    """The throttle key of a base URL: its host, with the port when it is not the default."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class ApiClient:
    """Polite GETs to the metadata APIs, counting requests per API; safe to share between threads."""

    def __init__(self, *, sleep=time.sleep, retries: int | None = None):
        self.sleep = sleep
        self.retries = settings.METADATA_RETRIES if retries is None else retries
        self.timeout = (settings.HTTP_CONNECT_TIMEOUT, settings.HTTP_READ_TIMEOUT)
        self.requests: Counter = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []

    @property
    def session(self) -> requests.Session:
        # One session per thread: requests does not promise a Session is thread-safe.
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False  # no proxies or .netrc from the environment
            session.headers["User-Agent"] = settings.USER_AGENT
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

    def _count(self, api: str) -> None:
        with self._lock:
            self.requests[api] += 1

    def _read(self, response: requests.Response) -> bytes:
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > MAX_BYTES:
                raise FetchError(f"the response from {urlsplit(response.url).hostname} is too large")
            chunks.append(chunk)
        return b"".join(chunks)

    def _get_once(self, api, url, *, params, headers, redirect_hosts) -> Reply:
        """One GET, following redirects by hand: http(s) only, and only to ``redirect_hosts``."""
        start_host = urlsplit(url).hostname
        for _hop in range(MAX_REDIRECTS + 1):
            self._count(api)
            with self.session.get(
                url, params=params, headers=headers, timeout=self.timeout, allow_redirects=False, stream=True
            ) as response:
                location = response.headers.get("Location")
                if response.status_code not in REDIRECT_STATUSES or not location:
                    return Reply(response.status_code, response.headers, self._read(response), url)
                reply = Reply(response.status_code, response.headers, b"", url)
            target = urljoin(response.url, location)
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError(f"{api} redirected to a URL that is not http(s)")
            host = parts.hostname.lower()
            if host != start_host and not any(host == h or host.endswith("." + h) for h in redirect_hosts):
                # Somewhere else (a publisher's landing page): not an API answer; do not follow.
                return reply
            url, params = target, None
        raise FetchError(f"{api} redirected more than {MAX_REDIRECTS} times")

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
        key = host_key(url)
        problem, retry_after = "", None
        for attempt in range(self.retries + 1):
            if attempt:
                wait = (
                    retry_after
                    if retry_after is not None
                    else min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempt - 1))
                )
                self.sleep(wait)
            retry_after = None
            try:
                with host_slot(key, spacing=spacing, concurrency=concurrency, sleep=self.sleep):
                    try:
                        reply = self._get_once(
                            api, url, params=params, headers=headers, redirect_hosts=redirect_hosts
                        )
                    finally:
                        if spacing:
                            # Count the interval from the end of this request, not only its start,
                            # so the server never sees two requests closer than ``spacing``.
                            host_defer(key, spacing)
            except requests.Timeout:
                problem = f"{api} timed out"
                continue
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                problem = f"could not connect to {api} ({type(error).__name__})"
                continue
            except SlotTimeout as error:
                raise TransientError(f"{api}: {error}") from None
            except requests.RequestException as error:
                raise FetchError(f"{api} request failed: {type(error).__name__}") from None
            if reply.status == 429 or reply.status >= 500:
                problem = f"{api} answered HTTP {reply.status}"
                retry_after = retry_after_seconds(reply.headers.get("Retry-After"))
                if reply.status == 429:
                    # Every worker waits, not only this one.
                    host_defer(key, retry_after if retry_after is not None else BACKOFF_BASE)
                if retry_after is not None and retry_after > RETRY_AFTER_MAX:
                    raise TransientError(problem, retry_after=retry_after)
                continue
            return reply
        tries = self.retries + 1
        raise TransientError(
            f"{problem} ({tries} attempt{'s' if tries > 1 else ''})", retry_after=retry_after
        )


def close_thread_connections() -> None:
    """A pool thread's database connections are its own: close them when its work is done."""
    connections.close_all()
