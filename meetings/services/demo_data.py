"""Demo data at a club's ten-year scale, for the benchmarks and for trying the site out.

Bulk inserts (a few thousand rows per statement), but every stored rendering is made by the app's
own functions (``render_markdown``; the library's search text and weighted vector by
``resources_index_bulk``, the same definition ``resource_index`` uses), and who sees each resource
(``Resource.audience``, ``ResourceHolder``) by ``visibility_rebuild``. Everything generated is
marked: accounts named ``demo-…``, series with slugs ``demo-…``, resources under
``https://demo.clubsite.example/``. Generating again at the same scale finds it complete and
writes nothing; at another scale (or after an interrupted run) the old demo rows are deleted first.
"""

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from meetings.markdown import render_markdown
from meetings.models import (
    Meeting,
    MeetingSection,
    Minutes,
    MinutesRevision,
    ResearchItem,
    Series,
    Talk,
    User,
)
from resources.models import LinkCheck, Mention, ReadingList, ReadingListItem, Resource
from resources.services.library import resources_index_bulk
from resources.services.visibility import visibility_rebuild

URL_PREFIX = "https://demo.clubsite.example/"
USER_PREFIX = "demo-"
SERIES_PREFIX = "demo-"
# Every demo account signs in with this password (the benchmark signs in as one).
PASSWORD = "demo password 2026"
BATCH = 2000


@dataclass(frozen=True)
class Scale:
    members: int
    series: int
    meetings: int
    research_items: int
    resources: int
    tags: int
    tags_per_resource: int
    mentions: int
    reading_lists: int
    list_items: int
    link_checks: int
    revisions: int


SCALES = {
    "small": Scale(
        members=20,
        series=3,
        meetings=60,
        research_items=600,
        resources=1500,
        tags=30,
        tags_per_resource=3,
        mentions=900,
        reading_lists=10,
        list_items=100,
        link_checks=3000,
        revisions=5,
    ),
    "large": Scale(
        members=200,
        series=20,
        meetings=2000,
        research_items=20000,
        resources=50000,
        tags=300,
        tags_per_resource=3,
        mentions=30000,
        reading_lists=500,
        list_items=5000,
        link_checks=100000,
        revisions=5,
    ),
}

WORDS = (  # noqa: SIM905  (a paragraph of words reads better than a 75-item list)
    "attention transformer diffusion kernel bayesian causal vision graph embedding gradient "
    "optimiser convergence regularisation dropout batch normalisation residual convolution "
    "recurrent sequence language model token contrastive representation manifold variational "
    "inference posterior prior sampling markov chain monte carlo reinforcement policy reward agent "
    "benchmark dataset evaluation robustness fairness interpretability sparsity pruning "
    "quantisation distillation retrieval augmentation scaling law emergent alignment feedback "
    "tabular forecasting anomaly clustering spectral topology equivariance symmetry physics "
    "operator neural field implicit rendering point cloud segmentation detection tracking"
).split()
RARE_WORDS = ["zebrafish", "quasicrystal", "hyperbolicity"]
KINDS = ["paper"] * 6 + ["video", "tutorial", "notebook", "dataset", "slides", "code", "article", "course"]
HEALTH = ["healthy"] * 8 + ["unknown", "warning", "broken"]


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def _title(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).title()


def demo_data_counts() -> dict[str, int]:
    """How many of each kind of demo row exist now."""
    series = Series.objects.filter(slug__startswith=SERIES_PREFIX)
    resources = Resource.objects.filter(url__startswith=URL_PREFIX)
    return {
        "members": User.objects.filter(username__startswith=USER_PREFIX).count(),
        "series": series.count(),
        "meetings": Meeting.objects.filter(series__in=series).count(),
        "research_items": ResearchItem.objects.filter(meeting__series__in=series).count(),
        "resources": resources.count(),
        "mentions": Mention.objects.filter(meeting__series__in=series).count(),
        "reading_lists": ReadingList.objects.filter(title__startswith="Demo list").count(),
        "link_checks": LinkCheck.objects.filter(resource__in=resources).count(),
    }


