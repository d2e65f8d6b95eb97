"""Series and meetings: the writes behind the organisers' forms."""

from django.db import transaction

from meetings.markdown import render_markdown
from meetings.models import Meeting, Series, Talk
from meetings.services.import_merge import fields_merge
from resources.services.library import mentions_sync
from resources.services.visibility import resources_held_by_series, resources_visibility_refresh


def series_save(*, series: Series, by, organisers=None, members=None, speaker_pool=None) -> Series:
    """Save a series (new or edited), rendering its description; its creator organises it.

    Organisers are always members. Changing the series' visibility changes who sees the
    resources it holds.
    """
    creating = series.pk is None
    series.description_html = render_markdown(series.description)
    with transaction.atomic():
        series.full_clean()
        before = (
            None
            if creating
            else Series.objects.filter(pk=series.pk).values_list("visibility", flat=True).first()
        )
        series.save()
        if organisers is not None:
            series.organisers.set(organisers)
        if members is not None:
            series.members.set(members)
        if speaker_pool is not None:
            series.speaker_pool.set(speaker_pool)
        if creating and by is not None and not series.organisers.filter(pk=by.pk).exists():
            series.organisers.add(by)
        series_organisers_are_members(series=series)
        if before is not None and before != series.visibility:
            resources_visibility_refresh(resource_ids=resources_held_by_series(series_ids=[series.pk]))
    return series


def series_organisers_are_members(*, series: Series) -> None:
    """Add the series' organisers to its members (an organiser always belongs to the series)."""
    missing = series.organisers.exclude(pk__in=series.members.values("pk"))
    if missing.exists():
        series.members.add(*missing)


def meeting_save(*, meeting: Meeting, talks=None, by=None) -> Meeting:
    """Save a meeting (new or edited) with its agenda rendered, and its talks formset if given."""
    meeting.agenda_html = render_markdown(meeting.agenda)
    with transaction.atomic():
        if meeting.pk is None and not meeting.sequence:
            last = (
                Meeting.objects.filter(series=meeting.series)
                .order_by("-sequence")
                .values_list("sequence", flat=True)
                .first()
            )
            meeting.sequence = (last or 0) + 1
        meeting.full_clean()
        meeting.save()
        if talks is not None:
            talk_resources = set(
                Talk.objects.filter(meeting=meeting, resource__isnull=False).values_list(
                    "resource_id", flat=True
                )
            )
            talks.instance = meeting
            for position, form in enumerate(talks.ordered_forms if talks.can_order else talks.forms):
                if form.instance.pk is None and not form.has_changed():
                    continue
                if form in talks.deleted_forms:
                    continue
                form.instance.order = position
            talks.save()
            # A deleted talk no longer presents its paper.
            talk_resources |= set(
                Talk.objects.filter(meeting=meeting, resource__isnull=False).values_list(
                    "resource_id", flat=True
                )
            )
            resources_visibility_refresh(resource_ids=talk_resources)
        mentions_sync(meeting=meeting, section="agenda", html=meeting.agenda_html, by=by)
    return meeting


# Membership: who belongs to a series (and, for a members-only series, who reads it).


def series_member_add(*, series: Series, user, by=None) -> bool:
    """Make an existing, active account a member of the series; False if it already was one."""
    from django.core.exceptions import ValidationError

    if not user.is_active:
        raise ValidationError({"account": f"{user.name}'s account is deactivated."})
    with transaction.atomic():
        if series.members.filter(pk=user.pk).exists():
            return False
        series.members.add(user)
    return True


def series_member_remove(*, series: Series, user, by=None) -> bool:
    """Take someone out of the series (and its speaker pool); False if they were not a member.

    An organiser cannot be removed: organisers are always members, so they stop organising first.
    """
    from django.core.exceptions import ValidationError

    with transaction.atomic():
        if series.organisers.filter(pk=user.pk).exists():
            raise ValidationError(
                f"{user.name} organises {series.name}: take them off the organisers (Edit series) first."
            )
        if not series.members.filter(pk=user.pk).exists():
            return False
        series.members.remove(user)
        series.speaker_pool.remove(user)
    return True


def talk_import(
    *,
    meeting: Meeting,
    talk: Talk | None,
    speaker,
    guest_name: str,
    title: str,
    resource,
    order: int,
    prefer_document: bool = False,
) -> tuple[Talk, str, list]:
    """Create or re-import a talk an imported document names: (talk, created/updated/unchanged, clashes).

    A title the document did not change since the last import leaves the site's edit alone.
    """
    if talk is None:
        talk = Talk.objects.create(
            meeting=meeting, speaker=speaker, guest_name="" if speaker else guest_name[:200],
            title=title, resource=resource, order=order, import_base={"title": title},
        )  # fmt: skip
        return talk, "created", []
    changed, clashes = [], []
    if title:
        changes, clashes = fields_merge(
            base=talk.import_base, document={"title": title}, site={"title": talk.title},
            prefer_document=prefer_document,
        )  # fmt: skip
        if "title" in changes:
            talk.title = changes["title"]
            changed.append("title")
        if talk.import_base.get("title") != title:
            talk.import_base = {**talk.import_base, "title": title}
            changed.append("import_base")
    if resource is not None and talk.resource_id is None:
        talk.resource = resource
        changed.append("resource")
    if changed:
        talk.save(update_fields=changed)
    return talk, ("updated" if set(changed) - {"import_base"} else "unchanged"), clashes
