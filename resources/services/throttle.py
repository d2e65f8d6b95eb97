"""Politeness per host, shared by every worker process through the database.

``host_slot("arxiv.org", spacing=3, concurrency=1)`` waits until fewer than
``concurrency`` requests to that host are in flight anywhere and at least
``spacing`` seconds have passed since the last one started, then holds a slot
for the duration of the ``with`` block.

A slot is taken with one conditional UPDATE (in flight below the limit and the next
start due), so the database decides atomically on PostgreSQL (the row lock, then the
condition re-checked) and on SQLite (one writer at a time) alike, in one round trip;
it is given back with another. Only when the UPDATE takes nothing is the row read, to
know how long to wait. A worker killed while holding a slot leaves a count that is
forgotten once the host's row has not changed for HOST_SLOT_LEASE seconds (a setting).
"""

import time
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from resources.models import HostThrottle

POLL_MAX = 0.5
BUSY_POLL = 0.05


class SlotTimeout(Exception):
    """No slot for the host became free in time; ``wait`` is when one may be (seconds from now)."""

    def __init__(self, message: str, *, wait: float = 0.0):
        super().__init__(message)
        self.wait = wait


def _ensure_row(host: str, now) -> None:
    if not HostThrottle.objects.filter(host=host).exists():
        try:
            with transaction.atomic():
                HostThrottle.objects.create(host=host, next_allowed_at=now)
        except IntegrityError:
            pass  # another worker created it first


def _take(host: str, spacing: float, concurrency: int, now) -> bool:
    stale = now - timedelta(seconds=settings.HOST_SLOT_LEASE)
    return bool(
        HostThrottle.objects.filter(
            Q(host=host), Q(next_allowed_at__lte=now), Q(in_flight__lt=concurrency) | Q(updated_at__lt=stale)
        ).update(
            in_flight=Case(When(updated_at__lt=stale, then=Value(1)), default=F("in_flight") + 1),
            next_allowed_at=now + timedelta(seconds=spacing),
            updated_at=now,
        )
    )


def _try_acquire(host: str, spacing: float, concurrency: int) -> float:
    """Take a slot if one is free now; return 0, or how long to wait before trying again."""
    now = timezone.now()
    if _take(host, spacing, concurrency, now):
        return 0.0
    row = HostThrottle.objects.filter(host=host).values("in_flight", "next_allowed_at", "updated_at").first()
    if row is None:  # the host's first request
        _ensure_row(host, now)
        return 0.0 if _take(host, spacing, concurrency, now) else BUSY_POLL
    stale = now - timedelta(seconds=settings.HOST_SLOT_LEASE)
    if row["in_flight"] >= concurrency and row["updated_at"] >= stale:
        return BUSY_POLL
    return max((row["next_allowed_at"] - now).total_seconds(), 0.001)


def _release(host: str) -> None:
    HostThrottle.objects.filter(host=host, in_flight__gt=0).update(
        in_flight=F("in_flight") - 1, updated_at=timezone.now()
    )


def host_defer(host: str, seconds: float) -> None:
    """Push the host's next allowed start back (a 429's Retry-After, say)."""
    host = host.lower()
    now = timezone.now()
    later = now + timedelta(seconds=seconds)
    _ensure_row(host, now)
    HostThrottle.objects.filter(host=host, next_allowed_at__lt=later).update(
        next_allowed_at=later, updated_at=now
    )


@contextmanager
def host_slot(host: str, *, spacing: float, concurrency: int, timeout: float | None = None, sleep=time.sleep):
    """Hold one of the host's request slots, waiting politely for it (see the module docstring)."""
    host = host.lower()
    timeout = settings.HOST_SLOT_WAIT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    while True:
        wait = _try_acquire(host, spacing, concurrency)
        if wait == 0.0:
            break
        if time.monotonic() + min(wait, POLL_MAX) > deadline:
            raise SlotTimeout(f"no free request slot for {host} within {timeout:.0f} s", wait=wait)
        sleep(min(wait, POLL_MAX))
    try:
        yield
    finally:
        _release(host)