def _expected(scale: Scale) -> dict[str, int]:
    return {
        "members": scale.members,
        "series": scale.series,
        "meetings": scale.meetings,
        "research_items": scale.research_items,
        "resources": scale.resources,
        "mentions": scale.mentions,
        "reading_lists": scale.reading_lists,
        "link_checks": scale.link_checks,
    }


def demo_data_delete() -> None:
    """Delete every demo row (series cascade to their meetings, minutes, items, mentions)."""
    with transaction.atomic():
        resources = Resource.objects.filter(url__startswith=URL_PREFIX)
        LinkCheck.objects.filter(resource__in=resources)._raw_delete(LinkCheck.objects.db)
        TaggedItem.objects.filter(
            content_type=ContentType.objects.get_for_model(Resource),
            object_id__in=resources.values("pk"),
        )._raw_delete(TaggedItem.objects.db)
        ReadingList.objects.filter(title__startswith="Demo list").delete()
        for series in Series.objects.filter(slug__startswith=SERIES_PREFIX):
            series.delete()
        resources.delete()
        Tag.objects.filter(slug__startswith="demo-").delete()
        User.objects.filter(username__startswith=USER_PREFIX).delete()


def demo_data_generate(*, scale: str, seed: int = 2026, log=lambda message: None) -> dict[str, int]:
    """Make the demo data for `scale` ("small" or "large"), unless it is already there; returns the counts."""
    plan = SCALES[scale]
    if demo_data_counts() == _expected(plan):
        log(f"The {scale} demo data is already there.")
        return demo_data_counts()
    if any(demo_data_counts().values()):
        log("Deleting the demo data of another scale (or of an interrupted run).")
        demo_data_delete()
    rng = random.Random(seed)
    with transaction.atomic():
        users = _members(plan, log)
        series = _series(plan, rng, users, log)
        resources = _resources(plan, rng, users, log)
        meetings = _meetings(plan, rng, series, users, resources, log)
        _research_items(plan, rng, meetings, users, resources, log)
        _reading_lists(plan, rng, series, users, resources, log)
        _link_checks(plan, rng, resources, log)
        log("Indexing the library for search.")
        resources_index_bulk(resource_ids=[r.pk for r in resources])
        log("Computing who sees each resource.")
        visibility_rebuild()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return demo_data_counts()


def _members(plan: Scale, log) -> list[User]:
    log(f"{plan.members} members")
    password = make_password(PASSWORD)
    User.objects.bulk_create(
        User(
            username=f"{USER_PREFIX}{n:03d}",
            display_name=f"Demo Member {n}",
            email=f"{USER_PREFIX}{n:03d}@demo.clubsite.example",
            password=password,
        )
        for n in range(1, plan.members + 1)
    )
    return list(User.objects.filter(username__startswith=USER_PREFIX).order_by("username"))


def _series(plan: Scale, rng: random.Random, users: list[User], log) -> list[Series]:
    log(f"{plan.series} series")
    rows = []
    for n in range(1, plan.series + 1):
        description = f"Demo club {n}: we read about {rng.choice(WORDS)} and {rng.choice(WORDS)}."
        rows.append(
            Series(
                name=f"Demo club {n}",
                slug=f"{SERIES_PREFIX}{n:02d}",
                description=description,
                description_html=render_markdown(description),
                # One in five is members-only (the third, eighth …, so the small scale has one).
                visibility=Series.Visibility.MEMBERS if n % 5 == 3 else Series.Visibility.PUBLIC,
                weekday=n % 5,
                cadence_weeks=1,
            )
        )
    Series.objects.bulk_create(rows)
    series = list(Series.objects.filter(slug__startswith=SERIES_PREFIX).order_by("slug"))
    organisers, members = Series.organisers.through, Series.members.through
    organiser_rows, member_rows = [], []
    per_series = max(2, min(len(users), 40))
    for s in series:
        chosen = rng.sample(users, per_series)
        # Organisers are members too (meetings migration 0007).
        organiser_rows += [organisers(series_id=s.pk, user_id=u.pk) for u in chosen[:2]]
        member_rows += [members(series_id=s.pk, user_id=u.pk) for u in chosen]
    organisers.objects.bulk_create(organiser_rows)
    members.objects.bulk_create(member_rows)
    return series


