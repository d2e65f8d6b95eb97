"""The library's writes: adding resources (one record per paper), editing, tags, mentions."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from meetings.markdown import extract_links, links_in_html, render_markdown
from resources.models import Mention, Resource
from resources.services.links import InvalidLink, ParsedLink, parse_link
from resources.services.visibility import resources_visibility_refresh


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Trim, drop empties and duplicates (case-insensitively), keep the first spelling."""
    seen, result = set(), []
    for tag in tags:
        name = " ".join(str(tag).split()).strip(" ,#")[:100]
        if name and name.lower() not in seen:
            seen.add(name.lower())
            result.append(name)
    return result


def parse_or_error(url: str, field: str = "url") -> ParsedLink:
    try:
        return parse_link(url)
    except InvalidLink as error:
        raise ValidationError({field: str(error)}) from None


def resource_add(
    *,
    url: str,
    by=None,
    title: str = "",
    kind: str = "",
    tags: Iterable[str] = (),
    notes: str = "",
    meeting=None,
    section: str = "",
    library: bool | None = None,
    title_provisional: bool = False,
    queue_checks: bool = True,
) -> tuple[Resource, bool]:
    """Add a link to the library, or find the record it already has (adding the new tags and mention).

    With a meeting and section, the meeting mentions it. `library` says whether the library itself
    holds it (every signed-in account sees it): by default when no meeting is given; a link added
    to a series' reading list passes False, so only what the list's series may see sees it.
    A provisional title (a link's text in an imported document) stands until metadata arrives;
    an importer that queues checks in bulk passes queue_checks=False.
    Returns (resource, created). Raises ValidationError for a link that cannot be added.
    """
    with transaction.atomic():
        resource, created = _resource_add(
            url=url,
            by=by,
            title=title,
            kind=kind,
            tags=tags,
            notes=notes,
            meeting=meeting,
            section=section,
            library=library,
            title_provisional=title_provisional,
            queue_checks=queue_checks,
        )
        resources_visibility_refresh(resource_ids=[resource.pk])
    return resource, created


def resource_add_deferred(
    *,
    url: str,
    by=None,
    title: str = "",
    kind: str = "",
    tags: Iterable[str] = (),
    meeting=None,
    section: str = "",
    library: bool | None = None,
) -> tuple[Resource, bool]:
    """resource_add for an importer adding many links at once, with their link text as provisional titles.

    It refreshes visibility once for all of them and queues their checks in bulk after commit
    (resources_queue_checks), never one task per link.
    """
    return _resource_add(
        url=url, by=by, title=title, kind=kind, tags=tags, meeting=meeting, section=section,
        library=library, title_provisional=True, queue_checks=False,
    )  # fmt: skip


def resources_queue_checks(*, resource_ids: Iterable[int], chunk: int = 500) -> None:
    """After commit, queue link checks for these resources and metadata for those with an arXiv id or DOI."""
    from resources.tasks.health import linkchecks_run  # here: the tasks import this module
    from resources.tasks.metadata import metadata_fetch

    ids = sorted(set(resource_ids))
    if not ids or not settings.LIBRARY_AUTO_FETCH:
        return
    identified = list(
        Resource.objects.filter(pk__in=ids).exclude(arxiv_id="", doi="").values_list("pk", flat=True)
    )

    def queue():
        for start in range(0, len(ids), chunk):
            linkchecks_run.delay(resource_ids=ids[start : start + chunk])
        for start in range(0, len(identified), chunk):
            metadata_fetch.delay(resource_ids=identified[start : start + chunk])

    transaction.on_commit(queue)


