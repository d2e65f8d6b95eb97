"""Reading lists: ordered, curated lists of resources with a note per item."""

from django.db import transaction
from django.db.models import Max

from meetings.markdown import render_markdown
from resources.models import ReadingList, ReadingListItem, Resource
from resources.services.visibility import resources_held_by_lists, resources_visibility_refresh


def readinglist_save(*, reading_list: ReadingList, by=None) -> ReadingList:
    """Save a new or edited reading list with its description rendered.

    Moving a list to another series, or making it public or not, changes who sees its resources.
    """
    if reading_list.pk is None and by is not None:
        reading_list.created_by = by
    reading_list.description_html = (
        render_markdown(reading_list.description) if reading_list.description else ""
    )
    reading_list.full_clean()
    with transaction.atomic():
        before = (
            ReadingList.objects.filter(pk=reading_list.pk).values_list("series_id", "is_public").first()
            if reading_list.pk
            else None
        )
        reading_list.save()
        if before is not None and before != (reading_list.series_id, reading_list.is_public):
            resources_visibility_refresh(resource_ids=resources_held_by_lists(list_ids=[reading_list.pk]))
    return reading_list


def readinglist_delete(*, reading_list: ReadingList) -> None:
    """Delete a list; its resources stay in the library, seen by whoever else holds them."""
    with transaction.atomic():
        held = resources_held_by_lists(list_ids=[reading_list.pk])
        reading_list.delete()
        resources_visibility_refresh(resource_ids=held)


def readinglist_add(
    *, reading_list: ReadingList, resource: Resource, note: str = "", by=None
) -> ReadingListItem:
    """Append a resource to the list (once: adding it again keeps its place and adds the note if new)."""
    with transaction.atomic():
        ReadingList.objects.select_for_update().filter(pk=reading_list.pk).first()
        item = ReadingListItem.objects.filter(reading_list=reading_list, resource=resource).first()
        if item is not None:
            if note and not item.note:
                readinglist_note(item=item, note=note)
            return item
        last = reading_list.items.aggregate(last=Max("position"))["last"]
        item = ReadingListItem.objects.create(
            reading_list=reading_list,
            resource=resource,
            position=(last or 0) + 1,
            note=note,
            note_html=render_markdown(note) if note else "",
            added_by=by,
        )
        resources_visibility_refresh(resource_ids=[resource.pk])
    return item


def readinglist_remove(*, item: ReadingListItem) -> None:
    """Take a resource off the list; it stays in the library, seen by whoever else holds it."""
    with transaction.atomic():
        item.delete()
        resources_visibility_refresh(resource_ids=[item.resource_id])


def readinglist_note(*, item: ReadingListItem, note: str) -> ReadingListItem:
    item.note = note
    item.note_html = render_markdown(note) if note else ""
    item.save(update_fields=["note", "note_html"])
    return item


def readinglist_move(*, item: ReadingListItem, direction: str) -> None:
    """Move an item up, down, to the top or to the bottom; positions are renumbered 1..n."""
    with transaction.atomic():
        ReadingList.objects.select_for_update().filter(pk=item.reading_list_id).first()
        items = list(
            ReadingListItem.objects.filter(reading_list_id=item.reading_list_id).order_by("position", "pk")
        )
        index = next(i for i, other in enumerate(items) if other.pk == item.pk)
        moving = items.pop(index)
        target = {"up": max(index - 1, 0), "down": min(index + 1, len(items)), "top": 0, "bottom": len(items)}
        items.insert(target[direction], moving)
        for position, other in enumerate(items, start=1):
            if other.position != position:
                other.position = position
                other.save(update_fields=["position"])


def readinglist_reorder(*, reading_list: ReadingList, item_ids: list[int]) -> None:
    """Put the list's items in the given order (ids not in the list are refused)."""
    with transaction.atomic():
        items = {
            i.pk: i for i in ReadingListItem.objects.select_for_update().filter(reading_list=reading_list)
        }
        if sorted(item_ids) != sorted(items):
            raise ValueError("The new order must name every item of the list exactly once.")
        for position, pk in enumerate(item_ids, start=1):
            if items[pk].position != position:
                items[pk].position = position
                items[pk].save(update_fields=["position"])