def _resources(plan: Scale, rng: random.Random, users: list[User], log) -> list[Resource]:
    log(f"{plan.resources} resources, {plan.tags} tags")
    now = timezone.now()
    # Rendering is the slow part: notes (like agendas and recaps) come from a pool of texts, each
    # rendered once; minutes are each their own text, rendered one by one.
    notes_pool = _rendered_pool(rng, 50, lambda: _sentence(rng, 10) + ".")
    rows = []
    for n in range(plan.resources):
        kind = rng.choice(KINDS)
        title = _title(rng)
        if n % 997 == 0:
            title += f" {RARE_WORDS[n % len(RARE_WORDS)]}"
        abstract = ". ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(3)) + "."
        notes, notes_html = notes_pool[n % len(notes_pool)] if n % 4 == 0 else ("", "")
        rows.append(
            Resource(
                url=f"{URL_PREFIX}{kind}/{n:06d}",
                title=title,
                kind=kind,
                notes=notes,
                notes_html=notes_html,
                added_by=users[n % len(users)],
                created_at=now - timedelta(minutes=10 * (plan.resources - n)),
                authors=[{"given": "Demo", "family": f"Author{n % 1000}"}],
                abstract=abstract,
                published_date=(now - timedelta(days=n % 3650)).date(),
                published_date_precision="day",
                venue=f"Demo venue {n % 40}",
                metadata_state=Resource.MetadataState.DONE,
                health=rng.choice(HEALTH),
                last_checked_at=now - timedelta(days=n % 7),
                next_check_at=now + timedelta(days=n % 7),
                # The last 40% were added straight to the library; the others are held through
                # meetings and lists (visibility_rebuild computes the audience from that).
                held_by_library=n >= plan.resources * 0.6,
            )
        )
    Resource.objects.bulk_create(rows, batch_size=BATCH)
    resources = list(Resource.objects.filter(url__startswith=URL_PREFIX).order_by("pk"))
    Tag.objects.bulk_create(
        Tag(name=f"demo-{word}-{n}", slug=f"demo-{word}-{n}")
        for n, word in ((n, WORDS[n % len(WORDS)]) for n in range(plan.tags))
    )
    tags = list(Tag.objects.filter(slug__startswith="demo-").order_by("pk"))
    content_type = ContentType.objects.get_for_model(Resource)
    tagged = []
    for resource in resources:
        # A skewed choice: a few tags are on many resources, most on a few.
        chosen = {
            tags[min(int(rng.paretovariate(1.2)) - 1, len(tags) - 1)] for _ in range(plan.tags_per_resource)
        }
        while len(chosen) < plan.tags_per_resource:
            chosen.add(rng.choice(tags))
        tagged += [TaggedItem(tag=tag, content_type=content_type, object_id=resource.pk) for tag in chosen]
    TaggedItem.objects.bulk_create(tagged, batch_size=BATCH * 5)
    return resources


def _rendered_pool(rng: random.Random, size: int, make, **options) -> list[tuple[str, str]]:
    """`size` texts made by `make`, each with its HTML from render_markdown."""
    texts = [make() for _ in range(size)]
    return [(text, render_markdown(text, **options)) for text in texts]


def _minutes_body(rng: random.Random, meeting_n: int, links: list[Resource]) -> list[str]:
    """Five revisions of about 2 KB of minutes, each growing from the one before."""
    paragraphs = [
        f"## Discussion\n\n{_sentence(rng, 40)}. {_sentence(rng, 30)}.",
        "## Papers mentioned\n\n" + "\n".join(f"- [{r.title}]({r.url})" for r in links),
        f"## Notes\n\n{_sentence(rng, 50)}.\n\n$$E = mc^2$$" if meeting_n % 50 == 0 else "",
        f"## Next time\n\n{_sentence(rng, 25)}.",
    ]
    full = "\n\n".join(p for p in paragraphs if p)
    while len(full) < 1900:
        full += f"\n\n{_sentence(rng, 30)}."
    step = len(full) // 5
    return [full[: step * (k + 1)] if k < 4 else full for k in range(5)]


