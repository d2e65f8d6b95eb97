"""Link health: check a link, record the outcome and the resource's summary, run checks in bulk.

A check (``link_check``) is HEAD first, then GET when the server refuses HEAD or the HEAD
fails (never after a timeout); redirects are followed by hand (``fetch``), timeouts, 5xx,
429 and connection resets are retried within the run (1 s, then 2 s, or the Retry-After
up to LINKCHECK_RETRY_AFTER_MAX). ``health_record`` saves a LinkCheck and the summary:
a link is broken only after LINKCHECK_BROKEN_AFTER_FAILURES consecutive failures whose
first and last are LINKCHECK_BROKEN_AFTER_DAYS apart; blocked and rate-limited answers never
count. ``linkchecks_run`` checks many links concurrently, politely per host, each written
in its own transaction. For links without an arXiv id or DOI, the first check is a GET
that also reads the page's head for a title and description.
"""

import logging
import os
import secrets
import threading
import time
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from resources.models import LinkCheck, Mention, Resource
from resources.services import http as fetching
from resources.services.http import retry_after_seconds
from resources.services.pagehead import HEAD_END_MARKERS, PageHead, is_html, page_head_parse
from resources.services.throttle import SlotTimeout, host_defer, host_slot

log = logging.getLogger(__name__)

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
# dispatch picks it up after this).
CLAIM_LEASE = timedelta(hours=6)
DISPATCH_LIMIT = 20_000
# "Check now" pressed again within this gap queues nothing: the answer is on the page already.
CHECK_NOW_GAP = timedelta(minutes=1)


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


def _host(url: str) -> str:
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


def host_slot_polite(host: str):
    """host_slot with the host's politeness settings (the ``slot`` linkchecks_run uses)."""
    spacing, concurrency = host_politeness(host)
    return host_slot(host, spacing=spacing, concurrency=concurrency)


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


def _from_response(url: str, fetched: fetching.Fetched, *, read_head: bool = False) -> CheckResult:
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


def _from_error(url: str, error: fetching.FetchError, method: str, *, read_head: bool = False) -> CheckResult:
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


def _head_refused(status: int) -> bool:
    # 429 and 503 mean "later", not "not like this": GET would only add load.
    return status >= 400 and status not in (429, 503)


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
                result = _from_error(url, error, "HEAD")
                result.elapsed_ms = round(spent * 1000)
                return result
        else:
            spent = head.elapsed
            if not _head_refused(head.status):
                result = _from_response(url, head)
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
        result = _from_error(url, error, "GET", read_head=read_head)
        spent += error.elapsed
    else:
        result = _from_response(url, got, read_head=read_head)
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
    host = _host(url)
    if wait is not None and wait > settings.LINKCHECK_RETRY_AFTER_MAX:
        result.error += f" (over {settings.LINKCHECK_RETRY_AFTER_MAX:.0f} s: left for the next run)"
        return None
    if progress.attempts > settings.LINKCHECK_RETRIES or progress.spent >= settings.LINKCHECK_DEADLINE:
        return None  # out of attempts, or the one deadline of the whole check has passed
    if wait is not None and defer is not None:
        defer(host, wait)  # other workers keep off the host too
    return wait if wait is not None else float(2 ** (progress.attempts - 1))


def link_check_finish(*, url: str, progress: CheckProgress, now=timezone.now, defer=None) -> CheckResult:
    """The check's final result, stamped; a Retry-After still pending is told to other workers."""
    result = progress.result
    if result.retry_after is not None and result.outcome not in SUCCESSES and defer is not None:
        defer(_host(url), result.retry_after)
    result.checked_at = now()
    if result.attempts > 1 and result.outcome not in SUCCESSES:
        result.error += f" (after {result.attempts} attempts)"
    return result


def _excluded(url: str, host: str, *, now, read_head: bool) -> CheckResult:
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
    host = _host(url)
    if host_excluded(host):
        return _excluded(url, host, now=now, read_head=read_head)
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


# --- Recording ------------------------------------------------------------------------------


