"""Research items: raise them at a meeting, assign, tick off, drop with a reason, reorder."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string

from meetings.markdown import render_markdown
from meetings.models import Meeting, ResearchItem, ResearchItemEvent
from meetings.services.import_merge import fields_merge
from meetings.services.research_lines import MAX_TEXT, research_line_read

User = get_user_model()


@dataclass
class ParsedItem:
    line: int
    text: str
    status: str = ResearchItem.Status.OPEN
    reason: str = ""
    assignee: object = None


def research_lines_parse(*, text: str) -> list[ParsedItem]:
    """Read items one per line; `@username` assigns, `[x]` ticks, `~~item~~ reason` drops.

    Raises ValidationError naming the line of anything it cannot accept.
    """
    items, errors = [], []
    usernames = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        read = research_line_read(raw)
        if read is None:
            continue
        assignee = None
        for name in read.usernames:
            user = usernames.get(name.lower())
            if user is None:
                user = User.objects.filter(username__iexact=name, is_active=True).first()
                usernames[name.lower()] = user
            if user is None:
                errors.append(f"Line {number}: nobody is called @{name}.")
            else:
                assignee = user
        line = read.without_mentions() if assignee else read.text
        status, reason = read.status, read.reason
        if not line:
            errors.append(f"Line {number}: the item has no text.")
            continue
        if len(line) > MAX_TEXT:
            errors.append(f"Line {number}: keep an item under {MAX_TEXT} characters.")
            continue
        items.append(ParsedItem(line=number, text=line, status=status, reason=reason, assignee=assignee))
    if errors:
        raise ValidationError({"lines": errors})
    if not items:
        raise ValidationError({"lines": ["Write at least one item, one per line."]})
    return items


def _link_resource(item: ResearchItem, by) -> None:
    """The item's first link joins the library and becomes its resource."""
    from meetings.markdown import links_in_html
    from resources.services.library import resource_add

    for url in links_in_html(item.text_html):
        try:
            resource, _ = resource_add(url=url, by=by, meeting=item.meeting, section="research")
        except ValidationError:
            continue
        item.resource = resource
        return


def _may_be_assigned(user, meeting: Meeting) -> bool:
    """Only someone who may read the series is assigned its items (they are emailed the text)."""
    return user.has_perm("meetings.view_series", meeting.series)


def research_items_add(*, meeting: Meeting, text: str, by) -> list[ResearchItem]:
    """Add items to a meeting, one per line, after its existing ones."""
    parsed = research_lines_parse(text=text)
    outsiders = [
        f"Line {entry.line}: @{entry.assignee.username} is not a member of {meeting.series.name}."
        for entry in parsed
        if entry.assignee is not None and not _may_be_assigned(entry.assignee, meeting)
    ]
    if outsiders:
        raise ValidationError({"lines": outsiders})
    created = []
    with transaction.atomic():
        Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
        last = meeting.research_items.aggregate(last=Max("position"))["last"] or 0
        for offset, entry in enumerate(parsed, start=1):
            item = ResearchItem(
                meeting=meeting,
                text=entry.text,
                text_html=render_markdown(entry.text),
                position=last + offset,
                assignee=entry.assignee,
                raised_by=by,
            )
            if entry.status != ResearchItem.Status.OPEN:
                item.set_status(entry.status, by=by, reason=entry.reason)
            _link_resource(item, by)
            item.save()
            ResearchItemEvent.objects.create(
                item=item,
                actor=by,
                from_status="",
                to_status=item.status,
                reason=item.drop_reason,
                to_assignee=item.assignee,
            )
            created.append(item)
            if item.assignee_id:
                _queue_assignment_email(item)
    return created


