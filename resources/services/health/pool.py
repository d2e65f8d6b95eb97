"""Many checks at once: a process-wide pool of threads fed host by host, each check in its own transaction.

No thread waits for a host. A check whose host is not available — another worker holds its
request slot, it answered 429 with a Retry-After, a retry is due in a second or two — goes
back to the scheduler with an ETA (the host's next free time) and the thread takes a link on
another host. An ETA further off than LINKCHECK_RETRY_AFTER_MAX leaves the link for a later
dispatch (its next_check_at is set to the ETA) instead of holding the run.
"""

import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connections
from django.utils import timezone

from resources.models import LinkCheck, Resource
from resources.services import http as fetching
from resources.services.health.check import excluded_result, link_check_attempt, link_check_finish
from resources.services.health.classification import Health, host_excluded, host_slot_polite
from resources.services.health.scheduler import HostScheduler, Item
from resources.services.health.state import health_record, needs_page_head
from resources.services.throttle import SlotTimeout, host_defer

log = logging.getLogger(__name__)


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

    def __init__(self, count: int, *, since: datetime | None = None):
        self.summary = RunSummary()
        self.since = since
        self.lock = threading.Lock()
        self.remaining = count
        self.finished = threading.Event()
        if count == 0:
            self.finished.set()

    def one_done(self) -> None:
        with self.lock:
            self.remaining -= 1
            if self.remaining <= 0:
                self.finished.set()

    def count(self, field_name: str) -> None:
        with self.lock:
            setattr(self.summary, field_name, getattr(self.summary, field_name) + 1)


def _slot_now(host: str):
    """The host's request slot if it is free now; SlotTimeout (with its ETA) if not: never a wait."""
    return host_slot_polite(host, timeout=0)


class Later(NamedTuple):
    """When a check put back may go on: in ``seconds``; its host's other links wait too when
    ``host_waits``; ``for_slot`` when the wait is for a slot another worker holds."""

    seconds: float
    host_waits: bool
    for_slot: bool = False


def _check_step(item: Item, *, session) -> Later | None:
    """Make the item's next attempt and record the check when it is final (None); else when
    it may go on."""
    resource, run = item.resource, item.run
    try:
        if host_excluded(item.host):
            result = excluded_result(
                resource.url, item.host, now=timezone.now, read_head=needs_page_head(resource)
            )
            return _record(item, result)
        wait = link_check_attempt(
            url=resource.url,
            progress=item.progress,
            session=session,
            slot=_slot_now,
            defer=host_defer,
            read_head=needs_page_head(resource),
        )
        if wait is not None:
            # A retry; after a Retry-After (told to host_defer) the whole host waits.
            return Later(wait, host_waits=item.progress.result.retry_after is not None)
        return _record(item, link_check_finish(url=resource.url, progress=item.progress, defer=host_defer))
    except SlotTimeout as error:
        # Another worker holds the host's slot (or a Retry-After does): until its next free time.
        return Later(max(error.wait, 0.001), host_waits=True, for_slot=True)
    except Exception:
        log.exception("link check of resource %s failed", resource.pk)
        run.count("errors")
        return None


def _record(item: Item, result) -> None:
    check = health_record(resource=item.resource, result=result, since=item.run.since)
    with item.run.lock:
        item.run.summary.add(item.resource, check)


def _postpone(item: Item, seconds: float) -> None:
    """Leave the link for a later dispatch: due again when its host is expected to be free."""
    log.info(
        "link check of resource %s postponed by %.0f s (host %s busy)", item.resource.pk, seconds, item.host
    )
    Resource.objects.filter(pk=item.resource.pk).update(
        next_check_at=timezone.now() + timedelta(seconds=seconds)
    )
    item.run.count("skipped")


class _CheckPool:
    """Threads that check links, each with its own requests session and database connection.

    The process-wide pool (``_shared_pool``) lives as long as the worker process: batches
    queued one after another (or at once, with Celery's threads pool) share its threads, so
    the slow tail of one batch does not leave the others idle. An idle thread closes its
    database connection. A private pool (``threads=`` given) ends with its run; with one
    thread it runs in the caller's thread (and transaction).
    """

    def __init__(self, size: int, *, session_factory=None, persistent: bool = True, clock=time.monotonic):
        self.scheduler = HostScheduler(clock=clock)
        self.clock = clock
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

    def run(
        self, resources: list[Resource], *, since: datetime | None = None, here: bool = False
    ) -> RunSummary:
        run = _Run(len(resources), since=since)
        self.scheduler.add([Item(resource, run) for resource in resources])
        if here:
            with self.session_factory() as session:
                self._loop(session)
        elif not self.persistent:
            self._start()  # after the work is in: a private pool's threads end when none is left
        run.finished.wait()
        if not self.persistent and not here:
            for thread in self.threads:
                thread.join()
        return run.summary

    def close(self) -> None:
        """Let the threads finish what they hold and end."""
        self.scheduler.stop()
        for thread in self.threads:
            if thread.is_alive():
                thread.join()

    def _handle(self, item: Item, session) -> None:
        try:
            later = _check_step(item, session=session)
        except BaseException:
            self.scheduler.done(item)
            item.run.one_done()
            raise
        if later is None:
            self.scheduler.done(item)
            item.run.one_done()
            return
        if later.for_slot:
            item.progress.waited_for_slot += later.seconds
        if item.progress.waited_for_slot > settings.LINKCHECK_RETRY_AFTER_MAX:
            _postpone(item, later.seconds)
            self.scheduler.done(item)
            item.run.one_done()
            return
        self.scheduler.put_back(item, eta=self.clock() + later.seconds, host_waits=later.host_waits)

    def _loop(self, session) -> None:
        while (item := self.scheduler.take(wait_for_more=self.persistent)) is not None or (
            self.persistent and not self.scheduler.stopped
        ):
            if item is None:
                connections.close_all()  # idle: this thread's connection only
                continue
            self._handle(item, session)

    def _work(self) -> None:
        with self.session_factory() as session:
            try:
                self._loop(session)
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
        pool = _CheckPool(0, session_factory=session_factory, persistent=False)
        summary = pool.run(resources, since=since, here=True)
    elif threads is None and session_factory is None:
        summary = _shared().run(resources, since=since)
    else:
        size = min(threads or settings.LINKCHECK_THREADS, len(resources))
        summary = _CheckPool(size, session_factory=session_factory, persistent=False).run(
            resources, since=since
        )
    summary.skipped += skipped
    summary.seconds = time.monotonic() - started
    return summary
