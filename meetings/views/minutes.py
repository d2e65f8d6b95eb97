import difflib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from meetings import selectors
from meetings.forms.meetings import KIND_SLUGS, MinutesEditForm
from meetings.markdown import render_markdown
from meetings.models import MinutesRevision
from meetings.services import minutes as minutes_services
from meetings.views.common import refuse

PREVIEW_MAX_CHARS = 200_000


def _kind(kind_slug: str) -> str:
    try:
        return KIND_SLUGS[kind_slug]
    except KeyError:
        raise Http404("No such document.") from None


def diff_lines(old: str, new: str, *, old_label: str, new_label: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs; the template escapes the text."""
    lines = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=3
    ):
        if line.startswith(("+++", "---")):
            css = "file"
        elif line.startswith("@@"):
            css = "hunk"
        elif line.startswith("+"):
            css = "add"
        elif line.startswith("-"):
            css = "del"
        else:
            css = "same"
        lines.append((css, line))
    return lines


@login_required
def minutes_edit(request, slug, pk, kind_slug):
    kind = _kind(kind_slug)
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    if denied := refuse(request, "meetings.edit_minutes", meeting, "Only members can edit minutes."):
        return denied
    minutes = minutes_services.minutes_get(meeting=meeting, kind=kind)
    conflict = None
    status = 200
    if request.method == "POST":
        form = MinutesEditForm(request.POST)
        if form.is_valid():
            try:
                result = minutes_services.minutes_save(
                    meeting=meeting,
                    kind=kind,
                    body=form.cleaned_data["body"],
                    base_revision=form.cleaned_data["base_revision"],
                    by=request.user,
                )
            except minutes_services.MinutesConflict as error:
                current = error.current
                mine = form.cleaned_data["body"].replace("\r\n", "\n")
                conflict = {
                    "current": current,
                    "base_revision": form.cleaned_data["base_revision"],
                    "diff": diff_lines(
                        current.body,
                        mine,
                        old_label=f"saved revision {current.revision} by {current.updated_by or 'someone'}",
                        new_label="your text",
                    ),
                }
                # The next save is based on what is now stored: the member merges and saves again.
                form = MinutesEditForm(initial={"body": mine, "base_revision": current.revision})
                minutes = current
                status = 409
            else:
                if result.changed:
                    messages.success(
                        request, f"{minutes.get_kind_display()} saved (revision {result.minutes.revision})."
                    )
                else:
                    messages.info(request, "No changes to save.")
                return redirect(f"{meeting.get_absolute_url()}?saved={kind}#{kind}")
    else:
        form = MinutesEditForm(initial={"body": minutes.body, "base_revision": minutes.revision})
    return render(
        request,
        "meetings/minutes_edit.html",
        {
            "meeting": meeting,
            "series": meeting.series,
            "minutes": minutes,
            "kind": kind,
            "kind_slug": kind_slug,
            "form": form,
            "conflict": conflict,
            "draft_key": f"clubsite:draft:{meeting.pk}:{kind}",
            "preview_html": minutes.body_html,
        },
        status=status,
    )


@require_POST
def markdown_preview(request):
    """Render Markdown for the editor's live preview (members only; nothing is stored)."""
    if not (request.user.is_authenticated and request.user.is_active):
        return HttpResponse("Sign in to preview.", status=403, content_type="text/plain")
    text = request.POST.get("body", "")
    if len(text) > PREVIEW_MAX_CHARS:
        return HttpResponseBadRequest("Too long to preview.", content_type="text/plain")
    return HttpResponse(render_markdown(text))


def minutes_history(request, slug, pk, kind_slug):
    kind = _kind(kind_slug)
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    minutes = next((doc for doc in meeting.documents.all() if doc.kind == kind), None)
    revisions = list(selectors.revisions_for(minutes=minutes)) if minutes else []
    numbers = {r.number: r for r in revisions}
    diff = None
    a, b = request.GET.get("a"), request.GET.get("b")
    if a and b:
        try:
            old, new = numbers[int(a)], numbers[int(b)]
        except (KeyError, ValueError):
            return HttpResponseBadRequest("Choose two revisions of this document to compare.")
        diff = {
            "old": old,
            "new": new,
            "lines": diff_lines(
                old.body, new.body, old_label=f"revision {old.number}", new_label=f"revision {new.number}"
            ),
        }
    return render(
        request,
        "meetings/minutes_history.html",
        {
            "meeting": meeting,
            "series": meeting.series,
            "minutes": minutes,
            "kind": kind,
            "kind_slug": kind_slug,
            "revisions": revisions,
            "diff": diff,
            "can_edit": request.user.has_perm("meetings.edit_minutes", meeting),
        },
    )


@login_required
@require_POST
def minutes_restore(request, slug, pk, kind_slug):
    kind = _kind(kind_slug)
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    if denied := refuse(request, "meetings.edit_minutes", meeting, "Only members can restore minutes."):
        return denied
    minutes = minutes_services.minutes_get(meeting=meeting, kind=kind)
    try:
        number = int(request.POST.get("number", ""))
        result = minutes_services.minutes_restore(minutes=minutes, number=number, by=request.user)
    except (ValueError, MinutesRevision.DoesNotExist):
        return HttpResponseBadRequest("Choose a revision of this document to restore.")
    messages.success(request, f"Revision {number} restored as revision {result.minutes.revision}.")
    return redirect(reverse("minutes-history", kwargs={"slug": slug, "pk": pk, "kind_slug": kind_slug}))


@login_required
@require_POST
def minutes_publish(request, slug, pk, kind_slug):
    kind = _kind(kind_slug)
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    if denied := refuse(
        request, "meetings.publish_minutes", meeting, "Only this series' organisers can publish minutes."
    ):
        return denied
    minutes = minutes_services.minutes_get(meeting=meeting, kind=kind)
    if minutes.revision == 0 or not minutes.body.strip():
        messages.error(request, "Write something before publishing.")
    elif minutes_services.minutes_publish(minutes=minutes, by=request.user):
        messages.success(request, f"{minutes.get_kind_display()} published; members are being emailed.")
    else:
        messages.info(request, "Already published.")
    return redirect(f"{meeting.get_absolute_url()}#{kind}")
