"""Politeness per host, shared by every worker process through the database.

``host_slot("arxiv.org", spacing=3, concurrency=1)`` waits until fewer than
``concurrency`` requests to that host are in flight anywhere and at least
``spacing`` seconds have passed since the last one started, then holds a slot
for the duration of the ``with`` block. The row is claimed with SELECT ... FOR
UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions serialise writers the same way.
A worker killed while holding a slot leaves a lease that expires after LEASE seconds.
"""

import time
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from resources.models import HostThrottle

LEASE = 120.0  # seconds after which an in-flight count from a dead worker is forgotten
POLL_MAX = 0.5


class SlotTimeout(Exception):
    """No slot for the host became free in time."""


def _row(host: str) -> HostThrottle:
    row = HostThrottle.objects.select_for_update().filter(host=host).first()
    if row is None:
        try:
            with transaction.atomic():
                HostThrottle.objects.create(host=host)
        except IntegrityError:
            pass  # another worker created it first
        row = HostThrottle.objects.select_for_update().get(host=host)
    return row


def _try_acquire(host: str, spacing: float, concurrency: int) -> float:
    """Take a slot if one is free now; return 0, or how long to wait before trying again."""
    with transaction.atomic():
        row = _row(host)
        now = timezone.now()
        in_flight = row.in_flight
        if in_flight and (now - row.updated_at).total_seconds() > LEASE:
            in_flight = 0
        if in_flight >= concurrency:
            return 0.05
        wait = (row.next_allowed_at - now).total_seconds()
        if wait > 0:
            return wait
        row.in_flight = in_flight + 1
        row.next_allowed_at = now + timedelta(seconds=spacing)
        row.save(update_fields=["in_flight", "next_allowed_at", "updated_at"])
        return 0.0


def _release(host: str) -> None:
    with transaction.atomic():
        row = HostThrottle.objects.select_for_update().filter(host=host).first()
        if row is not None and row.in_flight > 0:
            row.in_flight -= 1
            row.save(update_fields=["in_flight", "updated_at"])


def host_defer(host: str, seconds: float) -> None:
    """Push the host's next allowed start back (a 429's Retry-After, say)."""
    with transaction.atomic():
        row = _row(host)
        later = timezone.now() + timedelta(seconds=seconds)
        if later > row.next_allowed_at:
            row.next_allowed_at = later
            row.save(update_fields=["next_allowed_at", "updated_at"])


@contextmanager
def host_slot(host: str, *, spacing: float, concurrency: int, timeout: float = 300.0, sleep=time.sleep):
    """Hold one of the host's request slots, waiting politely for it (see the module docstring)."""
    host = host.lower()
    deadline = time.monotonic() + timeout
    while True:
        wait = _try_acquire(host, spacing, concurrency)
        if wait == 0.0:
            break
        if time.monotonic() + min(wait, POLL_MAX) > deadline:
            raise SlotTimeout(f"no free request slot for {host} within {timeout:.0f} s")
        sleep(min(wait, POLL_MAX))
    try:
        yield
    finally:
        _release(host)