def research_item_set_status(*, item: ResearchItem, status: str, by, reason: str = "") -> ResearchItem:
    """Tick, untick or drop an item, keeping who did it and when."""
    with transaction.atomic():
        item = ResearchItem.objects.select_for_update().get(pk=item.pk)
        before = item.set_status(status, by=by, reason=reason)
        if before == item.status and status != ResearchItem.Status.DROPPED:
            return item
        item.save(
            update_fields=["status", "drop_reason", "status_changed_by", "status_changed_at", "updated_at"]
        )
        ResearchItemEvent.objects.create(
            item=item, actor=by, from_status=before, to_status=item.status, reason=item.drop_reason
        )
    return item


def research_item_update(
    *, item: ResearchItem, text: str, assignee, by, resource=None, resource_url: str = ""
):
    """Edit an item's text, assignee and linked resource (a URL pasted here joins the library)."""
    text = " ".join(text.split())
    if not text:
        raise ValidationError({"text": "The item needs some text."})
    if assignee is not None and not _may_be_assigned(assignee, item.meeting):
        raise ValidationError({"assignee": f"{assignee.name} is not a member of {item.meeting.series.name}."})
    with transaction.atomic():
        item = ResearchItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
        before_assignee = item.assignee
        before_resource = item.resource_id
        item.text = text[:MAX_TEXT]
        item.text_html = render_markdown(item.text)
        item.assignee = assignee
        if resource_url:
            from resources.services.library import resource_add

            item.resource, _ = resource_add(url=resource_url, by=by, meeting=item.meeting, section="research")
        else:
            item.resource = resource
        item.save()
        if before_resource != item.resource_id:
            from resources.services.visibility import resources_visibility_refresh

            resources_visibility_refresh(resource_ids=[before_resource, item.resource_id])
        if (before_assignee.pk if before_assignee else None) != (assignee.pk if assignee else None):
            ResearchItemEvent.objects.create(
                item=item,
                actor=by,
                from_status=item.status,
                to_status=item.status,
                from_assignee=before_assignee,
                to_assignee=assignee,
            )
            if assignee is not None:
                _queue_assignment_email(item)
    return item


def research_item_move(*, item: ResearchItem, direction: str) -> None:
    """Move an item up or down among its meeting's items."""
    with transaction.atomic():
        siblings = list(
            ResearchItem.objects.select_for_update()
            .filter(meeting_id=item.meeting_id)
            .order_by("position", "pk")
        )
        index = next(i for i, other in enumerate(siblings) if other.pk == item.pk)
        target = index - 1 if direction == "up" else index + 1
        if not 0 <= target < len(siblings):
            return
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, other in enumerate(siblings, start=1):
            if other.position != position:
                ResearchItem.objects.filter(pk=other.pk).update(position=position)


def _queue_assignment_email(item: ResearchItem) -> None:
    from meetings.tasks import research_item_notify_assignee

    transaction.on_commit(lambda: research_item_notify_assignee.delay(item_id=item.pk))


def research_item_send_assignment_email(*, item: ResearchItem) -> bool:
    """Email the assignee once per assignment; False if already told or they opted out."""
    assignee = item.assignee
    if assignee is None:
        return False
    claimed = (
        ResearchItem.objects.filter(pk=item.pk, assignee=assignee)
        .filter(Q(assignment_notified__isnull=True) | ~Q(assignment_notified=assignee))
        .update(assignment_notified=assignee)
    )
    if not claimed or not assignee.notify_assignments or not assignee.email:
        return False
    meeting = item.meeting
    context = {
        "item": item,
        "meeting": meeting,
        "assignee": assignee,
        "link": settings.SITE_URL + item.get_absolute_url(),
        "board": settings.SITE_URL + "/research/?assignee=mine",
        "site_name": settings.SITE_NAME,
    }
    try:
        send_mail(
            subject=f"[{meeting.series.name}] To research: {item.text[:80]}",
            message=render_to_string("emails/research_assigned.txt", context),
            from_email=None,
            recipient_list=[assignee.email],
        )
    except Exception:
        ResearchItem.objects.filter(pk=item.pk).update(assignment_notified=None)
        raise
    return True


