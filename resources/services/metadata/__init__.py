"""Metadata from identifiers: the arXiv API for arXiv ids, Crossref and doi.org for DOIs.

``parsers`` turns API bodies into records (pure), ``http`` is the polite client, ``sources``
asks the APIs, ``service`` stores what they say. Public entry points are re-exported here.
"""

from resources.services.metadata.service import (
    MetadataSummary,
    metadata_apply,
    metadata_candidates,
    metadata_claim_pending,
    metadata_fetch,
    metadata_mark_queued,
    metadata_mark_retry,
    metadata_record_failure,
    metadata_task_chunks,
)

__all__ = [
    "MetadataSummary",
    "metadata_apply",
    "metadata_candidates",
    "metadata_claim_pending",
    "metadata_fetch",
    "metadata_mark_queued",
    "metadata_mark_retry",
    "metadata_record_failure",
    "metadata_task_chunks",
]
