"""A link's health after a check: the rule for "broken", when to check again, and the saved rows."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from resources.models import LinkCheck, Resource
from resources.services.health.classification import (
    FAILURES,
    SUCCESSES,
    TRANSIENT,
    CheckResult,
    Health,
    Outcome,
)
from resources.services.pagehead import PageHead


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
