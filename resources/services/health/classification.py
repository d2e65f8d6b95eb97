"""What a check's answer means: outcome sets, the per-host rules, and a response or error as a CheckResult."""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings

from resources.models import LinkCheck, Resource
from resources.services import http as fetching
from resources.services.http import retry_after_seconds
from resources.services.pagehead import PageHead, is_html, page_head_parse
from resources.services.throttle import host_slot

Outcome = LinkCheck.Outcome
Health = Resource.Health

SUCCESSES = frozenset({Outcome.OK, Outcome.REDIRECTED})
# The server answered but will not serve us (now): never makes a link broken.
SOFT = frozenset({Outcome.BLOCKED, Outcome.RATE_LIMITED})
# Count towards "broken".
FAILURES = frozenset(
    {
        Outcome.NOT_FOUND,
        Outcome.SERVER_ERROR,
        Outcome.TIMEOUT,
        Outcome.DNS_ERROR,
        Outcome.CONNECTION_ERROR,
        Outcome.TLS_ERROR,
        Outcome.REDIRECT_LOOP,
    }
)
# A single one of these is a warning (tonight's outage), not yet "failing".
TRANSIENT = frozenset({Outcome.SERVER_ERROR, Outcome.TIMEOUT, Outcome.CONNECTION_ERROR})
# Not checked at all: the link is refused before any request.
UNCHECKED = frozenset({Outcome.SSRF_BLOCKED, Outcome.UNSUPPORTED, Outcome.EXCLUDED})

BOT_WALL_MARKERS = (
    b"cf-browser-verification",
    b"cf-chl-",
    b"challenge-platform",
    b"<title>just a moment",
    b"attention required! | cloudflare",
    b"_incapsula_resource",
    b"px-captcha",
    b"ddos-guard",
    b"g-recaptcha",
    b"h-captcha",
    b"are you a robot",
)
# A claim on a due link, held while its check waits in the queue (redelivery or a new


@dataclass
class CheckResult:
    """One check's outcome; the fields of LinkCheck plus what the run needs to act on it."""

    url: str
    outcome: str
    checked_at: datetime | None = None
    status_code: int | None = None
    final_url: str = ""
    redirects: list = field(default_factory=list)
    permanent_redirect: bool = False
    # Where the leading run of permanent redirects leads: the URL to store instead.
    permanent_url: str = ""
    method: str = ""
    elapsed_ms: int | None = None
    error: str = ""
    retryable: bool = False
    retry_after: float | None = None
    attempts: int = 1
    content_type: str = ""
    # Page-head metadata, when the check was asked to read it: "done", "failed" or "n/a".
    page_state: str = ""
    page: PageHead | None = None


def url_host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return ""


def _on(host: str, domains) -> bool:
    return any(host == d.lower() or host.endswith("." + d.lower().lstrip(".")) for d in domains)


def host_excluded(host: str) -> bool:
    return bool(host) and _on(host, settings.LINKCHECK_EXCLUDED_HOSTS)


def host_politeness(host: str) -> tuple[float, int]:
    """(spacing in seconds, concurrent requests) allowed for a host across all workers."""
    for domain, spacing in settings.LINKCHECK_SLOW_HOSTS.items():
        if _on(host, [domain]):
            # Slow hosts (arXiv) ask for one connection at a time, too.
            return max(spacing, settings.LINKCHECK_HOST_SPACING), 1
    return settings.LINKCHECK_HOST_SPACING, settings.LINKCHECK_HOST_CONCURRENCY


def host_slot_polite(host: str, *, timeout: float | None = None):
    """host_slot with the host's politeness settings (``timeout=0``: the ``slot`` linkchecks_run uses)."""
    spacing, concurrency = host_politeness(host)
    return host_slot(host, spacing=spacing, concurrency=concurrency, timeout=timeout)


def _leading_permanent(url: str, hops: list[dict]) -> str:
    target = ""
    for hop in hops:
        if hop["status"] not in fetching.PERMANENT_REDIRECT_STATUSES:
            break
        target = hop["url"]
    return target if target and target != url else ""


def _bot_wall(fetched: fetching.Fetched) -> bool:
    if fetched.headers.get("cf-mitigated", "").lower() == "challenge":
        return True
    body = fetched.body[:65536].lower()
    return any(marker in body for marker in BOT_WALL_MARKERS)


def result_from_response(url: str, fetched: fetching.Fetched, *, read_head: bool = False) -> CheckResult:
    status = fetched.status
    result = CheckResult(
        url=url,
        outcome=Outcome.OK,
        status_code=status,
        final_url=fetched.final_url,
        redirects=fetched.hops,
        method=fetched.method,
        content_type=fetched.headers.get("content-type", ""),
    )
    permanent = _leading_permanent(url, fetched.hops)
    result.permanent_redirect = bool(permanent)
    result.permanent_url = permanent
    if 200 <= status < 400:
        result.outcome = Outcome.REDIRECTED if fetched.final_url != url else Outcome.OK
        if read_head:
            if fetched.method == "GET" and is_html(result.content_type):
                result.page = page_head_parse(fetched.body, result.content_type)
                result.page_state = "done"
            else:
                result.page_state = "n/a"
        return result
    reason = f"HTTP {status}"
    if status in (404, 410):
        result.outcome = Outcome.NOT_FOUND
    elif _bot_wall(fetched):
        result.outcome, reason = Outcome.BLOCKED, f"HTTP {status}: a bot check (challenge page)"
    elif status == 429:
        result.outcome, result.retryable = Outcome.RATE_LIMITED, True
        result.retry_after = retry_after_seconds(fetched.headers.get("retry-after"))
        if result.retry_after is not None:
            reason += f", Retry-After {result.retry_after:.0f} s"
    elif 400 <= status < 500:
        # 401/403 and the other refusals of our request (405, 406, 451, ...).
        result.outcome = Outcome.BLOCKED
    elif status >= 500:
        result.outcome, result.retryable = Outcome.SERVER_ERROR, True
        if status == 503:
            result.retry_after = retry_after_seconds(fetched.headers.get("retry-after"))
    else:
        result.outcome = Outcome.CONNECTION_ERROR
        reason = f"unexpected HTTP status {status}"
    result.error = reason
    if read_head:
        result.page_state = "failed"
    return result


def result_from_error(
    url: str, error: fetching.FetchError, method: str, *, read_head: bool = False
) -> CheckResult:
    return CheckResult(
        url=url,
        outcome=error.outcome,
        final_url=error.url if error.hops else "",
        redirects=error.hops,
        method=method,
        error=error.message,
        retryable=error.retryable,
        page_state="failed" if read_head else "",
    )


def head_refused(status: int) -> bool:
    # 429 and 503 mean "later", not "not like this": GET would only add load.
    return status >= 400 and status not in (429, 503)
