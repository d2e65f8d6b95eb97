"""Many checks at once: a process-wide pool of threads fed host by host, each check in its own transaction."""

import logging
import os
import threading
import time
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections
from django.utils import timezone

from resources.models import LinkCheck, Resource
from resources.services import http as fetching
from resources.services.health.check import link_check
from resources.services.health.classification import Health, host_politeness, host_slot_polite, url_host
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
                self.queues.setdefault(url_host(resource.url), deque()).append((resource, run))
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
            host = url_host(resource.url)
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