def _resource_add(
    *,
    url,
    by,
    title="",
    kind="",
    tags=(),
    notes="",
    meeting=None,
    section="",
    library=None,
    title_provisional=False,
    queue_checks=True,
) -> tuple[Resource, bool]:
    """resource_add without the visibility refresh, for callers that refresh many at once."""
    if library is None:
        library = meeting is None
    parsed = parse_or_error(url)
    title = title.strip()
    tags = clean_tags(tags)
    with transaction.atomic():
        resource, created = Resource.objects.get_or_create(
            url=parsed.url,
            defaults={
                "title": title[:500],
                "title_locked": bool(title) and not title_provisional,
                "kind": kind or parsed.kind,
                "notes": notes,
                "notes_html": render_markdown(notes) if notes else "",
                "added_by": by,
                "arxiv_id": parsed.arxiv_id,
                "arxiv_version": parsed.arxiv_version,
                "doi": parsed.doi,
                "youtube_id": parsed.youtube_id,
                "held_by_library": library,
                # Its fetch (or, without identifiers, the link check reading its page) is
                # queued below: the page says "fetching…" until it has run.
                "metadata_queued_at": timezone.now() if settings.LIBRARY_AUTO_FETCH else None,
            },
        )
        changed = []
        if not created:
            if library and not resource.held_by_library:
                # Added straight to the library by someone who has the link: the library holds it now.
                resource.held_by_library = True
                changed.append("held_by_library")
            if title and not resource.title:
                resource.title, resource.title_locked = title[:500], not title_provisional
                changed += ["title", "title_locked"]
            if parsed.arxiv_version and (resource.arxiv_version or 0) < parsed.arxiv_version:
                resource.arxiv_version = parsed.arxiv_version
                changed.append("arxiv_version")
            if changed:
                resource.save(update_fields=[*changed, "updated_at"])
        if tags:
            resource.tags.add(*tags)
        if meeting is not None and section:
            Mention.objects.get_or_create(resource=resource, meeting=meeting, section=section)
        if created or tags or set(changed) - {"held_by_library"}:
            resource_index(resource=resource)
        if created and queue_checks and resource.has_identifier and settings.LIBRARY_AUTO_FETCH:
            from resources.tasks.metadata import metadata_fetch  # here: the tasks import this module

            transaction.on_commit(lambda: metadata_fetch.delay(resource_ids=[resource.pk]))
        if created and queue_checks and settings.LIBRARY_AUTO_FETCH:
            from resources.tasks.health import linkchecks_run  # here: the tasks import this module

            transaction.on_commit(lambda: linkchecks_run.delay(resource_ids=[resource.pk]))
    return resource, created


def resource_update(
    *, resource: Resource, title: str, kind: str, tags: Iterable[str], notes: str, by=None
) -> Resource:
    """Save a member's edit of a resource; a title they type is kept over fetched metadata."""
    title = title.strip()
    with transaction.atomic():
        if title != resource.title:
            resource.title_locked = bool(title)
        resource.title = title[:500]
        resource.kind = kind
        resource.notes = notes
        resource.notes_html = render_markdown(notes) if notes else ""
        resource.full_clean(exclude=["url"])
        resource.save()
        resource.tags.set(clean_tags(tags))
        resource_index(resource=resource)
    return resource


def _index_parts(resource: Resource, tag_names: Iterable[str]) -> tuple[str, list[tuple[str, str]]]:
    """The resource's search text, and its weighted parts for the tsvector (A title, B authors and
    tags, C abstract, notes and venue): the one definition the library's search reads."""
    authors = " ".join(
        a.get("name") or f"{a.get('given', '')} {a.get('family', '')}".strip()
        for a in resource.authors
        if isinstance(a, dict)
    )
    tags = " ".join(tag_names)
    text = "\n".join(
        part
        for part in [
            resource.title,
            authors,
            resource.venue,
            resource.abstract,
            resource.notes,
            tags,
            resource.url,
        ]
        if part
    )
    weighted = [
        (resource.title, "A"),
        (f"{authors} {tags}", "B"),
        (f"{resource.abstract} {resource.notes} {resource.venue}", "C"),
    ]
    return text, weighted


def _vector(weighted: list[tuple[str, str]]):
    from django.contrib.postgres.search import SearchVector
    from django.db.models import Value

    vector = None
    for text, weight in weighted:
        part = SearchVector(Value(text), weight=weight, config="english")
        vector = part if vector is None else vector + part
    return vector


def resource_index(*, resource: Resource) -> None:
    """Recompute the resource's search text (and its tsvector on PostgreSQL)."""
    text, weighted = _index_parts(resource, resource.tags.names())
    fields = {"search_text": text}
    if connection.vendor == "postgresql":
        fields["search_vector"] = _vector(weighted)
    # One UPDATE for the text and (on PostgreSQL) its tsvector.
    Resource.objects.filter(pk=resource.pk).update(**fields)
    resource.search_text = text