def _meetings(plan, rng, series, users, resources, log) -> list[Meeting]:
    log(f"{plan.meetings} meetings with minutes ({plan.revisions} revisions each), talks, sections")
    now = timezone.now()
    per_series = plan.meetings // len(series)
    agendas = _rendered_pool(rng, 100, lambda: f"1. {_sentence(rng, 8)}\n2. {_sentence(rng, 6)}")
    recaps = _rendered_pool(rng, 50, lambda: f"Recap: {_sentence(rng, 30)}.", id_prefix="md-recap-")
    rows = []
    for s_index, s in enumerate(series):
        count = per_series + (1 if s_index < plan.meetings % len(series) else 0)
        for k in range(count):
            # Weekly, the last four in the future.
            start = now.replace(minute=0, second=0, microsecond=0) - timedelta(weeks=count - 4 - k)
            agenda, agenda_html = agendas[len(rows) % len(agendas)]
            rows.append(
                Meeting(
                    series=s,
                    sequence=k,
                    start=start,
                    title=_title(rng),
                    status=Meeting.Status.HELD if start < now else Meeting.Status.SCHEDULED,
                    agenda=agenda,
                    agenda_html=agenda_html,
                )
            )
    Meeting.objects.bulk_create(rows, batch_size=BATCH)
    meetings = list(Meeting.objects.filter(series__in=series).order_by("pk"))
    Talk.objects.bulk_create(
        [
            Talk(meeting=m, speaker=users[n % len(users)], title=_title(rng), order=0)
            for n, m in enumerate(meetings)
        ],
        batch_size=BATCH,
    )
    # Mentions: the first `mentions` resources, each written into one past meeting's minutes.
    held = [m for m in meetings if m.start <= now]
    links_of: dict[int, list[Resource]] = {}
    for n, resource in enumerate(resources[: plan.mentions]):
        links_of.setdefault(held[n % len(held)].pk, []).append(resource)
    minutes_rows, bodies = [], {}
    for n, meeting in enumerate(meetings):
        if meeting.start > now:
            continue
        revisions = _minutes_body(rng, n, links_of.get(meeting.pk, []))[: plan.revisions]
        bodies[meeting.pk] = revisions
        minutes_rows.append(
            Minutes(
                meeting=meeting,
                kind=Minutes.Kind.MINUTES,
                body=revisions[-1],
                body_html=render_markdown(revisions[-1], id_prefix="md-minutes-"),
                revision=len(revisions),
                updated_at=meeting.start + timedelta(hours=2),
                updated_by=users[n % len(users)],
                published_at=meeting.start + timedelta(hours=3),
            )
        )
        if n % 10 == 0:
            recap, recap_html = recaps[n % len(recaps)]
            minutes_rows.append(
                Minutes(
                    meeting=meeting,
                    kind=Minutes.Kind.RECAP,
                    body=recap,
                    body_html=recap_html,
                    revision=1,
                    updated_at=meeting.start + timedelta(hours=4),
                )
            )
    Minutes.objects.bulk_create(minutes_rows, batch_size=BATCH)
    revision_rows = []
    for minutes in Minutes.objects.filter(meeting__in=meetings).select_related("meeting"):
        texts = bodies.get(minutes.meeting_id, []) if minutes.kind == Minutes.Kind.MINUTES else [minutes.body]
        for number, body in enumerate(texts, start=1):
            revision_rows.append(
                MinutesRevision(
                    minutes=minutes,
                    number=number,
                    body=body,
                    author_id=minutes.updated_by_id,
                    created_at=minutes.meeting.start + timedelta(minutes=10 * number),
                )
            )
    MinutesRevision.objects.bulk_create(revision_rows, batch_size=BATCH)
    Mention.objects.bulk_create(
        [
            Mention(resource=resource, meeting_id=meeting_pk, section=Mention.Section.MINUTES)
            for meeting_pk, links in links_of.items()
            for resource in links
        ],
        batch_size=BATCH,
    )
    # A few imported-notes sections, one of them about dual numbers (search finds it).
    sections = []
    for n, meeting in enumerate(meetings[::8]):
        body = f"{_sentence(rng, 30)}."
        if n == 0:
            body += " We derived forward-mode automatic differentiation with dual numbers."
        sections.append(
            MeetingSection(
                meeting=meeting,
                kind=MeetingSection.Kind.NOTES,
                heading="Imported notes",
                body=body,
                body_html=render_markdown(body),
            )
        )
    MeetingSection.objects.bulk_create(sections, batch_size=BATCH)
    return meetings


