from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone

from meetings import selectors, selectors_queue
from meetings.forms import add_service_errors
from meetings.forms.meetings import MeetingForm, SeriesForm, TalkFormSet
from meetings.forms.research import ResearchAddForm
from meetings.models import Meeting, Minutes, Series
from meetings.services.series import meeting_save, series_save
from meetings.views.common import refuse
from resources.selectors import meeting_resources, resources_recent


def dashboard(request):
    context = {
        "next_meetings": selectors.dashboard_next_meetings(user=request.user),
        "latest_minutes": selectors.minutes_latest(user=request.user),
        "my_research": selectors.research_items_mine(user=request.user),
        "can_add_series": request.user.has_perm("meetings.add_series"),
        "queue_tops": selectors_queue.suggestions_top_for_member(user=request.user),
        "my_votes": selectors_queue.suggestions_voted_by(user=request.user),
    }
    context["recent_resources"] = resources_recent(user=request.user, limit=5)
    return render(request, "meetings/dashboard.html", context)


def series_list(request):
    series = list(selectors.series_list(user=request.user))
    return render(
        request,
        "meetings/series_list.html",
        {"series_list": series, "can_add_series": request.user.has_perm("meetings.add_series")},
    )


def series_detail(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    upcoming = list(selectors.meetings_upcoming(series=series)[:20])
    past_page = Paginator(selectors.meetings_past(series=series), 10).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/series_detail.html",
        {
            "series": series,
            "upcoming": upcoming,
            "past_page": past_page,
            "can_organise": request.user.has_perm("meetings.change_series", series),
            "can_see_members": request.user.has_perm("meetings.view_members", series),
        },
    )


def _series_form(request, series: Series, *, initial=None, saved_message: str):
    """The series form for creating and editing: validate, save through the service, or re-show."""
    form = SeriesForm(request.POST or None, instance=series, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            series = series_save(
                series=form.save(commit=False),
                by=request.user,
                organisers=form.cleaned_data["organisers"],
                members=form.cleaned_data["members"],
                speaker_pool=form.cleaned_data["speaker_pool"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, saved_message.format(name=series.name))
            return redirect(series)
    return render(
        request, "meetings/series_form.html", {"form": form, "series": series if series.pk else None}
    )


@login_required
def series_create(request):
    if denied := refuse(request, "meetings.add_series", None, "Only organisers can start a new series."):
        return denied
    return _series_form(
        request, Series(), initial={"organisers": [request.user]}, saved_message="Series “{name}” created."
    )


@login_required
def series_edit(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(
        request, "meetings.change_series", series, "Only this series' organisers can edit it."
    ):
        return denied
    return _series_form(request, series, saved_message="Series saved.")


def meeting_detail(request, slug, pk, research_form=None, status=200):
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    can_add_research = request.user.has_perm("meetings.add_researchitem", meeting)
    research_items, carried_over = selectors.research_items_for_meeting(meeting=meeting)
    documents = {doc.kind: doc for doc in meeting.documents.all()}
    previous, following = selectors.meeting_neighbours(meeting=meeting)
    series = meeting.series
    talks = list(meeting.talks.all())
    # "Suggested by … with N votes", and a way to the queue for a speaker whose talk has no paper.
    papers = selectors_queue.suggestions_for_talks(talk_ids=[talk.pk for talk in talks])
    upcoming = meeting.start is None or meeting.start >= timezone.now()
    for talk in talks:
        talk.suggestion = papers.get(talk.pk)
        talk.can_choose_paper = (
            upcoming
            and not talk.resource_id
            and talk.speaker_id == request.user.pk
            and request.user.is_active
        )
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "series": series,
            "minutes": documents.get(Minutes.Kind.MINUTES),
            "recap": documents.get(Minutes.Kind.RECAP),
            "previous": previous,
            "following": following,
            "can_organise": request.user.has_perm("meetings.change_meeting", meeting),
            "can_edit_minutes": request.user.has_perm("meetings.edit_minutes", meeting),
            "saved_kind": request.GET.get("saved", ""),
            "materials": meeting_resources(meeting=meeting),
            "research_items": research_items,
            "carried_over": carried_over,
            "can_add_research": can_add_research,
            "can_change": can_add_research,
            "queue_papers": [talk for talk in talks if talk.suggestion],
            "research_form": research_form or (ResearchAddForm() if can_add_research else None),
        },
        status=status,
    )


def _meeting_form(request, series, meeting):
    with timezone.override(ZoneInfo(series.time_zone)):
        form = MeetingForm(request.POST or None, instance=meeting, prefix="meeting")
        talks = TalkFormSet(request.POST or None, instance=meeting, prefix="talks", series=series)
        if request.method == "POST" and form.is_valid() and talks.is_valid():
            meeting = form.save(commit=False)
            meeting.series = series
            try:
                meeting = meeting_save(meeting=meeting, talks=talks, by=request.user)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return None, meeting
        return render(
            request,
            "meetings/meeting_form.html",
            {"form": form, "talks": talks, "series": series, "meeting": meeting if meeting.pk else None},
        ), meeting


@login_required
def meeting_create(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(
        request, "meetings.add_meeting", series, "Only this series' organisers can schedule meetings."
    ):
        return denied
    meeting = Meeting(
        series=series,
        location=series.location,
        video_link=series.video_link,
        duration=series.default_duration,
    )
    response, meeting = _meeting_form(request, series, meeting)
    if response is not None:
        return response
    messages.success(request, "Meeting scheduled.")
    return redirect(meeting)


@login_required
def meeting_edit(request, slug, pk):
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    if denied := refuse(
        request, "meetings.change_meeting", meeting, "Only this series' organisers can edit meetings."
    ):
        return denied
    response, meeting = _meeting_form(request, meeting.series, meeting)
    if response is not None:
        return response
    messages.success(request, "Meeting saved.")
    return redirect(meeting)
