"""Link-health tasks: run a batch of checks, and (Celery beat) dispatch the due ones in batches."""

from celery import shared_task
from django.db import DatabaseError, transaction
from django.utils.dateparse import parse_datetime

from resources.services import health

# A lost database is transient; what the network does is recorded, never raised.
RETRY = {
    "autoretry_for": (DatabaseError,),
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="resources.linkchecks_run", acks_late=True, reject_on_worker_lost=True, **RETRY)
def linkchecks_run(*, resource_ids: list[int], since: str | None = None) -> dict:
    """Check these resources' links; a redelivered run skips those checked after ``since``."""
    summary = health.linkchecks_run(
        resource_ids=[int(pk) for pk in resource_ids], since=parse_datetime(since) if since else None
    )
    return {"checked": summary.checked, "skipped": summary.skipped, "outcomes": dict(summary.outcomes)}


@shared_task(name="resources.linkchecks_dispatch_due", acks_late=True, reject_on_worker_lost=True, **RETRY)
def linkchecks_dispatch_due() -> int:
    """Claim the links due a check and queue them in host-spread batches; return how many."""
    with transaction.atomic():
        chunks, since = health.linkchecks_dispatch()
        for chunk in chunks:
            health.linkchecks_queue(resource_ids=chunk, since=since)
    return sum(len(chunk) for chunk in chunks)