def _research_items(plan, rng, meetings, users, resources, log) -> None:
    log(f"{plan.research_items} research items")
    now = timezone.now()
    templates = [f"Read about {_sentence(rng, 5).lower()}" for _ in range(200)]
    rendered = {text: render_markdown(text) for text in templates}
    per_meeting = max(1, plan.research_items // len(meetings))
    rows = []
    for n in range(plan.research_items):
        meeting = meetings[(n // per_meeting) % len(meetings)]
        text = templates[n % len(templates)]
        # About half stay open, so the older meetings carry many over.
        status = ResearchItem.Status.OPEN if rng.random() < 0.55 else ResearchItem.Status.DONE
        rows.append(
            ResearchItem(
                meeting=meeting,
                text=text,
                text_html=rendered[text],
                position=n % per_meeting + 1,
                status=status,
                assignee=users[n % len(users)] if n % 3 else None,
                resource=resources[n % len(resources)] if n % 5 == 0 else None,
                raised_by=users[(n + 1) % len(users)],
                status_changed_at=now if status == ResearchItem.Status.DONE else None,
                created_at=meeting.start,
            )
        )
    ResearchItem.objects.bulk_create(rows, batch_size=BATCH)


def _reading_lists(plan, rng, series, users, resources, log) -> None:
    log(f"{plan.reading_lists} reading lists")
    ReadingList.objects.bulk_create(
        ReadingList(
            title=f"Demo list {n:03d}: {_title(rng)}",
            series=series[n % len(series)] if n % 4 else None,
            is_public=n % 7 != 0,
            created_by=users[n % len(users)],
        )
        for n in range(plan.reading_lists)
    )
    lists = list(ReadingList.objects.filter(title__startswith="Demo list").order_by("pk"))
    per_list = max(1, plan.list_items // len(lists))
    note = "Start with the **introduction**."
    note_html = render_markdown(note)
    items = []
    for n, reading_list in enumerate(lists):
        chosen = rng.sample(resources, per_list)
        items += [
            ReadingListItem(
                reading_list=reading_list,
                resource=resource,
                position=k + 1,
                note=note if k == 0 else "",
                note_html=note_html if k == 0 else "",
                added_by=users[n % len(users)],
            )
            for k, resource in enumerate(chosen)
        ]
    ReadingListItem.objects.bulk_create(items, batch_size=BATCH)


def _link_checks(plan, rng, resources, log) -> None:
    log(f"{plan.link_checks} link checks")
    now = timezone.now()
    outcomes = ["ok"] * 9 + ["not_found", "timeout"]
    rows = []
    for n in range(plan.link_checks):
        resource = resources[n % len(resources)]
        outcome = rng.choice(outcomes)
        rows.append(
            LinkCheck(
                resource=resource,
                checked_at=now - timedelta(days=7 * (n // len(resources)) + n % 7),
                outcome=outcome,
                status_code=200 if outcome == "ok" else 404 if outcome == "not_found" else None,
                final_url=resource.url,
                method="HEAD",
                elapsed_ms=50 + n % 400,
            )
        )
        if len(rows) >= BATCH * 5:
            LinkCheck.objects.bulk_create(rows)
            rows = []
    LinkCheck.objects.bulk_create(rows)
