"""The organisers' link-health report and the broken rule in words."""

from django.conf import settings
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery

from resources.models import LinkCheck, Mention
from resources.services.health.classification import Health, Outcome

REPORT_SECTIONS = {
    "broken": ("Broken", Q(health=Health.BROKEN)),
    "failing": ("Failing", Q(health=Health.FAILING) | Q(health=Health.WARNING, consecutive_failures__gt=0)),
    "blocked": (
        "Blocked",
        Q(
            last_outcome__in=[
                Outcome.BLOCKED,
                Outcome.RATE_LIMITED,
                Outcome.SSRF_BLOCKED,
                Outcome.UNSUPPORTED,
            ]
        ),
    ),
    "redirected": ("Redirected", Q(last_outcome=Outcome.REDIRECTED) | ~Q(permanent_redirect_url="")),
}


def archive_url(url: str) -> str:
    """The Wayback Machine's list of captures of a URL."""
    return "https://web.archive.org/web/*/" + url


def link_health_report(*, user, section: str = ""):
    """(resources with problems in a section or all, counts per section), for the organisers' page.

    Each resource carries ``recent_checks`` (its last 5) and its mentions in series the
    user can see; queries are fixed in number whatever the page size.
    """
    from meetings.selectors import series_visible_to
    from resources.selectors import resources_visible_to

    last = LinkCheck.objects.filter(resource=OuterRef("pk")).order_by("-checked_at", "-pk")
    # Only links this organiser may see: another series' private reading stays private.
    qs = resources_visible_to(user).annotate(last_outcome=Subquery(last.values("outcome")[:1]))
    any_problem = Q()
    for _label, condition in REPORT_SECTIONS.values():
        any_problem |= condition
    counts = qs.aggregate(
        **{key: Count("pk", filter=condition) for key, (_label, condition) in REPORT_SECTIONS.items()},
        all=Count("pk", filter=any_problem),
    )
    condition = REPORT_SECTIONS[section][1] if section in REPORT_SECTIONS else any_problem
    mentions = (
        Mention.objects.filter(meeting__series__in=series_visible_to(user))
        .select_related("meeting__series")
        .order_by("meeting__start", "pk")
    )
    rows = (
        qs.filter(condition)
        .prefetch_related(
            Prefetch(
                "checks",
                queryset=LinkCheck.objects.order_by("-checked_at", "-pk")[:5],
                to_attr="recent_checks",
            ),
            Prefetch("mentions", queryset=mentions, to_attr="visible_mentions"),
        )
        .order_by(F("failing_since").asc(nulls_last=True), "-last_checked_at", "pk")
    )
    return rows, counts


def broken_rule_text() -> str:
    """The broken-link rule in words, for the pages that show health."""
    failures, days = settings.LINKCHECK_BROKEN_AFTER_FAILURES, settings.LINKCHECK_BROKEN_AFTER_DAYS
    return (
        f"A link is called broken after {failures} failed checks in a row, the first and last at least "
        f"{days:g} days apart; blocked and rate-limited answers never count, and any success starts afresh."
    )
