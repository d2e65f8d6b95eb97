import difflib
import re
import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from meetings import selectors
from meetings.forms.meetings import KIND_SLUGS, MinutesEditForm
from meetings.forms.research import ResearchAddForm
from meetings.markdown import markdown_problem, render_markdown
from meetings.models import MinutesRevision
from meetings.services import minutes as minutes_services
from meetings.throttles import rate_limited
from meetings.views.common import bad_request, refuse


def _kind(kind_slug: str) -> str:
    try:
        return KIND_SLUGS[kind_slug]
    except KeyError:
        raise Http404("No such document.") from None


HUNK_HEADER = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def diff_lines(old: str, new: str, *, old_label: str, new_label: str) -> list[tuple[str, str]]:
    """A unified diff as (css class, line) pairs, hunks headed in words; the template escapes the text."""
    lines = []
    for line in difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=old_label, tofile=new_label, lineterm="", n=3
    ):
        if line.startswith(("+++", "---")):
            continue
        if match := HUNK_HEADER.match(line):
            start = int(match.group(3))
            count = int(match.group(4) or 1)
            end = start + max(count, 1) - 1
            lines.append(("hunk", f"Lines {start} to {end}" if end > start else f"Line {start}"))
            continue
        css = {"+": "add", "-": "del"}.get(line[:1], "same")
        lines.append((css, line))
    return lines


def _merged_note(revisions, *, time_zone: str) -> str:
    """ "Bob's change at 14:02", "Bob's and Carol's changes (latest at 14:05)"."""
    names = []
    for revision in revisions:
        name = revision.author.name if revision.author else "someone"
        if name not in names:
            names.append(name)
    when = timezone.localtime(revisions[-1].created_at, zoneinfo.ZoneInfo(time_zone)).strftime("%H:%M")
    owners = " and ".join(f"{name}'s" for name in names)
    if len(revisions) == 1:
        return f"{owners} change at {when}"
    return f"{owners} changes (the latest at {when})"


def _conflict_context(error, *, time_zone: str) -> dict:
    merge = error.merge
    segments = []
    for kind, part in merge.segments:
        if kind == "same":
            segments.append({"same": part})
        else:
            segments.append({"hunk": part.index, "mine": part.mine, "theirs": part.theirs})
    return {
        "current": error.current,
        "base_revision": error.base_revision,
        "others": _merged_note(error.merged_with, time_zone=time_zone) if error.merged_with else "",
        "hunks": merge.hunks,
        "segments": segments,
    }


@login_required
def minutes_edit(request, slug, pk, kind_slug):
    kind = _kind(kind_slug)
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    if denied := refuse(request, "meetings.edit_minutes", meeting, "Only members can edit minutes."):
        return denied
    minutes = minutes_services.minutes_get(meeting=meeting, kind=kind)
    conflict = None
    preview_html = None
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
                conflict = _conflict_context(error, time_zone=meeting.series.time_zone)
                # The editor holds my text with their changes merged in where we did not overlap;
                # where we did, my version, until I choose. The next save is based on what is stored.
                mine = error.merge.text
                form = MinutesEditForm(initial={"body": mine, "base_revision": current.revision})
                minutes = current
                preview_html = render_markdown(mine)
                status = 409
            else:
                if result.changed:
                    merged = ""
                    if result.merged_with:
                        note = _merged_note(result.merged_with, time_zone=meeting.series.time_zone)
                        merged = f" Merged with {note}."
                    messages.success(
                        request,
                        f"{minutes.get_kind_display()} saved (revision {result.minutes.revision}).{merged}",
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
            "can_add_research": request.user.has_perm("meetings.add_researchitem", meeting),
            "research_form": ResearchAddForm(),
            # Per member and meeting: the next account on this browser is never offered my draft.
            "draft_key": f"clubsite:draft:{request.user.pk}:{meeting.pk}:{kind}",
            "preview_html": minutes.body_html if preview_html is None else preview_html,
        },
        status=status,
    )


@require_POST
@rate_limited("preview", what="previewed Markdown", methods=("POST",))
def markdown_preview(request):
    """Render Markdown for the editor's live preview (members only; nothing is stored)."""
    if not (request.user.is_authenticated and request.user.is_active):
        return HttpResponse("Sign in to preview.", status=403, content_type="text/plain")
    text = request.POST.get("body", "")
    problem = markdown_problem(text)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
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
            return bad_request(request, "Choose two revisions of this document to compare.")
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
        return bad_request(request, "Choose a revision of this document to restore.")
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
