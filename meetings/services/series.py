"""Series and meetings: the writes behind the organisers' forms."""

from django.db import transaction

from meetings.markdown import render_markdown
from meetings.models import Meeting, Series
from resources.services.library import mentions_sync


def series_save(*, series: Series, by, organisers=None, members=None, speaker_pool=None) -> Series:
    """Save a series (new or edited), rendering its description; its creator organises it."""
    creating = series.pk is None
    series.description_html = render_markdown(series.description)
    with transaction.atomic():
        series.full_clean()
        series.save()
        if organisers is not None:
            series.organisers.set(organisers)
        if members is not None:
            series.members.set(members)
        if speaker_pool is not None:
            series.speaker_pool.set(speaker_pool)
        if creating and by is not None and not series.organisers.filter(pk=by.pk).exists():
            series.organisers.add(by)
    return series


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
            talks.instance = meeting
            for position, form in enumerate(talks.ordered_forms if talks.can_order else talks.forms):
                if form.instance.pk is None and not form.has_changed():
                    continue
                if form in talks.deleted_forms:
                    continue
                form.instance.order = position
            talks.save()
        mentions_sync(meeting=meeting, section="agenda", html=meeting.agenda_html, by=by)
    return meeting