def resources_index_bulk(*, resource_ids: Iterable[int], batch_size: int = 1000) -> None:
    """resource_index for many resources at once: one SELECT and one UPDATE per batch."""
    ids = sorted(set(resource_ids))
    content_type = ContentType.objects.get_for_model(Resource)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        tags: dict[int, list[str]] = {}
        for object_id, name in TaggedItem.objects.filter(
            content_type=content_type, object_id__in=chunk
        ).values_list("object_id", "tag__name"):
            tags.setdefault(object_id, []).append(name)
        rows = []
        for resource in Resource.objects.filter(pk__in=chunk).only(
            "pk", "title", "authors", "venue", "abstract", "notes", "url"
        ):
            text, weighted = _index_parts(resource, sorted(tags.get(resource.pk, [])))
            rows.append((resource.pk, text, [part for part, _ in weighted]))
        if connection.vendor != "postgresql":
            Resource.objects.bulk_update(
                [Resource(pk=pk, search_text=text) for pk, text, _ in rows], ["search_text"]
            )
            continue
        # The weighted parts as parameters of one UPDATE … FROM (VALUES …): the same tsvector
        # as resource_index's, without an expression per row to compile.
        weights = [weight for _, weight in _index_parts(Resource(), [])[1]]
        vector = " || ".join(
            f"setweight(to_tsvector('english', v.part{n}), '{weight}')" for n, weight in enumerate(weights)
        )
        columns = ", ".join(f"part{n}" for n in range(len(weights)))
        values = ", ".join(["(%s::bigint, %s" + ", %s" * len(weights) + ")"] * len(rows))
        params = [value for pk, text, parts in rows for value in (pk, text, *parts)]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE resources_resource AS r SET search_text = v.text, search_vector = {vector} "
                f"FROM (VALUES {values}) AS v(id, text, {columns}) WHERE r.id = v.id",
                params,
            )


def mentions_sync(
    *, meeting, section: str, text: str = "", html: str | None = None, by=None
) -> list[Resource]:
    """Make the links in a meeting's section its mentions: add new ones, drop removed ones.

    A link taken out of the text loses its mention, never its resource.
    """
    resources, seen = [], set()
    before = set(
        Mention.objects.filter(meeting=meeting, section=section).values_list("resource_id", flat=True)
    )
    # Callers that have just rendered the text pass its HTML, so it is not rendered twice.
    for url in links_in_html(html) if html is not None else extract_links(text):
        try:
            parsed = parse_link(url)
        except InvalidLink:
            continue
        if parsed.url in seen:
            continue
        seen.add(parsed.url)
        resource, _ = _resource_add(url=url, by=by, meeting=meeting, section=section)
        resources.append(resource)
    Mention.objects.filter(meeting=meeting, section=section).exclude(
        resource__in=[r.pk for r in resources]
    ).delete()
    resources_visibility_refresh(resource_ids=before | {r.pk for r in resources})
    return resources


def resource_delete(*, resource: Resource) -> None:
    """Delete a resource from the library, with its mentions, list items and checks."""
    resource.delete()


def tag_rename(*, tag: Tag, name: str) -> Tag:
    """Rename a tag; renaming onto an existing tag (any case) merges the two."""
    name = clean_tags([name])
    if not name:
        raise ValidationError({"name": "Give the tag a name."})
    existing = Tag.objects.filter(name__iexact=name[0]).exclude(pk=tag.pk).first()
    if existing:
        return tags_merge(sources=[tag], target=existing)
    tag.name = name[0]
    tag.slug = ""
    tag.save()  # taggit makes a new unique slug from the name
    return tag


def tags_merge(*, sources: Iterable[Tag], target: Tag) -> Tag:
    """Move every use of the source tags onto the target tag and delete the sources."""
    with transaction.atomic():
        for source in sources:
            if source.pk == target.pk:
                continue
            already = TaggedItem.objects.filter(tag=target).values_list("content_type_id", "object_id")
            already = set(already)
            for item in TaggedItem.objects.filter(tag=source):
                if (item.content_type_id, item.object_id) in already:
                    item.delete()
                else:
                    item.tag = target
                    item.save(update_fields=["tag"])
            source.delete()
        for resource in Resource.objects.filter(tags=target):
            resource_index(resource=resource)
    return target


def resource_adopt_redirect(*, resource: Resource, by=None) -> Resource:
    """Store the address a link permanently redirects to, keeping the record, its tags and mentions.

    Refused (ValidationError) when the new address is already another record in the library.
    """
    target = resource.permanent_redirect_url
    if not target:
        raise ValidationError("This link has not moved permanently.")
    parsed = parse_or_error(target)
    with transaction.atomic():
        clash = Resource.objects.filter(url=parsed.url).exclude(pk=resource.pk).first()
        if clash is not None:
            raise ValidationError(
                f"The new address is already in the library as “{clash}”; edit or delete one of the two."
            )
        resource.url = parsed.url
        resource.permanent_redirect_url = ""
        if parsed.arxiv_id and not resource.arxiv_id:
            resource.arxiv_id, resource.arxiv_version = parsed.arxiv_id, parsed.arxiv_version
        if parsed.doi and not resource.doi:
            resource.doi = parsed.doi
        resource.save(
            update_fields=["url", "permanent_redirect_url", "arxiv_id", "arxiv_version", "doi", "updated_at"]
        )
        resource_index(resource=resource)
    return resource
