"""Storing metadata: fetch for a set of resources, write each one in its own transaction."""

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from resources.models import Resource
from resources.services.library import resource_index
from resources.services.metadata.http import ApiClient, close_thread_connections
from resources.services.metadata.sources import Outcome, arxiv_fetch, doi_fetch

# The fields a fetch may write; anything else in a parsed record (pdf_url, say) is not stored.
APPLY_FIELDS = (
    "title",
    "authors",
    "abstract",
    "published_date",
    "published_date_precision",
    "updated_date",
    "venue",
    "publisher",
    "container_type",
    "primary_category",
    "categories",
    "comment",
    "journal_ref",
)
# The beat dispatcher leaves a resource alone this long after it was added or last claimed,
# so the task queued when it was added gets its turn first.
CLAIM_GRACE = timedelta(minutes=5)
# Claims after which a resource that is still pending is given up on (and says so).
MAX_ATTEMPTS = 5


@dataclass
class MetadataSummary:
    done: int = 0
    changed: int = 0
    failed: int = 0
    skipped: int = 0
    # Ids that failed in a way that may pass (429, 5xx, timeouts) and were left pending.
    pending: list[int] = field(default_factory=list)
    retry_after: float | None = None
    requests: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "done": self.done,
            "changed": self.changed,
            "failed": self.failed,
            "skipped": self.skipped,
            "pending": self.pending,
            "requests": self.requests,
        }


def _fit(name: str, value):
    """Cut strings to the column's max_length; None for empty dates, [] for empty lists."""
    model_field = Resource._meta.get_field(name)
    if isinstance(value, str) and getattr(model_field, "max_length", None):
        return value[: model_field.max_length]
    return value


def metadata_apply(*, resource: Resource, data: dict) -> bool:
    """Store fetched metadata on a resource (only changed fields; never a member's title); True if changed."""
    with transaction.atomic():
        fresh = Resource.objects.select_for_update().filter(pk=resource.pk).first()
        if fresh is None:
            return False
        changed = []
        for name in APPLY_FIELDS:
            if name not in data:
                continue
            value = _fit(name, data[name])
            if name == "title" and (fresh.title_locked or value in ("", None)):
                continue
            if value is None and name in ("authors", "categories"):
                value = []
            if getattr(fresh, name) != value:
                setattr(fresh, name, value)
                changed.append(name)
        # The published version's DOI, for an arXiv paper that has one; never replaces a DOI.
        if fresh.arxiv_id and data.get("doi") and not fresh.doi:
            fresh.doi = _fit("doi", data["doi"])
            changed.append("doi")
        version = data.get("arxiv_version")
        if fresh.arxiv_id and version and version > (fresh.arxiv_version or 0):
            fresh.arxiv_version = version
            changed.append("arxiv_version")
        state_fields = []
        if fresh.metadata_state != Resource.MetadataState.DONE or fresh.metadata_error:
            fresh.metadata_state, fresh.metadata_error = Resource.MetadataState.DONE, ""
            state_fields = ["metadata_state", "metadata_error"]
        if fresh.metadata_queued_at or fresh.metadata_next_attempt_at:
            fresh.metadata_queued_at = fresh.metadata_next_attempt_at = None
            state_fields += ["metadata_queued_at", "metadata_next_attempt_at"]
        if not changed and not state_fields:
            return False
        fresh.metadata_fetched_at = timezone.now()
        fresh.save(update_fields=[*changed, *state_fields, "metadata_fetched_at", "updated_at"])
        if changed:
            resource_index(resource=fresh)
    for name in [*changed, *state_fields, "metadata_fetched_at", "updated_at", "search_text"]:
        setattr(resource, name, getattr(fresh, name))
    return bool(changed)


def metadata_record_failure(*, resource: Resource, reason: str) -> bool:
    """Mark a resource's metadata as failed with a reason a person can read; True if that changed it."""
    with transaction.atomic():
        fresh = Resource.objects.select_for_update().filter(pk=resource.pk).first()
        if fresh is None:
            return False
        unchanged = fresh.metadata_state == Resource.MetadataState.FAILED and fresh.metadata_error == reason
        if unchanged and not (fresh.metadata_queued_at or fresh.metadata_next_attempt_at):
            return False
        fresh.metadata_state, fresh.metadata_error = Resource.MetadataState.FAILED, reason
        fresh.metadata_fetched_at = timezone.now()
        fresh.metadata_queued_at = fresh.metadata_next_attempt_at = None  # no further try
        fresh.save(
            update_fields=[
                "metadata_state",
                "metadata_error",
                "metadata_fetched_at",
                "metadata_queued_at",
                "metadata_next_attempt_at",
                "updated_at",
            ]
        )
    resource.metadata_state, resource.metadata_error = fresh.metadata_state, fresh.metadata_error
    resource.metadata_fetched_at = fresh.metadata_fetched_at
    return True


def metadata_mark_queued(*, resource_ids, now=None) -> int:
    """Record that a fetch of these resources' metadata is queued or running (the page says
    "fetching…" only then); return how many were marked."""
    return (
        Resource.objects.filter(pk__in=list(resource_ids))
        .filter(Q(arxiv_id__gt="") | Q(doi__gt=""))
        .update(metadata_queued_at=now or timezone.now(), metadata_next_attempt_at=None)
    )


def metadata_mark_retry(*, resource_ids, at) -> int:
    """Record that these pending resources' fetch failed for now and is tried again at ``at``
    (the page says so, with the reason); return how many were marked."""
    return Resource.objects.filter(
        pk__in=list(resource_ids), metadata_state=Resource.MetadataState.PENDING
    ).update(metadata_queued_at=None, metadata_next_attempt_at=at)


