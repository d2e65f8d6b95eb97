import secrets

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from meetings import selectors, selectors_rota
from meetings.forms import add_service_errors
from meetings.forms.rota import (
    MoveForm,
    ReassignForm,
    SkipDateForm,
    SwapAskForm,
    SwapSlotsForm,
    TermForm,
    UnavailabilityForm,
)
from meetings.models import Meeting, Series, SkipDate, SwapRequest, Talk
from meetings.services import calendars, rota
from meetings.views.common import bad_request, next_or, refuse

User = get_user_model()


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _rota_url(series: Series) -> str:
    return reverse("series-rota", kwargs={"slug": series.slug})


def _next(request, default: str) -> str:
    return next_or(request, default)


# The rota page


def series_rota(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    can_edit = request.user.has_perm("meetings.edit_rota", series)
    meetings = selectors_rota.rota_meetings(series=series)
    swaps = selectors_rota.rota_swaps_pending(series=series) if request.user.is_authenticated else []
    swaps_by_talk: dict[int, list[SwapRequest]] = {}
    for swap in swaps:
        swaps_by_talk.setdefault(swap.from_talk_id, []).append(swap)
        swaps_by_talk.setdefault(swap.to_talk_id, []).append(swap)
    rows, unconfirmed = [], []
    for meeting in meetings:
        talks = list(meeting.talks.all())
        for talk in talks:
            talk.pending_swaps = swaps_by_talk.get(talk.pk, [])
            if talk.speaker_id and talk.confirmed_at is None and meeting.status == Meeting.Status.SCHEDULED:
                unconfirmed.append(talk)
        rows.append((meeting, talks))
    # Swapping needs two slots: with fewer the form would offer nothing to choose.
    swappable = [m for m in meetings if m.status != Meeting.Status.CANCELLED]
    return render(
        request,
        "meetings/rota.html",
        {
            "series": series,
            "rows": rows,
            "swaps": swaps,
            "unconfirmed": unconfirmed,
            "can_edit": can_edit,
            "people": list(selectors.people_who_may_read(series=series)) if can_edit else [],
            "swap_form": SwapSlotsForm(meetings=swappable) if can_edit and len(swappable) > 1 else None,
        },
    )


# Generating a term


def _term_form(request, series, data=None):
    return TermForm(
        data,
        pool_queryset=selectors_rota.speaker_pool_of(series=series),
        initial={"pool": list(selectors_rota.speaker_pool_of(series=series)), "use_queue": True},
    )


@login_required
def term_generate(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(request, "meetings.edit_rota", series, "Only this series' organisers make its rota."):
        return denied
    form = _term_form(request, series, request.POST or None)
    context = {"series": series, "form": form, "skip_form": SkipDateForm(), "preview": None}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        pool = list(data["pool"])
        context["use_queue"] = data["use_queue"]
        try:
            if request.POST.get("action") == "confirm":
                created = rota.rota_generate(
                    series=series,
                    start=data["start"],
                    end=data["end"],
                    pool=pool,
                    by=request.user,
                    expected=data["fingerprint"],
                    use_queue=data["use_queue"],
                )
                messages.success(
                    request,
                    f"Rota saved: {len(created)} meeting{'s' if len(created) != 1 else ''} created; "
                    "the speakers are asked to confirm.",
                )
                return redirect(_rota_url(series))
            context["preview"] = rota.rota_preview(
                series=series, start=data["start"], end=data["end"], pool=pool, use_queue=data["use_queue"]
            )
        except rota.RotaChanged as changed:
            context["preview"] = changed.preview
            context["changed"] = True
        except ValidationError as error:
            add_service_errors(form, error)
    if context["preview"] is not None:
        return render(request, "meetings/term_preview.html", context)
    context["skip_dates"] = list(SkipDate.objects.filter(series=series).order_by("date"))
    return render(
        request,
        "meetings/term_generate.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def skip_date_edit(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(
        request, "meetings.edit_rota", series, "Only this series' organisers set skip dates."
    ):
        return denied
    form = SkipDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid date for the skip date.")
    elif request.POST.get("action") == "remove":
        rota.skip_date_remove(series=series, day=form.cleaned_data["date"])
        messages.success(request, f"{form.cleaned_data['date']:%-d %b %Y} is a meeting date again.")
    else:
        rota.skip_date_add(series=series, day=form.cleaned_data["date"], reason=form.cleaned_data["reason"])
        messages.success(request, f"No meeting on {form.cleaned_data['date']:%-d %b %Y}.")
    return redirect("series-rota-generate", slug=series.slug)


# Editing the rota (organisers)


def _meeting_to_edit(request, slug, pk):
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    denied = refuse(request, "meetings.edit_rota", meeting, "Only this series' organisers edit its rota.")
    return meeting, denied


def _back_to_rota(request, meeting, action):
    try:
        action()
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect(f"{_rota_url(meeting.series)}#meeting-{meeting.pk}")
    return None


@login_required
@require_POST
def rota_reassign(request, slug, pk):
    meeting, denied = _meeting_to_edit(request, slug, pk)
    if denied:
        return denied
    form = ReassignForm(request.POST, people=selectors.people_who_may_read(series=meeting.series))
    if not form.is_valid():
        return bad_request(request, "Choose a member.")
    speaker = form.cleaned_data["speaker"]
    if failed := _back_to_rota(
        request, meeting, lambda: rota.rota_reassign(meeting=meeting, speaker=speaker, by=request.user)
    ):
        return failed
    messages.success(request, f"{meeting.label}: {speaker.name} presents; they are asked to confirm.")
    return redirect(f"{_rota_url(meeting.series)}#meeting-{meeting.pk}")


@login_required
@require_POST
def rota_cancel(request, slug, pk):
    meeting, denied = _meeting_to_edit(request, slug, pk)
    if denied:
        return denied
    rota.rota_cancel(meeting=meeting, by=request.user)
    messages.success(request, f"{meeting.label} is cancelled; its speaker goes to the front of the queue.")
    return redirect(f"{_rota_url(meeting.series)}#meeting-{meeting.pk}")


@login_required
@require_POST
def rota_move(request, slug, pk):
    meeting, denied = _meeting_to_edit(request, slug, pk)
    if denied:
        return denied
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a valid new date.")
        return redirect(f"{_rota_url(meeting.series)}#meeting-{meeting.pk}")
    if failed := _back_to_rota(
        request,
        meeting,
        lambda: rota.rota_move(meeting=meeting, day=form.cleaned_data["date"], by=request.user),
    ):
        return failed
    messages.success(request, f"Moved to {meeting.label}.")
    return redirect(f"{_rota_url(meeting.series)}#meeting-{meeting.pk}")


@login_required
@require_POST
def rota_swap(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(request, "meetings.edit_rota", series, "Only this series' organisers edit its rota."):
        return denied
    meetings = [
        m for m in selectors_rota.rota_meetings(series=series) if m.status != Meeting.Status.CANCELLED
    ]
    form = SwapSlotsForm(request.POST, meetings=meetings)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(_rota_url(series))
    by_pk = {m.pk: m for m in meetings}
    first, second = by_pk[form.cleaned_data["first"]], by_pk[form.cleaned_data["second"]]
    try:
        rota.rota_swap(first=first, second=second, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Swapped the speakers of {first.label} and {second.label}.")
    return redirect(_rota_url(series))


# Swap requests (members)


def _talk_visible(request, pk) -> Talk:
    talk = (
        Talk.objects.select_related("meeting__series", "speaker")
        .filter(pk=pk, meeting__series__in=selectors.series_visible_to(request.user))
        .first()
    )
    if talk is None:
        raise Http404("No such talk.")
    return talk


@login_required
def swap_ask(request, pk):
    talk = _talk_visible(request, pk)
    if denied := refuse(request, "meetings.ask_swap", talk, "Only the speaker can offer their slot."):
        return denied
    targets = selectors_rota.swap_targets(talk=talk)
    form = SwapAskForm(request.POST or None, targets=targets)
    if request.method == "POST" and form.is_valid():
        other = next(t for t in targets if t.pk == form.cleaned_data["to_talk"])
        try:
            rota.swap_request_ask(
                from_talk=talk, to_talk=other, by=request.user, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Asked {other.speaker_name} to swap; they get an email.")
            return redirect(_rota_url(talk.meeting.series))
    return render(
        request,
        "meetings/rota_swap_ask.html",
        {"talk": talk, "series": talk.meeting.series, "form": form, "targets": targets},
        status=400 if request.method == "POST" else 200,
    )


SWAP_ACTIONS = {
    "accept": ("meetings.answer_swap", "Swap done: both meetings changed."),
    "decline": ("meetings.answer_swap", "Swap declined."),
    "approve": ("meetings.approve_swap", "Swap approved: both meetings changed."),
    "cancel": (None, "Swap request withdrawn."),
}


@login_required
@require_POST
def swap_decide(request, pk, action):
    swap = selectors_rota.swap_get(pk=pk)
    if swap is None or action not in SWAP_ACTIONS:
        raise Http404("No such swap request.")
    series = swap.from_talk.meeting.series
    if not request.user.has_perm("meetings.view_series", series):
        raise Http404("No such swap request.")
    perm, done = SWAP_ACTIONS[action]
    if perm and (denied := refuse(request, perm, swap, "You cannot answer this swap request.")):
        return denied
    services = {
        "accept": rota.swap_request_accept,
        "decline": rota.swap_request_decline,
        "approve": rota.swap_request_approve,
        "cancel": rota.swap_request_cancel,
    }
    try:
        services[action](swap=swap, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, done)
    return redirect(_next(request, _rota_url(series)))


# Confirming a talk


@login_required
@require_POST
def talk_confirm(request, pk):
    talk = _talk_visible(request, pk)
    if denied := refuse(request, "meetings.confirm_talk", talk, "Only the speaker can confirm this talk."):
        return denied
    try:
        rota.talk_confirm(talk=talk, by=request.user)
    except ValidationError as error:
        # A superuser passes every rule, but is still not the speaker.
        raise PermissionDenied(" ".join(error.messages)) from None
    messages.success(request, "Thank you: your talk is confirmed.")
    return redirect(_next(request, talk.meeting.get_absolute_url()))


@never_cache
def talk_confirm_token(request, token):
    talk = rota.talk_from_confirm_token(token=token)
    if talk is None:
        return render(request, "meetings/rota_confirm.html", {"talk": None}, status=410)
    # GET only shows the button: mail scanners follow links, and must not confirm for the speaker.
    if request.method == "POST":
        rota.talk_confirm(talk=talk, by=talk.speaker)
        messages.success(request, "Thank you: your talk is confirmed.")
        return redirect(talk.meeting.get_absolute_url())
    return render(request, "meetings/rota_confirm.html", {"talk": talk, "meeting": talk.meeting})


# Members: unavailable dates and speaker pools


@login_required
def rota_availability(request):
    user = request.user
    pools = selectors_rota.pool_series_for(user=user)
    series_choices = Series.objects.filter(pk__in=[s.pk for s in pools]).order_by("name")
    form = UnavailabilityForm(
        request.POST if request.POST.get("action") == "add" else None, series_choices=series_choices
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "add" and form.is_valid():
            data = form.cleaned_data
            try:
                rota.unavailability_add(user=user, day=data["date"], series=data["series"], note=data["note"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Noted: you cannot present on {data['date']:%-d %b %Y}.")
                return redirect("rota-availability")
        elif action == "remove":
            try:
                rota.unavailability_remove(user=user, pk=int(request.POST.get("pk", "")))
            except ValueError:
                return bad_request(request, "pk must be a number.")
            messages.success(request, "Date removed.")
            return redirect("rota-availability")
        elif action in ("opt-in", "opt-out"):
            series = next((s for s in pools if str(s.pk) == request.POST.get("series")), None)
            if series is None:
                return bad_request(request, "You do not belong to that series.")
            rota.speaker_pool_set(series=series, user=user, opted_in=action == "opt-in")
            messages.success(
                request,
                f"You are {'in' if action == 'opt-in' else 'out of'} the speaker pool of {series.name}.",
            )
            return redirect("rota-availability")
        elif action != "add":
            return bad_request(request, "Unknown action.")
    incoming, outgoing = selectors_rota.swap_requests_for(user=user)
    return render(
        request,
        "meetings/rota_availability.html",
        {
            "form": form,
            "dates": selectors_rota.unavailable_dates_of(user=user),
            "pools": pools,
            "talks": selectors_rota.talks_upcoming_for(user=user),
            "incoming": incoming,
            "outgoing": outgoing,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# Calendars


def _ics(request, body: bytes, filename: str, *, private: bool) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    disposition = "attachment" if request.GET.get("download") else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300" if private else "public, max-age=300"
    return response


def _series_ics(request, series, *, private: bool) -> HttpResponse:
    """The series' calendar from the cache, or 304 Not Modified when the client has this version."""
    cached = calendars.series_calendar_cached(series=series)
    # HTTP dates have whole seconds.
    changed = int(cached.last_modified.timestamp())
    not_modified = get_conditional_response(request, etag=cached.etag, last_modified=changed)
    response = not_modified or _ics(request, cached.body, f"{series.slug}.ics", private=private)
    response["ETag"] = cached.etag
    response["Last-Modified"] = http_date(changed)
    if not_modified is not None:
        response["Cache-Control"] = "private, max-age=300" if private else "public, max-age=300"
    return response


def series_calendar(request, slug):
    # Members-only series 404 for visitors here; calendar apps use the token address instead.
    series = selectors.series_get_visible(user=request.user, slug=slug)
    return _series_ics(request, series, private=not series.is_public)


def series_calendar_private(request, slug, token):
    series = Series.objects.filter(slug=slug).exclude(calendar_token="").first()
    if series is None or not secrets.compare_digest(series.calendar_token, token):
        raise Http404("No such calendar.")
    return _series_ics(request, series, private=True)


def _feed_links(request, path: str) -> dict:
    https = request.build_absolute_uri(path)
    return {
        "https": https,
        "webcal": "webcal://" + https.split("://", 1)[1],
        "download": path + "?download=1",
    }


def series_calendar_links(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if series.is_public:
        path = reverse("series-calendar", kwargs={"slug": series.slug})
    else:
        token = calendars.series_calendar_token(series=series)
        path = reverse("series-calendar-private", kwargs={"slug": series.slug, "token": token})
    links = _feed_links(request, path)
    links["download"] = reverse("series-calendar", kwargs={"slug": series.slug}) + "?download=1"
    return render(
        request,
        "meetings/rota_calendar.html",
        {"series": series, "links": links, "can_edit": request.user.has_perm("meetings.edit_rota", series)},
    )


@login_required
@require_POST
def series_calendar_reset(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    if denied := refuse(request, "meetings.edit_rota", series, "Only organisers can reset the address."):
        return denied
    calendars.series_calendar_token_reset(series=series)
    messages.success(request, "The calendar has a new address; the old one no longer works.")
    return redirect("series-calendar-links", slug=series.slug)


def my_talks_calendar(request, token):
    user = User.objects.filter(calendar_token=token, is_active=True).exclude(calendar_token="").first()
    if user is None or not secrets.compare_digest(user.calendar_token, token):
        raise Http404("No such calendar.")
    return _ics(request, calendars.member_talks_calendar(user=user), "my-talks.ics", private=True)


@login_required
@require_POST
def my_calendar_reset(request):
    had = bool(request.user.calendar_token)
    calendars.user_calendar_token_reset(user=request.user)
    messages.success(
        request,
        "Your talks calendar has a new address; the old one no longer works."
        if had
        else "Your talks calendar is ready: subscribe to the address below.",
    )
    return redirect(_next(request, reverse("profile")))