def health_after(
    *, health: str, failures: int, failing_since: datetime | None, outcome: str, now: datetime
) -> tuple[str, int, datetime | None]:
    """The summary after a check: (health, consecutive failures, failing since)."""
    if outcome in SUCCESSES:
        return Health.HEALTHY, 0, None
    if outcome in FAILURES:
        failures, failing_since = failures + 1, failing_since or now
        span = timedelta(days=settings.LINKCHECK_BROKEN_AFTER_DAYS)
        if failures >= settings.LINKCHECK_BROKEN_AFTER_FAILURES and now - failing_since >= span:
            return Health.BROKEN, failures, failing_since
        if failures == 1 and outcome in TRANSIENT:
            return Health.WARNING, failures, failing_since
        return Health.FAILING, failures, failing_since
    if outcome == Outcome.EXCLUDED:
        return Health.UNKNOWN, 0, None
    # Blocked, rate limited, refused: no news about the link itself; its failures stand.
    if failures:
        return (
            (health if health in (Health.FAILING, Health.BROKEN) else Health.FAILING),
            failures,
            failing_since,
        )
    return Health.WARNING, 0, None


def next_check_after(
    *, health: str, outcome: str, now: datetime, retry_after: float | None = None
) -> datetime:
    if health in (Health.HEALTHY, Health.UNKNOWN):
        return now + timedelta(days=settings.LINKCHECK_RECHECK_HEALTHY_DAYS)
    later = now + timedelta(hours=settings.LINKCHECK_RECHECK_FAILING_HOURS)
    if retry_after:
        later = max(later, now + timedelta(seconds=retry_after))
    return later


def needs_page_head(resource: Resource) -> bool:
    """Whether a check should read the page's head: links without arXiv id or DOI, not yet fetched."""
    if resource.arxiv_id or resource.doi:
        return False
    state = resource.metadata_state
    return state == Resource.MetadataState.PENDING or (
        state == Resource.MetadataState.FAILED and resource.metadata_attempts < settings.METADATA_RETRIES
    )


def health_record(
    *, resource: Resource, result: CheckResult, now: datetime | None = None, since: datetime | None = None
) -> LinkCheck | None:
    """Save a check and the resource's summary (and page-head metadata) in one transaction.

    With ``since`` (when the check was asked for), nothing is saved if another run recorded
    a check after it: a task delivered twice (a killed worker's, redelivered while the first
    copy still ran) leaves one row, decided under the resource's row lock.
    """
    now = now or result.checked_at or timezone.now()
    with transaction.atomic():
        fresh = Resource.objects.select_for_update().filter(pk=resource.pk).first()
        if fresh is None:
            return None  # deleted while it was being checked
        if since is not None and fresh.last_checked_at is not None and fresh.last_checked_at > since:
            return None
        check = LinkCheck.objects.create(
            resource=fresh,
            checked_at=now,
            outcome=result.outcome,
            status_code=result.status_code,
            final_url=result.final_url[:2000],
            redirects=result.redirects,
            permanent_redirect=result.permanent_redirect,
            method=result.method,
            elapsed_ms=result.elapsed_ms,
            error=result.error,
        )
        fresh.health, fresh.consecutive_failures, fresh.failing_since = health_after(
            health=fresh.health,
            failures=fresh.consecutive_failures,
            failing_since=fresh.failing_since,
            outcome=result.outcome,
            now=now,
        )
        fresh.consecutive_failures = min(fresh.consecutive_failures, 32767)
        fresh.last_checked_at = now
        fresh.next_check_at = next_check_after(
            health=fresh.health, outcome=result.outcome, now=now, retry_after=result.retry_after
        )
        fields = ["health", "consecutive_failures", "failing_since", "last_checked_at", "next_check_at"]
        if result.outcome in SUCCESSES:
            fresh.permanent_redirect_url = result.permanent_url[:2000] if result.permanent_redirect else ""
            fields.append("permanent_redirect_url")
        title_changed = _apply_page_head(fresh, result, now, fields)
        fresh.save(update_fields=fields)
        if title_changed:
            from resources.services.library import resource_index

            resource_index(resource=fresh)
    for name in fields:
        setattr(resource, name, getattr(fresh, name))
    return check


