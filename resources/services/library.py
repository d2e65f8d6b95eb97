"""The library's writes: adding resources (one record per paper), editing, tags, mentions."""

from collections.abc import Iterable

from django.conf import settings
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
) -> tuple[Resource, bool]:
    """Add a link to the library, or find the record it already has (adding the new tags and mention).

    With a meeting and section, the meeting mentions it. `library` says whether the library itself
    holds it (every signed-in account sees it): by default when no meeting is given; a link added
    to a series' reading list passes False, so only what the list's series may see sees it.
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
        )
        resources_visibility_refresh(resource_ids=[resource.pk])
    return resource, created


def _resource_add(
    *, url, by, title="", kind="", tags=(), notes="", meeting=None, section="", library=None
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
                "title_locked": bool(title),
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
                resource.title, resource.title_locked = title[:500], True
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
        if created and resource.has_identifier and settings.LIBRARY_AUTO_FETCH:
            from resources.tasks.metadata import metadata_fetch  # here: the tasks import this module

            transaction.on_commit(lambda: metadata_fetch.delay(resource_ids=[resource.pk]))
        if created and settings.LIBRARY_AUTO_FETCH:
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


def resource_index(*, resource: Resource) -> None:
    """Recompute the resource's search text (and its tsvector on PostgreSQL)."""
    authors = " ".join(
        a.get("name") or f"{a.get('given', '')} {a.get('family', '')}".strip()
        for a in resource.authors
        if isinstance(a, dict)
    )
    tags = " ".join(resource.tags.names())
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
    fields = {"search_text": text}
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchVector
        from django.db.models import Value

        fields["search_vector"] = (
            SearchVector(Value(resource.title), weight="A", config="english")
            + SearchVector(Value(f"{authors} {tags}"), weight="B", config="english")
            + SearchVector(
                Value(f"{resource.abstract} {resource.notes} {resource.venue}"), weight="C", config="english"
            )
        )
    # One UPDATE for the text and (on PostgreSQL) its tsvector.
    Resource.objects.filter(pk=resource.pk).update(**fields)
    resource.search_text = text


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
