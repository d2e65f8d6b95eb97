"""Link health: check a link, record the outcome and the resource's summary, run checks in bulk.

By concern: ``classification`` (what an answer means: outcome sets, per-host rules, a
response or error as a CheckResult), ``check`` (one check: HEAD first, then GET when the
server refuses HEAD or the HEAD fails, never after a timeout; redirects followed by hand;
timeouts, 5xx, 429 and resets retried, all attempts within one LINKCHECK_DEADLINE),
``state`` (``health_record`` saves a LinkCheck and the summary: a link is broken only after
LINKCHECK_BROKEN_AFTER_FAILURES consecutive failures whose first and last are
LINKCHECK_BROKEN_AFTER_DAYS apart; blocked and rate-limited answers never count),
``dispatch`` (due links claimed and queued in host-spread batches), ``pool``
(``linkchecks_run``: many checks concurrently, politely per host, each written in its own
transaction) and ``report`` (the organisers' page). For links without an arXiv id or DOI,
the first check is a GET that also reads the page's head for a title and description.
"""

from resources.services.health.check import CheckProgress, link_check, link_check_attempt, link_check_finish
from resources.services.health.classification import (
    FAILURES,
    SOFT,
    SUCCESSES,
    TRANSIENT,
    UNCHECKED,
    CheckResult,
    host_excluded,
    host_politeness,
    host_slot_polite,
)
from resources.services.health.dispatch import (
    linkcheck_now,
    linkchecks_chunk,
    linkchecks_claim,
    linkchecks_dispatch,
    linkchecks_due,
    linkchecks_queue,
)
from resources.services.health.pool import RunSummary, linkchecks_run
from resources.services.health.report import (
    REPORT_SECTIONS,
    archive_url,
    broken_rule_text,
    link_health_report,
)
from resources.services.health.state import health_after, health_record, needs_page_head, next_check_after
from resources.services.http import retry_after_seconds

__all__ = [
    "FAILURES",
    "REPORT_SECTIONS",
    "SOFT",
    "SUCCESSES",
    "TRANSIENT",
    "UNCHECKED",
    "CheckProgress",
    "CheckResult",
    "RunSummary",
    "archive_url",
    "broken_rule_text",
    "health_after",
    "health_record",
    "host_excluded",
    "host_politeness",
    "host_slot_polite",
    "link_check",
    "link_check_attempt",
    "link_check_finish",
    "link_health_report",
    "linkcheck_now",
    "linkchecks_chunk",
    "linkchecks_claim",
    "linkchecks_dispatch",
    "linkchecks_due",
    "linkchecks_queue",
    "linkchecks_run",
    "needs_page_head",
    "next_check_after",
    "retry_after_seconds",
]
