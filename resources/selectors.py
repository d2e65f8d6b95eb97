"""The library's reads: visibility, filters, search, tag counts."""

import re
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils.html import escape
from django.utils.safestring import mark_safe
from taggit.models import Tag, TaggedItem

from meetings.models import Minutes, Series
from meetings.selectors import series_of_member, series_sees_all, series_visible_to
from resources.models import Mention, ReadingList, ReadingListItem, Resource, ResourceHolder

SORTS = {
    "added": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "published": ("-published_date", "-created_at", "-pk"),
    "title": ("title", "pk"),
}


def _is_member(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def resources_visible_to(user):
    """Resources the user may read (SECURITY.md, "Who sees what"), from their stored audience.

    Visitors: what something public holds (one indexed condition). Accounts: that, what the
    library holds, and what the series they belong to hold. Staff (and everyone, with
    OPEN_MEMBERSHIP): the whole library.
    """
    if series_sees_all(user):
        return Resource.objects.all()
    if not _is_member(user):
        return Resource.objects.filter(audience=Resource.Audience.PUBLIC)
    held = ResourceHolder.objects.filter(series_of_member(user, "series_id"), resource=OuterRef("pk"))
    return Resource.objects.filter(Q(audience__lte=Resource.Audience.ACCOUNTS) | Exists(held))


def readinglists_visible_to(user):
    """Lists the user may read: a series' lists go with the series, and are public only when both
    the list and its series are; a list without a series is public or for every account."""
    if series_sees_all(user):
        return ReadingList.objects.all()
    public = Q(is_public=True) & (Q(series__isnull=True) | Q(series__visibility=Series.Visibility.PUBLIC))
    if not _is_member(user):
        return ReadingList.objects.filter(public)
    return ReadingList.objects.filter(public | Q(series__isnull=True) | series_of_member(user, "series_id"))


def readinglists_changeable_by(user):
    """Lists the user may add to and edit: their series' lists, and lists without a series."""
    if not _is_member(user):
        return ReadingList.objects.none()
    if series_sees_all(user):
        return ReadingList.objects.all()
    return ReadingList.objects.filter(Q(series__isnull=True) | series_of_member(user, "series_id"))


def resources_recent(*, user, limit: int = 5):
    return list(resources_visible_to(user).prefetch_related("tags").order_by("-created_at", "-pk")[:limit])


@dataclass
class LibraryFilters:
    tags: list[str] = field(default_factory=list)
    kind: str = ""
    health: str = ""
    series: str = ""
    added_by: str = ""
    q: str = ""
    sort: str = "added"


def resources_filter(*, user, filters: LibraryFilters):
    """The library page's list: every filter must match (all tags, kind, health, series, adder)."""
    qs = resources_visible_to(user)
    for tag in filters.tags:
        qs = qs.filter(tags__name__iexact=tag)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.health:
        qs = qs.filter(health=filters.health)
    if filters.series:
        qs = qs.filter(
            Exists(
                Mention.objects.filter(
                    resource=OuterRef("pk"),
                    meeting__series__slug=filters.series,
                    meeting__series__in=series_visible_to(user),
                )
            )
        )
    if filters.added_by:
        qs = qs.filter(added_by__username=filters.added_by)
    if filters.q:
        qs = resources_search(qs=qs, q=filters.q)
        order = (
            ("-rank", *SORTS["added"])
            if filters.sort == "added" and connection.vendor == "postgresql"
            else SORTS.get(filters.sort, SORTS["added"])
        )
    else:
        order = SORTS.get(filters.sort, SORTS["added"])
    return qs.select_related("added_by").prefetch_related("tags").order_by(*order)


def _search_words(q: str) -> list[str]:
    return re.findall(r"\w[\w\-.]*", q)[:10]


def _headline(field: str, query, **options):
    """A PostgreSQL snippet with matches between \\x02 and \\x03, which snippet_html marks safely."""
    from django.contrib.postgres.search import SearchHeadline

    return SearchHeadline(
        field,
        query,
        config="english",
        start_sel="\x02",
        stop_sel="\x03",
        max_words=30,
        min_words=12,
        **options,
    )


def resources_search(*, qs, q: str):
    """Full-text search ranked on PostgreSQL (GIN index); every word must appear on SQLite."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank

        query = SearchQuery(q, search_type="websearch", config="english")
        return qs.filter(search_vector=query).annotate(
            rank=SearchRank(F("search_vector"), query),
            snippet=_headline("search_text", query, max_fragments=2, fragment_delimiter=" … "),
        )
    for word in _search_words(q):
        qs = qs.filter(search_text__icontains=word)
    return qs


def snippet_html(text: str | None, q: str) -> str:
    """Escape a snippet and mark the matched words (PostgreSQL marks them, SQLite does not)."""
    if not text:
        return ""
    if "\x02" in text:
        html = escape(text).replace("\x02", "<mark>").replace("\x03", "</mark>")
        return mark_safe(html)
    words = _search_words(q)
    lowered = text.lower()
    start = min((lowered.find(w.lower()) for w in words if w.lower() in lowered), default=0)
    excerpt = text[max(0, start - 80) : start + 160]
    html = escape(excerpt)
    for word in words:
        html = re.sub(f"({re.escape(escape(word))})", r"<mark>\1</mark>", html, flags=re.IGNORECASE)
    return mark_safe(("… " if start > 80 else "") + html + " …")


def minutes_search(*, user, q: str, limit: int = 20):
    """Minutes and recaps whose text matches, in series the user can see."""
    qs = Minutes.objects.filter(revision__gt=0, meeting__series__in=series_visible_to(user)).select_related(
        "meeting__series"
    )
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        query = SearchQuery(q, search_type="websearch", config="english")
        vector = SearchVector("body", config="english")
        return list(
            qs.annotate(rank=SearchRank(vector, query))
            .filter(rank__gt=0)
            .annotate(snippet=_headline("body", query))
            .order_by("-rank", "-updated_at")[:limit]
        )
    for word in _search_words(q):
        qs = qs.filter(body__icontains=word)
    results = list(qs.order_by("-updated_at")[:limit])
    for doc in results:
        doc.snippet = doc.body
    return results


def tag_counts(*, qs):
    """Tags used on the given resources, with how many of them carry each."""
    content_type = ContentType.objects.get_for_model(Resource)
    return list(
        TaggedItem.objects.filter(content_type=content_type, object_id__in=qs.order_by().values("pk"))
        .values("tag__name", "tag__pk")
        .annotate(count=Count("pk"))
        .order_by("tag__name")
    )


def tags_visible_to(user):
    """Tags carried by at least one resource the user may see."""
    content_type = ContentType.objects.get_for_model(Resource)
    used = TaggedItem.objects.filter(
        content_type=content_type, object_id__in=resources_visible_to(user).order_by().values("pk")
    )
    return Tag.objects.filter(pk__in=used.values("tag_id"))


def resource_get_visible(*, user, pk: int) -> Resource:
    resource = (
        resources_visible_to(user)
        .filter(pk=pk)
        .select_related("added_by")
        .prefetch_related(
            "tags",
            Prefetch(
                "mentions",
                queryset=Mention.objects.filter(meeting__series__in=series_visible_to(user))
                .select_related("meeting__series")
                .order_by("meeting__start", "meeting__sequence", "pk"),
            ),
            Prefetch("reading_lists", queryset=readinglists_visible_to(user).order_by("title")),
        )
        .first()
    )
    if resource is None:
        raise Http404("No such resource.")
    return resource


def meeting_resources(*, meeting):
    """The resources a meeting mentions, each once, with the sections that mention them."""
    mentions = (
        Mention.objects.filter(meeting=meeting)
        .select_related("resource")
        .prefetch_related("resource__tags")
        .order_by("pk")
    )
    by_resource: dict[int, tuple[Resource, list[str]]] = {}
    for mention in mentions:
        entry = by_resource.setdefault(mention.resource_id, (mention.resource, []))
        entry[1].append(mention.get_section_display())
    return list(by_resource.values())


def readinglist_get_visible(*, user, pk: int) -> ReadingList:
    reading_list = (
        readinglists_visible_to(user)
        .filter(pk=pk)
        .select_related("series", "created_by")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ReadingListItem.objects.select_related("resource").prefetch_related(
                    "resource__tags"
                ),
            )
        )
        .first()
    )
    if reading_list is None:
        raise Http404("No such reading list.")
    return reading_list


def readinglists_list(*, user):
    return (
        readinglists_visible_to(user)
        .select_related("series", "created_by")
        .annotate(item_count=Count("items"))
    )
