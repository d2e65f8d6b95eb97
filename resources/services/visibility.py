"""Who sees each resource, kept where the library's queries can read it cheaply.

A resource is held by what mentions, presents, links or lists it:

* a meeting's mention (minutes, recap, agenda, sections, research item text), a talk that
  presents it, a research item that links it: held by the meeting's series;
* a reading list item: held by the list's series, or, for a list without a series, by the
  library (public when the list is public);
* the library itself, when a member added the link straight to it (``held_by_library``).

From those, ``Resource.audience`` says who reads it (SECURITY.md, "Who sees what"):

* PUBLIC when a public series holds it or a public list of no series or of a public series
  lists it (a members-only series' list is never public, whatever its flag);
* ACCOUNTS (every signed-in account) when the library holds it or a list without a series does;
* HOLDERS otherwise: only the members, organisers of the series in ``ResourceHolder`` (and staff).
  A resource nothing holds any more (its last mention was edited out) is seen by staff only.

The services that add or remove holders call ``resources_visibility_refresh`` once, at the end,
with the resources they touched; it recomputes them from scratch, so the stored data always
equals ``visibility_compute()`` (tests/resources/test_visibility.py checks that after every kind
of change) and ``manage.py rebuild_visibility`` repairs anything written behind their back.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

PUBLIC_VISIBILITY = "public"
CHUNK = 1000


@dataclass
class _Models:
    """The models read and written: the app's own, or a migration's historical ones."""

    Resource: type
    ResourceHolder: type
    Mention: type
    ReadingListItem: type
    Talk: type
    ResearchItem: type

    @classmethod
    def current(cls) -> "_Models":
        from meetings.models import ResearchItem, Talk
        from resources.models import Mention, ReadingListItem, Resource, ResourceHolder

        return cls(Resource, ResourceHolder, Mention, ReadingListItem, Talk, ResearchItem)

    @classmethod
    def from_apps(cls, apps) -> "_Models":
        return cls(
            apps.get_model("resources", "Resource"),
            apps.get_model("resources", "ResourceHolder"),
            apps.get_model("resources", "Mention"),
            apps.get_model("resources", "ReadingListItem"),
            apps.get_model("meetings", "Talk"),
            apps.get_model("meetings", "ResearchItem"),
        )


@dataclass
class Visibility:
    audience: int
    series: frozenset[int] = field(default_factory=frozenset)


# The values of Resource.Audience, repeated so a migration can use this module with its own models.
PUBLIC, ACCOUNTS, HOLDERS = 0, 1, 2


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _compute_chunk(m: _Models, ids: list[int] | None) -> dict[int, Visibility]:
    resources = m.Resource.objects.all() if ids is None else m.Resource.objects.filter(pk__in=ids)
    library = dict(resources.values_list("pk", "held_by_library"))
    public: set[int] = set()
    accounts = {pk for pk, held in library.items() if held}
    holders: dict[int, set[int]] = {pk: set() for pk in library}

    def mine(qs):
        return qs if ids is None else qs.filter(resource_id__in=ids)

    for model in (m.Mention, m.Talk, m.ResearchItem):
        rows = (
            mine(model.objects.filter(resource__isnull=False))
            .values_list("resource_id", "meeting__series_id", "meeting__series__visibility")
            .distinct()
        )
        for resource_id, series_id, visibility in rows:
            holders[resource_id].add(series_id)
            if visibility == PUBLIC_VISIBILITY:
                public.add(resource_id)
    rows = (
        mine(m.ReadingListItem.objects.all())
        .values_list(
            "resource_id",
            "reading_list__series_id",
            "reading_list__series__visibility",
            "reading_list__is_public",
        )
        .distinct()
    )
    for resource_id, series_id, visibility, list_is_public in rows:
        if series_id is None:
            accounts.add(resource_id)
            if list_is_public:
                public.add(resource_id)
        else:
            holders[resource_id].add(series_id)
            if list_is_public and visibility == PUBLIC_VISIBILITY:
                public.add(resource_id)
    result = {}
    for pk in library:
        audience = PUBLIC if pk in public else ACCOUNTS if pk in accounts else HOLDERS
        result[pk] = Visibility(audience=audience, series=frozenset(holders[pk]))
    return result


def visibility_compute(*, resource_ids: Iterable[int] | None = None, models: _Models | None = None):
    """Who sees each resource, computed from scratch from what holds it: {id: Visibility}."""
    m = models or _Models.current()
    if resource_ids is None:
        return _compute_chunk(m, None)
    result = {}
    for chunk in _chunks(sorted(set(resource_ids))):
        result.update(_compute_chunk(m, chunk))
    return result


def visibility_stored(*, resource_ids: Iterable[int] | None = None, models: _Models | None = None):
    """What is stored (Resource.audience and ResourceHolder), in the shape of visibility_compute."""
    m = models or _Models.current()
    resources = m.Resource.objects.all()
    holders = m.ResourceHolder.objects.all()
    if resource_ids is not None:
        ids = sorted(set(resource_ids))
        resources, holders = resources.filter(pk__in=ids), holders.filter(resource_id__in=ids)
    series: dict[int, set[int]] = {}
    for resource_id, series_id in holders.values_list("resource_id", "series_id"):
        series.setdefault(resource_id, set()).add(series_id)
    return {
        pk: Visibility(audience=audience, series=frozenset(series.get(pk, ())))
        for pk, audience in resources.values_list("pk", "audience")
    }


def _store(m: _Models, wanted: dict[int, Visibility]) -> int:
    """Write what changed; returns how many resources changed."""
    stored = visibility_stored(resource_ids=wanted, models=m)
    changed = 0
    by_audience: dict[int, list[int]] = {}
    add, remove = [], []
    for pk, want in wanted.items():
        have = stored.get(pk)
        if have is None:
            continue  # deleted meanwhile
        if have == want:
            continue
        changed += 1
        if have.audience != want.audience:
            by_audience.setdefault(want.audience, []).append(pk)
        add += [(pk, s) for s in want.series - have.series]
        remove += [(pk, s) for s in have.series - want.series]
    for audience, pks in by_audience.items():
        m.Resource.objects.filter(pk__in=pks).update(audience=audience)
    for pk, series_id in remove:
        m.ResourceHolder.objects.filter(resource_id=pk, series_id=series_id).delete()
    if add:
        m.ResourceHolder.objects.bulk_create(
            [m.ResourceHolder(resource_id=pk, series_id=s) for pk, s in add], ignore_conflicts=True
        )
    return changed


def resources_visibility_refresh(*, resource_ids: Iterable[int]) -> int:
    """Recompute who sees these resources from what holds them now; returns how many changed.

    The resources' rows are locked first (in id order, so two writers cannot deadlock on them):
    a concurrent writer's change is then either seen here or waits for this to commit.
    """
    ids = sorted({int(pk) for pk in resource_ids if pk is not None})
    if not ids:
        return 0
    m = _Models.current()
    changed = 0
    with transaction.atomic():
        for chunk in _chunks(ids):
            list(m.Resource.objects.select_for_update().filter(pk__in=chunk).order_by("pk").values_list("pk"))
            changed += _store(m, _compute_chunk(m, chunk))
    return changed


def resources_held_by_series(*, series_ids: Iterable[int]) -> set[int]:
    """Every resource a series holds, or that one of its reading lists has."""
    m = _Models.current()
    series_ids = list(series_ids)
    ids = set(m.ResourceHolder.objects.filter(series_id__in=series_ids).values_list("resource_id", flat=True))
    for model in (m.Mention, m.Talk, m.ResearchItem):
        ids |= set(
            model.objects.filter(meeting__series_id__in=series_ids, resource__isnull=False).values_list(
                "resource_id", flat=True
            )
        )
    ids |= set(
        m.ReadingListItem.objects.filter(reading_list__series_id__in=series_ids).values_list(
            "resource_id", flat=True
        )
    )
    return ids


def resources_held_by_meetings(*, meeting_ids: Iterable[int]) -> set[int]:
    """Every resource the meetings mention, present or link."""
    m = _Models.current()
    meeting_ids = list(meeting_ids)
    ids: set[int] = set()
    for model in (m.Mention, m.Talk, m.ResearchItem):
        ids |= set(
            model.objects.filter(meeting_id__in=meeting_ids, resource__isnull=False).values_list(
                "resource_id", flat=True
            )
        )
    return ids


def resources_held_by_lists(*, list_ids: Iterable[int]) -> set[int]:
    m = _Models.current()
    return set(
        m.ReadingListItem.objects.filter(reading_list_id__in=list(list_ids)).values_list(
            "resource_id", flat=True
        )
    )


def visibility_rebuild(*, models: _Models | None = None) -> int:
    """Recompute every resource's visibility from scratch (migrations, repairs); returns how many changed."""
    m = models or _Models.current()
    ids = list(m.Resource.objects.order_by("pk").values_list("pk", flat=True))
    changed = 0
    with transaction.atomic():
        for chunk in _chunks(ids):
            changed += _store(m, _compute_chunk(m, chunk))
    return changed


def resources_held_via(obj) -> set[int]:
    """The resources whose visibility a change to obj (a series, meeting, list, or one holder) can move."""
    from meetings.models import Meeting, ResearchItem, Series, Talk
    from resources.models import Mention, ReadingList, ReadingListItem, Resource

    if obj is None or obj.pk is None:
        return set()
    if isinstance(obj, Resource):
        return {obj.pk}
    if isinstance(obj, Mention | ReadingListItem | Talk | ResearchItem):
        return {obj.resource_id} - {None}
    if isinstance(obj, Meeting):
        return resources_held_by_meetings(meeting_ids=[obj.pk])
    if isinstance(obj, Series):
        return resources_held_by_series(series_ids=[obj.pk])
    if isinstance(obj, ReadingList):
        return resources_held_by_lists(list_ids=[obj.pk])
    raise TypeError(f"{type(obj).__name__} holds no resources")