def _note_transient(resource: Resource, reason: str) -> None:
    # Still pending: say why it is taking a while, for the admin; the state stays as it is.
    Resource.objects.filter(pk=resource.pk, metadata_state=Resource.MetadataState.PENDING).exclude(
        metadata_error=reason
    ).update(metadata_error=reason)


def _doi_in_thread(client: ApiClient, doi: str) -> Outcome:
    try:
        return doi_fetch(client, doi)
    finally:
        # The host slot opened a database connection in this pool thread; nothing else closes it.
        close_thread_connections()


def metadata_fetch(
    *, resource_ids, final_attempt: bool = True, client: ApiClient | None = None
) -> MetadataSummary:
    """Fetch and store metadata for the given resources' arXiv ids and DOIs; others are left alone.

    arXiv ids go in batches through the arXiv API, DOIs through Crossref and doi.org
    (CROSSREF_CONCURRENCY at once). Each resource is written in its own transaction as soon
    as its answer is in. A passing failure (429, 5xx, timeout) leaves the resource pending and
    its id in ``summary.pending`` unless ``final_attempt``, when it is recorded as failed.
    """
    client = client or ApiClient()
    summary = MetadataSummary()
    by_arxiv, by_doi = defaultdict(list), defaultdict(list)
    for resource in Resource.objects.filter(pk__in=list(resource_ids)).order_by("pk"):
        if resource.arxiv_id:
            by_arxiv[resource.arxiv_id].append(resource)
        elif resource.doi:
            by_doi[resource.doi].append(resource)
        else:
            summary.skipped += 1  # a page without identifiers: its head is read elsewhere

    def settle(resources: list[Resource], outcome: Outcome) -> None:
        for resource in resources:
            if outcome.data is not None:
                summary.done += 1
                summary.changed += metadata_apply(resource=resource, data=outcome.data)
            elif outcome.transient and not final_attempt:
                summary.pending.append(resource.pk)
                if outcome.retry_after is not None:
                    summary.retry_after = max(summary.retry_after or 0.0, outcome.retry_after)
                _note_transient(resource, outcome.error)
            else:
                summary.failed += 1
                metadata_record_failure(resource=resource, reason=outcome.error)

    try:
        if by_arxiv:
            arxiv_fetch(client, list(by_arxiv), lambda arxiv_id, outcome: settle(by_arxiv[arxiv_id], outcome))
        if by_doi:
            workers = min(settings.CROSSREF_CONCURRENCY, len(by_doi))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="metadata-doi") as pool:
                futures = {pool.submit(_doi_in_thread, client, doi): doi for doi in by_doi}
                # Written from this thread, one transaction per resource, as answers come in.
                for future in as_completed(futures):
                    settle(by_doi[futures[future]], future.result())
    finally:
        client.close()
    summary.requests = dict(client.requests)
    return summary


def metadata_candidates(*, include_done: bool = False):
    """Resources whose metadata comes from an identifier: pending ones, or all of them."""
    resources = Resource.objects.filter(Q(arxiv_id__gt="") | Q(doi__gt=""))
    if not include_done:
        resources = resources.filter(metadata_state=Resource.MetadataState.PENDING)
    return resources


def metadata_claim_pending(*, limit: int = 5000, now=None) -> list[int]:
    """Claim pending arXiv/DOI resources for fetching (a conditional UPDATE per row, so two
    dispatchers never claim the same one); give up on those claimed MAX_ATTEMPTS times."""
    now = now or timezone.now()
    rows = (
        metadata_candidates()
        .filter(updated_at__lt=now - CLAIM_GRACE)
        # A retry the task scheduled is its own to run; one long overdue (lost) is claimed again.
        .filter(Q(metadata_next_attempt_at__isnull=True) | Q(metadata_next_attempt_at__lt=now - CLAIM_GRACE))
        .order_by("pk")
        .values_list("pk", "metadata_attempts")[:limit]
    )
    claimed = []
    for pk, attempts in rows:
        unchanged = Resource.objects.filter(
            pk=pk, metadata_state=Resource.MetadataState.PENDING, metadata_attempts=attempts
        )
        if attempts >= MAX_ATTEMPTS:
            unchanged.update(
                metadata_state=Resource.MetadataState.FAILED,
                metadata_error=f"gave up after {attempts} attempts",
                metadata_fetched_at=now,
                metadata_queued_at=None,
                metadata_next_attempt_at=None,
                updated_at=now,
            )
        elif unchanged.update(metadata_attempts=attempts + 1, updated_at=now):
            claimed.append(pk)
    return claimed


def metadata_task_chunks(*, resource_ids) -> list[list[int]]:
    """Split ids into task-sized chunks: arXiv ids ARXIV_BATCH_SIZE together (one API request),
    DOIs in smaller groups, so one task never holds a worker for long."""
    arxiv, dois = [], []
    for pk, arxiv_id in (
        Resource.objects.filter(pk__in=list(resource_ids)).order_by("pk").values_list("pk", "arxiv_id")
    ):
        (arxiv if arxiv_id else dois).append(pk)
    size = settings.ARXIV_BATCH_SIZE
    return [arxiv[i : i + size] for i in range(0, len(arxiv), size)] + [
        dois[i : i + settings.DOI_TASK_CHUNK] for i in range(0, len(dois), settings.DOI_TASK_CHUNK)
    ]
