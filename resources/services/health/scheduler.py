"""Hands links to a pool's threads host by host, so no thread waits for a host.

A host busy (or just asked) in this process waits, and threads go to other hosts instead. A
check that cannot go on now — its host answered 429 with Retry-After, its retry is due in a
second, another worker holds the host's slot — is put back with an ETA (``put_back``): it is
handed out again when the ETA passes, and meanwhile the thread takes a link on another host.
"""

import heapq
import itertools
import threading
import time
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass, field

from resources.models import Resource
from resources.services.health.check import CheckProgress
from resources.services.health.classification import host_politeness, url_host


@dataclass
class Item:
    """One link of one run, with what its check has done so far."""

    resource: Resource
    run: object
    progress: CheckProgress = field(default_factory=CheckProgress)

    @property
    def host(self) -> str:
        return url_host(self.resource.url)


class HostScheduler:
    """Per-host queues, in-process politeness (concurrency, spacing) and checks waiting for an ETA."""

    def __init__(self, clock=time.monotonic):
        self.queues: OrderedDict[str, deque] = OrderedDict()
        self.later: list = []  # heap of (eta, sequence, item)
        self._sequence = itertools.count()
        self.in_flight: Counter = Counter()
        self.not_before: dict[str, float] = {}
        self.condition = threading.Condition()
        self.clock = clock
        self.stopped = False

    def stop(self) -> None:
        with self.condition:
            self.stopped = True
            self.condition.notify_all()

    def add(self, items: list[Item]) -> None:
        with self.condition:
            now = self.clock()
            for host in [h for h, t in self.not_before.items() if t <= now and h not in self.in_flight]:
                del self.not_before[host]  # a long-lived pool forgets hosts it is done with
            for item in items:
                self.queues.setdefault(item.host, deque()).append(item)
            self.condition.notify_all()

    def put_back(self, item: Item, *, eta: float, host_waits: bool = False) -> None:
        """Hand ``item`` out again at ``eta`` (this scheduler's clock); with ``host_waits``, the
        other links of its host wait until then too (a Retry-After, a slot held elsewhere)."""
        with self.condition:
            heapq.heappush(self.later, (eta, next(self._sequence), item))
            if host_waits:
                self.not_before[item.host] = max(self.not_before.get(item.host, 0.0), eta)
            self._release(item.host)

    def pending(self) -> bool:
        return bool(self.queues or self.later)

    def _due(self, now: float) -> float | None:
        """Move the checks whose ETA passed to the front of their host's queue; the next ETA."""
        while self.later and self.later[0][0] <= now:
            _eta, _n, item = heapq.heappop(self.later)
            self.queues.setdefault(item.host, deque()).appendleft(item)
        return self.later[0][0] if self.later else None

    def _next_free(self, now: float) -> tuple[Item | None, float | None]:
        soonest = None
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
            self.not_before[host] = max(start, now + spacing)
            return item, None
        return None, soonest

    def take(self, *, wait_for_more: bool = False, idle_after: float = 1.0) -> Item | None:
        """The next item whose host is free; None when there is nothing to do (at once, or after
        ``idle_after`` seconds of nothing when ``wait_for_more``). Waits only while every link
        left is on a busy host or due later."""
        with self.condition:
            while not self.stopped:
                now = self.clock()
                eta = self._due(now)
                if not self.queues and eta is None:
                    if not wait_for_more or not self.condition.wait(idle_after):
                        return None
                    continue
                item, soonest = self._next_free(now)
                if item is not None:
                    return item
                wakes = [t for t in (soonest, eta) if t is not None]
                self.condition.wait(max(min(wakes) - now, 0.001) if wakes else None)
            return None

    def _release(self, host: str) -> None:
        self.in_flight[host] -= 1
        if self.in_flight[host] <= 0:
            del self.in_flight[host]
        self.condition.notify_all()

    def done(self, item: Item) -> None:
        with self.condition:
            self._release(item.host)