def _apply_page_head(resource: Resource, result: CheckResult, now: datetime, fields: list[str]) -> bool:
    """Store page-head metadata for a link without identifiers; True when the title changed."""
    if not result.page_state or resource.arxiv_id or resource.doi:
        return False
    State = Resource.MetadataState
    resource.metadata_attempts = min(resource.metadata_attempts + 1, 32767)
    resource.metadata_fetched_at = now
    fields += ["metadata_attempts", "metadata_fetched_at", "metadata_state", "metadata_error"]
    title_changed = False
    if result.page_state == "done":
        page = result.page or PageHead()
        resource.metadata_state, resource.metadata_error = State.DONE, ""
        # title_locked means a member typed it; otherwise it is empty or was fetched.
        if page.title and not resource.title_locked and page.title != resource.title:
            resource.title, title_changed = page.title, True
            fields += ["title", "updated_at"]
        if page.description and page.description != resource.description:
            resource.description = page.description
            fields.append("description")
    elif result.page_state == "n/a":
        resource.metadata_state, resource.metadata_error = State.NOT_APPLICABLE, ""
    else:
        resource.metadata_state = State.FAILED
        resource.metadata_error = f"{Outcome(result.outcome).label}: {result.error}".strip(": ")[:1000]
    return title_changed


# --- Due links, claims, chunks --------------------------------------------------------------


def _due_q(now: datetime) -> Q:
    healthy_cut = now - timedelta(days=settings.LINKCHECK_RECHECK_HEALTHY_DAYS)
    failing_cut = now - timedelta(hours=settings.LINKCHECK_RECHECK_FAILING_HOURS)
    by_health = (
        Q(last_checked_at__isnull=True)
        | Q(health__in=[Health.HEALTHY, Health.UNKNOWN], last_checked_at__lte=healthy_cut)
        | (~Q(health__in=[Health.HEALTHY, Health.UNKNOWN]) & Q(last_checked_at__lte=failing_cut))
    )
    # next_check_at holds claims and deferrals (a 429's Retry-After): not before it.
    not_held = Q(next_check_at__isnull=True) | Q(next_check_at__lte=now)
    return by_health & not_held


def _group_by_host(rows) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = OrderedDict()
    for pk, url in rows:
        grouped.setdefault(_host(url), []).append(pk)
    return grouped


