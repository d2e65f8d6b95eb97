"""Which links are due, claimed for one dispatch, dealt into host-spread batches and queued."""

import secrets
from collections import OrderedDict, deque
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from resources.models import Resource
from resources.services.health.classification import Health, url_host

CLAIM_LEASE = timedelta(hours=6)
DISPATCH_LIMIT = 20_000
# "Check now" pressed again within this gap queues nothing: the answer is on the page already.
CHECK_NOW_GAP = timedelta(minutes=1)


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
        grouped.setdefault(url_host(url), []).append(pk)
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
