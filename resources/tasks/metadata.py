"""Metadata tasks: fetch for given resources; the beat job that claims pending ones."""

import random
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from resources.services import metadata as metadata_services

# Task-level retries, on top of the client's own quick retries: minutes apart, then give up.
MAX_RETRIES = 5
RETRY_BASE = 60.0
RETRY_MAX = 30 * 60.0


def retry_countdown(retries: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter, never sooner than the server's Retry-After, capped."""
    wait = min(RETRY_MAX, RETRY_BASE * 2**retries)
    wait = max(wait, retry_after or 0.0)
    # Jitter so tasks that failed together do not all come back together.
    return min(RETRY_MAX, wait * random.uniform(1.0, 1.25))


@shared_task(
    name="resources.metadata_fetch",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def metadata_fetch(self, *, resource_ids: list[int]) -> dict:
    """Fetch and store metadata for these resources; retry only the ones that failed transiently."""
    final = self.request.retries >= self.max_retries
    metadata_services.metadata_mark_queued(resource_ids=resource_ids)  # running now
    summary = metadata_services.metadata_fetch(resource_ids=resource_ids, final_attempt=final)
    if summary.pending and not final:
        countdown = retry_countdown(self.request.retries, summary.retry_after)
        metadata_services.metadata_mark_retry(
            resource_ids=summary.pending, at=timezone.now() + timedelta(seconds=countdown)
        )
        raise self.retry(kwargs={"resource_ids": summary.pending}, countdown=countdown)
    return summary.as_dict()


def metadata_fetch_queue(*, resource_ids) -> int:
    """Queue metadata_fetch (after commit) in chunks of one arXiv request or a few DOIs; return the count."""
    chunks = metadata_services.metadata_task_chunks(resource_ids=resource_ids)
    metadata_services.metadata_mark_queued(resource_ids=[pk for chunk in chunks for pk in chunk])
    for chunk in chunks:
        transaction.on_commit(lambda chunk=chunk: metadata_fetch.delay(resource_ids=chunk))
    return len(chunks)


@shared_task(name="resources.metadata_dispatch_pending", acks_late=True, reject_on_worker_lost=True)
def metadata_dispatch_pending() -> int:
    """Claim pending arXiv/DOI resources and queue their fetches; return how many were claimed."""
    with transaction.atomic():
        claimed = metadata_services.metadata_claim_pending()
        metadata_fetch_queue(resource_ids=claimed)
    return len(claimed)