def linkchecks_due(*, now: datetime, limit: int = DISPATCH_LIMIT) -> dict[str, list[int]]:
    """Ids of links due a check, grouped by host: new ones, healthy after a week, others after a day."""
    rows = (
        Resource.objects.filter(_due_q(now))
        .order_by(F("last_checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", "url")[:limit]
    )
    return _group_by_host(rows)


def linkchecks_claim(*, ids, now: datetime, only_due: bool = True) -> list[int]:
    """Claim links for one dispatch with a conditional UPDATE; return the ids this caller won.

    Each claim writes its own token (a lease expiry with random microseconds) into
    next_check_at, so two dispatchers racing for the same rows each learn which they got.
    """
    token = now + CLAIM_LEASE + timedelta(microseconds=secrets.randbelow(999_999) + 1)
    ids = list(ids)
    won: list[int] = []
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows = Resource.objects.filter(pk__in=part)
        if only_due:
            rows = rows.filter(Q(next_check_at__isnull=True) | Q(next_check_at__lte=now))
        rows.update(next_check_at=token)
        won += Resource.objects.filter(pk__in=part, next_check_at=token).values_list("pk", flat=True)
    return won


def linkchecks_chunk(grouped: dict[str, list[int]], *, size: int | None = None) -> list[list[int]]:
    """Deal ids host by host into chunks of at most ``size``, so each chunk spreads over many hosts.

    A chunk of one host's links would run at that host's polite pace (1 s apart); spread
    over hosts, a worker's threads all have something to do.
    """
    size = size or settings.LINKCHECK_BATCH_SIZE
    queues = [deque(ids) for _host_name, ids in sorted(grouped.items()) if ids]
    order: list[int] = []
    while queues:
        for queue in list(queues):
            order.append(queue.popleft())
            if not queue:
                queues.remove(queue)
    return [order[i : i + size] for i in range(0, len(order), size)]


def linkchecks_dispatch(
    *, now: datetime | None = None, everything: bool = False, limit: int = DISPATCH_LIMIT
) -> tuple[list[list[int]], datetime]:
    """Claim the due links (or all) and return them in chunks, with the claim time."""
    now = now or timezone.now()
    if everything:
        grouped = _group_by_host(Resource.objects.order_by("pk").values_list("pk", "url")[:limit])
    else:
        grouped = linkchecks_due(now=now, limit=limit)
    ids = [pk for pks in grouped.values() for pk in pks]
    won = set(linkchecks_claim(ids=ids, now=now, only_due=not everything))
    grouped = {host: [pk for pk in pks if pk in won] for host, pks in grouped.items()}
    return linkchecks_chunk(grouped), now


def linkcheck_now(*, resource: Resource, now: datetime | None = None) -> bool:
    """Queue a check a member asked for; False (nothing queued) when one ran a moment ago."""
    now = now or timezone.now()
    if resource.last_checked_at and now - resource.last_checked_at < CHECK_NOW_GAP:
        return False
    linkchecks_queue(resource_ids=[resource.pk])
    return True


def linkchecks_queue(*, resource_ids: list[int], since: datetime | None = None) -> None:
    """Queue a check of these links once the current transaction commits.

    The task carries ``since`` (now, unless the dispatch's claim time is given), so a copy
    delivered again after a worker died skips the links already checked.
    """
    from resources.tasks.health import linkchecks_run as task

    ids = [int(pk) for pk in resource_ids]
    kwargs = {"resource_ids": ids, "since": (since or timezone.now()).isoformat()}
    transaction.on_commit(lambda: task.delay(**kwargs))


# --- Running many checks --------------------------------------------------------------------


@dataclass
class RunSummary:
    checked: int = 0
    skipped: int = 0
    errors: int = 0
    outcomes: Counter = field(default_factory=Counter)
    broken: list = field(default_factory=list)  # [(pk, url, error)]
    seconds: float = 0.0

    def add(self, resource: Resource, check: LinkCheck | None) -> None:
        if check is None:
            self.skipped += 1
            return
        self.checked += 1
        self.outcomes[check.outcome] += 1
        if resource.health == Health.BROKEN:
            self.broken.append((resource.pk, resource.url, check.error or check.get_outcome_display()))


class _Run:
    """One linkchecks_run's share of a pool: its summary, and how many of its links are left."""

    def __init__(self, count: int, *, sleep, since: datetime | None = None):
        self.summary = RunSummary()
        self.since = since
        self.lock = threading.Lock()
        self.sleep = sleep
        self.remaining = count
        self.finished = threading.Event()
        if count == 0:
            self.finished.set()

    def one_done(self) -> None:
        with self.lock:
            self.remaining -= 1
            if self.remaining <= 0:
                self.finished.set()


class _HostScheduler:
    """Hands links to threads host by host: a host busy (or just asked) in this process waits,
    so threads go to other hosts instead of queueing on the shared per-host lock."""

    def __init__(self, clock=time.monotonic):
        self.queues: OrderedDict[str, deque] = OrderedDict()
        self.in_flight: Counter = Counter()
        self.not_before: dict[str, float] = {}
        self.condition = threading.Condition()
        self.clock = clock
        self.stopped = False

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify_all()

    def add(self, resources: list[Resource], run: _Run) -> None:
        with self.condition:
            now = self.clock()
            for host in [h for h, t in self.not_before.items() if t <= now and h not in self.in_flight]:
                del self.not_before[host]  # a long-lived pool forgets hosts it is done with
            for resource in resources:
                self.queues.setdefault(_host(resource.url), deque()).append((resource, run))
            self.condition.notify_all()

    def take(self, *, wait_for_more: bool = False, idle_after: float = 1.0):
        """The next (resource, run) whose host is free; None when there is nothing to do
        (at once, or after ``idle_after`` seconds of nothing when ``wait_for_more``)."""
        with self.condition:
            while not self.stopped:
                if not self.queues:
                    if not wait_for_more or not self.condition.wait(idle_after):
                        return None
                    continue
                now, soonest = self.clock(), None
                for host in list(self.queues):
                    spacing, concurrency = host_politeness(host)
                    if self.in_flight[host] >= concurrency:
                        continue
                    start = self.not_before.get(host, 0.0)
                    if start > now:
                        soonest = start if soonest is None else min(soonest, start)
                        continue
                    queue = self.queues.pop(host)
                    item = queue.popleft()
                    if queue:
                        self.queues[host] = queue  # to the back: round robin over hosts
                    self.in_flight[host] += 1
                    self.not_before[host] = now + spacing
                    return item
                self.condition.wait(None if soonest is None else max(soonest - now, 0.001))
            return None

    def done(self, resource: Resource) -> None:
        with self.condition:
            host = _host(resource.url)
            self.in_flight[host] -= 1
            if not self.in_flight[host]:
                del self.in_flight[host]
            self.condition.notify_all()


def _check_and_record(resource: Resource, *, session, run: _Run) -> None:
    try:
        result = link_check(
            url=resource.url,
            session=session,
            sleep=run.sleep,
            slot=host_slot_polite,
            defer=host_defer,
            read_head=needs_page_head(resource),
        )
        check = health_record(resource=resource, result=result, since=run.since)
    except SlotTimeout as error:
        log.warning("link check of resource %s postponed: %s", resource.pk, error)
        Resource.objects.filter(pk=resource.pk).update(next_check_at=timezone.now() + timedelta(minutes=10))
        with run.lock:
            run.summary.skipped += 1
        return
    except Exception:
        log.exception("link check of resource %s failed", resource.pk)
        with run.lock:
            run.summary.errors += 1
        return
    with run.lock:
        run.summary.add(resource, check)


class _CheckPool:
    """Threads that check links, each with its own requests session and database connection.

    The process-wide pool (``_shared_pool``) lives as long as the worker process: batches
    queued one after another (or at once, with Celery's threads pool) share its threads, so
    the slow tail of one batch does not leave the others idle. An idle thread closes its
    database connection. A private pool (``threads=`` given) ends with its run.
    """

    def __init__(self, size: int, *, session_factory=None, persistent: bool = True):
        self.scheduler = _HostScheduler()
        self.session_factory = session_factory or fetching.session_new
        self.persistent = persistent
        self.pid = os.getpid()
        self.threads = [
            threading.Thread(target=self._work, name=f"linkcheck-{n}", daemon=True) for n in range(size)
        ]
        if persistent:
            self._start()

    def _start(self) -> None:
        for thread in self.threads:
            thread.start()

    def run(self, resources: list[Resource], *, sleep, since: datetime | None = None) -> RunSummary:
        run = _Run(len(resources), sleep=sleep, since=since)
        self.scheduler.add(resources, run)
        if not self.persistent:
            self._start()  # after the work is in: a private pool's threads end when none is left
        run.finished.wait()
        if not self.persistent:
            for thread in self.threads:
                thread.join()
        return run.summary

    def close(self) -> None:
        """Let the threads finish what they hold and end."""
        self.scheduler.stop()
        for thread in self.threads:
            if thread.is_alive():
                thread.join()

    def _work(self) -> None:
        with self.session_factory() as session:
            try:
                while True:
                    item = self.scheduler.take(wait_for_more=self.persistent)
                    if item is None:
                        connections.close_all()  # this thread's connection only
                        if not self.persistent or self.scheduler.stopped:
                            return
                        continue
                    resource, run = item
                    try:
                        _check_and_record(resource, session=session, run=run)
                    finally:
                        self.scheduler.done(resource)
                        run.one_done()
            finally:
                connections.close_all()


_shared_pool: _CheckPool | None = None
_shared_pool_lock = threading.Lock()


def _shared() -> _CheckPool:
    global _shared_pool
    with _shared_pool_lock:
        # A pool made before a fork has no threads in the child: make the child its own.
        if _shared_pool is None or _shared_pool.pid != os.getpid():
            _shared_pool = _CheckPool(settings.LINKCHECK_THREADS)
        return _shared_pool


def linkchecks_run(
    *,
    resource_ids,
    threads: int | None = None,
    since: datetime | None = None,
    session_factory=None,
    sleep=time.sleep,
) -> RunSummary:
    """Check these links concurrently (threads with a session each), politely per host.

    Without ``threads`` the checks go to the worker process's shared pool of
    LINKCHECK_THREADS threads; with it, to a pool of that many made for this run (one:
    in this thread, inside the caller's transaction). Each check is written in its own
    transaction, so a run killed half-way leaves complete rows only; run again (a
    redelivered task), it skips the links checked after ``since``.
    """
    started = time.monotonic()
    resources = list(Resource.objects.filter(pk__in=list(resource_ids)).order_by("pk"))
    skipped = 0
    if since is not None:
        fresh = [r for r in resources if r.last_checked_at is None or r.last_checked_at <= since]
        skipped, resources = len(resources) - len(fresh), fresh
    if not resources:
        summary = RunSummary(skipped=skipped)
    elif threads == 1 or len(resources) == 1:
        run = _Run(len(resources), sleep=sleep, since=since)
        with (session_factory or fetching.session_new)() as session:
            for resource in resources:
                _check_and_record(resource, session=session, run=run)
        summary = run.summary
    elif threads is None and session_factory is None:
        summary = _shared().run(resources, sleep=sleep, since=since)
    else:
        pool = _CheckPool(
            min(threads or settings.LINKCHECK_THREADS, len(resources)),
            session_factory=session_factory,
            persistent=False,
        )
        summary = pool.run(resources, sleep=sleep, since=since)
    summary.skipped += skipped
    summary.seconds = time.monotonic() - started
    return summary


# --- The organisers' report -----------------------------------------------------------------

REPORT_SECTIONS = {
    "broken": ("Broken", Q(health=Health.BROKEN)),
    "failing": ("Failing", Q(health=Health.FAILING) | Q(health=Health.WARNING, consecutive_failures__gt=0)),
    "blocked": (
        "Blocked",
        Q(
            last_outcome__in=[
                Outcome.BLOCKED,
                Outcome.RATE_LIMITED,
                Outcome.SSRF_BLOCKED,
                Outcome.UNSUPPORTED,
            ]
        ),
    ),
    "redirected": ("Redirected", Q(last_outcome=Outcome.REDIRECTED) | ~Q(permanent_redirect_url="")),
}


def archive_url(url: str) -> str:
    """The Wayback Machine's list of captures of a URL."""
    return "https://web.archive.org/web/*/" + url


def link_health_report(*, user, section: str = ""):
    """(resources with problems in a section or all, counts per section), for the organisers' page.

    Each resource carries ``recent_checks`` (its last 5) and its mentions in series the
    user can see; queries are fixed in number whatever the page size.
    """
    from meetings.selectors import series_visible_to
    from resources.selectors import resources_visible_to

    last = LinkCheck.objects.filter(resource=OuterRef("pk")).order_by("-checked_at", "-pk")
    # Only links this organiser may see: another series' private reading stays private.
    qs = resources_visible_to(user).annotate(last_outcome=Subquery(last.values("outcome")[:1]))
    any_problem = Q()
    for _label, condition in REPORT_SECTIONS.values():
        any_problem |= condition
    counts = qs.aggregate(
        **{key: Count("pk", filter=condition) for key, (_label, condition) in REPORT_SECTIONS.items()},
        all=Count("pk", filter=any_problem),
    )
    condition = REPORT_SECTIONS[section][1] if section in REPORT_SECTIONS else any_problem
    mentions = (
        Mention.objects.filter(meeting__series__in=series_visible_to(user))
        .select_related("meeting__series")
        .order_by("meeting__start", "pk")
    )
    rows = (
        qs.filter(condition)
        .prefetch_related(
            Prefetch(
                "checks",
                queryset=LinkCheck.objects.order_by("-checked_at", "-pk")[:5],
                to_attr="recent_checks",
            ),
            Prefetch("mentions", queryset=mentions, to_attr="visible_mentions"),
        )
        .order_by(F("failing_since").asc(nulls_last=True), "-last_checked_at", "pk")
    )
    return rows, counts


def broken_rule_text() -> str:
    """The broken-link rule in words, for the pages that show health."""
    failures, days = settings.LINKCHECK_BROKEN_AFTER_FAILURES, settings.LINKCHECK_BROKEN_AFTER_DAYS
    return (
        f"A link is called broken after {failures} failed checks in a row, the first and last at least "
        f"{days:g} days apart; blocked and rate-limited answers never count, and any success starts afresh."
    )
