"""One link check: HEAD then GET, retried within one deadline (LINKCHECK_DEADLINE) for all attempts."""

import time
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from resources.services import http as fetching
from resources.services.health.classification import (
    SUCCESSES,
    CheckResult,
    Outcome,
    head_refused,
    host_excluded,
    result_from_error,
    result_from_response,
    url_host,
)
from resources.services.pagehead import HEAD_END_MARKERS


def _attempt(url: str, *, session, slot, clock, read_head: bool, budget: float) -> CheckResult:
    """One try: HEAD, then GET when HEAD is refused or fails, both within ``budget`` seconds on
    the network; elapsed_ms is that time (waiting for a host slot not counted)."""
    spent = 0.0
    common = {"session": session, "slot": slot, "clock": clock}
    if not read_head:
        try:
            head = fetching.fetch(url, method="HEAD", deadline=budget, **common)
        except fetching.FetchError as error:
            spent = error.elapsed
            if error.outcome != fetching.CONNECTION_ERROR:
                # A timeout, unknown host, TLS failure, loop or refusal: GET would fare no better.
                result = result_from_error(url, error, "HEAD")
                result.elapsed_ms = round(spent * 1000)
                return result
        else:
            spent = head.elapsed
            if not head_refused(head.status):
                result = result_from_response(url, head)
                result.elapsed_ms = round(spent * 1000)
                return result
    try:
        got = fetching.fetch(
            url,
            method="GET",
            deadline=max(budget - spent, 0.0),
            max_bytes=settings.PAGE_HEAD_MAX_BYTES if read_head else settings.LINKCHECK_MAX_BYTES,
            stop_at=HEAD_END_MARKERS if read_head else (),
            **common,
        )
    except fetching.FetchError as error:
        result = result_from_error(url, error, "GET", read_head=read_head)
        spent += error.elapsed
    else:
        result = result_from_response(url, got, read_head=read_head)
        spent += got.elapsed
    result.elapsed_ms = round(spent * 1000)
    return result


@dataclass
class CheckProgress:
    """What one check carries from attempt to attempt: how many were made, the network time
    they spent (LINKCHECK_DEADLINE bounds it over all of them) and the last result."""

    attempts: int = 0
    spent: float = 0.0
    result: CheckResult | None = None
    # Seconds a pool kept it waiting for its host's slot (held by another worker), in all.
    waited_for_slot: float = 0.0


def link_check_attempt(
    *,
    url: str,
    progress: CheckProgress,
    session,
    clock=time.monotonic,
    slot=None,
    defer=None,
    read_head: bool = False,
) -> float | None:
    """Make the check's next attempt; return None when ``progress.result`` is final, else the
    seconds after which to try again (the caller sleeps, or puts the check back with that ETA)."""
    session.cookies.clear()  # every attempt starts as a first visit
    budget = settings.LINKCHECK_DEADLINE - progress.spent
    result = _attempt(url, session=session, slot=slot, clock=clock, read_head=read_head, budget=budget)
    progress.attempts += 1
    progress.spent += (result.elapsed_ms or 0) / 1000
    progress.result = result
    result.attempts = progress.attempts
    if not result.retryable:
        return None
    wait = result.retry_after  # a 429's or a 503's Retry-After
    host = url_host(url)
    if wait is not None and wait > settings.LINKCHECK_RETRY_AFTER_MAX:
        result.error += f" (over {settings.LINKCHECK_RETRY_AFTER_MAX:.0f} s: left for the next run)"
        return None
    left = settings.LINKCHECK_DEADLINE - progress.spent
    if progress.attempts > settings.LINKCHECK_RETRIES or left < min(1.0, settings.LINKCHECK_DEADLINE / 10):
        return None  # out of attempts, or the one deadline of the whole check (all but) spent
    if wait is not None and defer is not None:
        defer(host, wait)  # other workers keep off the host too
    return wait if wait is not None else fetching.backoff_seconds(progress.attempts)


def link_check_finish(*, url: str, progress: CheckProgress, now=timezone.now, defer=None) -> CheckResult:
    """The check's final result, stamped; a Retry-After still pending is told to other workers."""
    result = progress.result
    if result.retry_after is not None and result.outcome not in SUCCESSES and defer is not None:
        defer(url_host(url), result.retry_after)
    result.checked_at = now()
    if result.attempts > 1 and result.outcome not in SUCCESSES:
        result.error += f" (after {result.attempts} attempts)"
    return result


def excluded_result(url: str, host: str, *, now, read_head: bool) -> CheckResult:
    return CheckResult(
        url=url,
        outcome=Outcome.EXCLUDED,
        checked_at=now(),
        error=f"{host} is excluded from link checks (LINKCHECK_EXCLUDED_HOSTS)",
        page_state="n/a" if read_head else "",
    )


def link_check(
    *,
    url: str,
    session=None,
    clock=time.monotonic,
    sleep=time.sleep,
    now=timezone.now,
    slot=None,
    defer=None,
    read_head: bool = False,
) -> CheckResult:
    """Check one link and return its outcome; never raises for what the network does.

    ``slot(host)`` wraps each request (politeness), ``defer(host, seconds)`` tells other
    workers to keep off a host that answered 429, ``sleep`` waits between retries.
    ``read_head`` makes the check a GET that also reads the page's head metadata.
    LINKCHECK_DEADLINE bounds the network time of all attempts together.
    """
    host = url_host(url)
    if host_excluded(host):
        return excluded_result(url, host, now=now, read_head=read_head)
    own_session = session is None
    session = session or fetching.session_new()
    progress = CheckProgress()
    step = {"session": session, "clock": clock, "slot": slot, "defer": defer, "read_head": read_head}
    try:
        while (wait := link_check_attempt(url=url, progress=progress, **step)) is not None:
            sleep(wait)
    finally:
        if own_session:
            session.close()
    return link_check_finish(url=url, progress=progress, now=now, defer=defer)