@dataclass
class ImportedItem:
    key: str
    text: str
    position: int
    status: str
    reason: str = ""
    assignee: object = None
    resource: object = None


def _import_values(*, text, status, reason, assignee_id) -> dict:
    return {
        "text": text,
        "status": status,
        "drop_reason": reason if status == ResearchItem.Status.DROPPED else "",
        "assignee_id": assignee_id,
    }


def research_item_import(
    *, meeting: Meeting, entry: ImportedItem, item: ResearchItem | None, by, prefer_document: bool = False
) -> tuple[ResearchItem, str, list]:
    """Create or re-import the item a document keys: (item, created/updated/unchanged, clashes).

    A value the document did not change since the last import never overrides the site's.
    """
    wanted = _import_values(
        text=entry.text,
        status=entry.status,
        reason=entry.reason,
        assignee_id=entry.assignee.pk if entry.assignee else None,
    )
    if item is None:
        item = ResearchItem(
            meeting=meeting,
            text=entry.text,
            text_html=render_markdown(entry.text),
            position=entry.position,
            assignee=entry.assignee,
            resource=entry.resource,
            raised_by=by,
            import_key=entry.key,
            import_base=wanted,
        )
        if entry.status != ResearchItem.Status.OPEN:
            item.set_status(entry.status, by=by, reason=entry.reason)
        item.save()
        ResearchItemEvent.objects.create(
            item=item, actor=by, from_status="", to_status=item.status,
            reason=item.drop_reason, to_assignee=item.assignee,
        )  # fmt: skip
        return item, "created", []
    site = _import_values(
        text=item.text, status=item.status, reason=item.drop_reason, assignee_id=item.assignee_id
    )
    if entry.assignee is None:
        del wanted["assignee_id"]  # an item without @member leaves whoever the site assigned
    changes, clashes = fields_merge(
        base=item.import_base, document=wanted, site=site, prefer_document=prefer_document
    )
    changed = _item_apply(item, changes, entry, by)
    base = {**item.import_base, **wanted}
    if base != item.import_base:
        item.import_base = base
        changed.append("import_base")
    if changed:
        item.save(update_fields=[*changed, "updated_at"])
    return item, ("updated" if set(changed) - {"import_base"} else "unchanged"), clashes


def _item_apply(item: ResearchItem, changes: dict, entry: ImportedItem, by) -> list[str]:
    changed = []
    if "text" in changes:
        item.text, item.text_html = changes["text"], render_markdown(changes["text"])
        changed += ["text", "text_html"]
    if item.position != entry.position:
        item.position = entry.position
        changed.append("position")
    if entry.resource is not None and item.resource_id != entry.resource.pk:
        item.resource = entry.resource
        changed.append("resource")
    if "assignee_id" in changes:
        item.assignee = entry.assignee
        changed.append("assignee")
    if "status" in changes or "drop_reason" in changes:
        status = changes.get("status", item.status)
        reason = changes.get("drop_reason", item.drop_reason)
        before = item.set_status(status, by=by, reason=reason)
        ResearchItemEvent.objects.create(
            item=item, actor=by, from_status=before, to_status=item.status, reason=item.drop_reason
        )
        changed += ["status", "drop_reason", "status_changed_by", "status_changed_at"]
    return changed


def research_items_import_remove(*, meeting: Meeting, keep_keys: list[str]) -> tuple[list, list]:
    """Delete the imported items a document no longer lists: (removed, kept because the site changed them).

    Items raised on the site (no import key) always stay.
    """
    removed, kept = [], []
    for item in meeting.research_items.exclude(import_key="").exclude(import_key__in=keep_keys):
        base = item.import_base
        site = _import_values(
            text=item.text, status=item.status, reason=item.drop_reason, assignee_id=item.assignee_id
        )
        touched = bool(base) and any(base.get(name, value) != value for name, value in site.items())
        (kept if touched else removed).append(item)
    if removed:
        ResearchItem.objects.filter(pk__in=[item.pk for item in removed]).delete()
    return removed, kept
