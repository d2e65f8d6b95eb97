"""The paper queue's pages: the ranked queue with its suggest form, a suggestion's page (votes,
comments, claiming), and the organisers' archive. Votes change without a reload (htmx)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from meetings import selectors, selectors_queue
from meetings.forms import add_service_errors
from meetings.forms.queue import (
    ARCHIVE_REASONS,
    ArchiveForm,
    ClaimForm,
    CommentForm,
    QueueFilterForm,
    SuggestForm,
    SuggestionEditForm,
    VoteForm,
)
from meetings.models import Suggestion, SuggestionComment
from meetings.services import queue
from meetings.views.common import next_or, refuse

PAGE_SIZE = 25


def _filters(request) -> selectors_queue.QueueFilters:
    form = QueueFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    return selectors_queue.QueueFilters(
        state=data.get("state") or "open",
        kind=data.get("kind") or "",
        tag=(data.get("tag") or "").strip(),
        would_present=bool(data.get("would_present")),
        unvoted=bool(data.get("unvoted")) and request.user.is_authenticated,
    )


def _queue_page(request, series, filters):
    number = request.GET.get("page")
    if filters.state == "open":
        return Paginator(
            selectors_queue.queue_ranked(series=series, user=request.user, filters=filters), PAGE_SIZE
        ).get_page(number)
    page = Paginator(
        selectors_queue.queue_history(series=series, user=request.user, filters=filters), PAGE_SIZE
    ).get_page(number)
    page.object_list = selectors_queue.suggestions_attach_votes(page.object_list, user=request.user)
    return page


def series_queue(request, slug):
    """The ranked queue, its filters and (for members) the suggest form, which posts here."""
    series = selectors.series_get_visible(user=request.user, slug=slug)
    can_suggest = request.user.has_perm("meetings.add_suggestion", series)
    form, status = None, 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if denied := refuse(
            request, "meetings.add_suggestion", series, "Only this series' members suggest papers for it."
        ):
            return denied
        form = SuggestForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                done = queue.suggestion_create(
                    series=series,
                    url=form.cleaned_data["url"],
                    by=request.user,
                    pitch=form.cleaned_data["pitch"],
                    would_present=form.cleaned_data["would_present"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            except queue.SuggestionLimitReached as refused:
                form.add_error(None, str(refused))
                status = 429
            else:
                return _after_suggesting(request, done)
    elif can_suggest:
        form = SuggestForm()
    filters = _filters(request)
    query = {key: value for key, value in request.GET.items() if key != "page" and value}
    return render(
        request,
        "meetings/queue.html",
        {
            "series": series,
            "form": form,
            "can_suggest": can_suggest,
            "can_vote": request.user.has_perm("meetings.vote_suggestion", series),
            "can_see_voters": request.user.has_perm("meetings.see_voters", series),
            "filters": filters,
            "filter_form": QueueFilterForm(request.GET or None),
            "page": _queue_page(request, series, filters),
            "counts": selectors_queue.queue_counts(series=series),
            "tags": selectors_queue.queue_tags(series=series),
            "query_without_page": urlencode(query),
            "next": request.get_full_path(),
        },
        status=status,
    )


def _after_suggesting(request, done: queue.Suggested):
    suggestion = done.suggestion
    title = suggestion.resource.title or suggestion.resource.url
    if not done.created:
        who = suggestion.suggested_by.name if suggestion.suggested_by else "someone"
        messages.info(
            request,
            f"“{title}” is already in the queue (suggested by {who} on "
            f"{suggestion.created_at:%-d %b %Y}): your vote is counted there.",
        )
    else:
        messages.success(request, f"“{title}” is in the queue, with your vote.")
    if done.presented_on:
        messages.warning(request, f"Note: the series already presented this paper, on {done.presented_on}.")
    return redirect(suggestion)


def _suggestion(request, slug, pk) -> Suggestion:
    return selectors_queue.suggestion_get_visible(user=request.user, slug=slug, pk=pk)


def _claimable(request, suggestion):
    can_assign = request.user.has_perm("meetings.edit_rota", suggestion.series)
    talks = selectors_queue.talks_claimable(suggestion=suggestion, user=request.user, can_assign=can_assign)
    return [talk for talk in talks if request.user.has_perm("meetings.claim_for_talk", talk)], can_assign


def _detail(request, suggestion, *, comment_form=None, claim_form=None, status=200):
    user = request.user
    talks, can_assign = _claimable(request, suggestion) if suggestion.status == "open" else ([], False)
    if claim_form is None and talks:
        claim_form = ClaimForm(talks=talks)
    can_comment = user.has_perm("meetings.comment_suggestion", suggestion)
    comments = selectors_queue.suggestion_comments(suggestion=suggestion)
    for comment in comments:
        comment.suggestion = suggestion  # one series object: the rules ask about it once
        comment.can_delete = user.has_perm("meetings.delete_suggestion_comment", comment)
    return render(
        request,
        "meetings/suggestion_detail.html",
        {
            "series": suggestion.series,
            "suggestion": suggestion,
            "comments": comments,
            "comment_form": comment_form or (CommentForm() if can_comment else None),
            "claim_form": claim_form,
            "can_assign": can_assign,
            "can_vote": user.has_perm("meetings.vote_suggestion", suggestion),
            "can_see_voters": user.has_perm("meetings.see_voters", suggestion),
            "can_change": user.has_perm("meetings.change_suggestion", suggestion),
            "can_delete": user.has_perm("meetings.delete_suggestion", suggestion)
            and suggestion.status in ("open", "archived"),
            "can_archive": user.has_perm("meetings.archive_suggestion", suggestion),
            "can_release": suggestion.status == "claimed"
            and user.has_perm("meetings.release_suggestion", suggestion),
            "next": suggestion.get_absolute_url(),
        },
        status=status,
    )


def suggestion_detail(request, slug, pk):
    return _detail(request, _suggestion(request, slug, pk))


def _next(request, suggestion) -> str:
    return next_or(request, suggestion.get_absolute_url())


@login_required
@require_POST
def suggestion_vote(request, slug, pk):
    """Vote or withdraw; an htmx request gets the votes fragment back, others a redirect."""
    suggestion = _suggestion(request, slug, pk)
    if denied := refuse(request, "meetings.vote_suggestion", suggestion, "Only the series' members vote."):
        return denied
    form = VoteForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "meetings/_suggestion_votes.html",
            _votes_context(request, suggestion, error=("Choose to vote or to withdraw your vote.")),
            status=400,
        )
    error = ""
    try:
        if form.cleaned_data["vote"] == "up":
            queue.suggestion_vote(suggestion=suggestion, user=request.user)
        else:
            queue.suggestion_unvote(suggestion=suggestion, user=request.user)
    except queue.SuggestionRefused as refused:
        error = str(refused)
    if request.htmx:
        suggestion = _suggestion(request, slug, pk)
        return render(request, "meetings/_suggestion_votes.html", _votes_context(request, suggestion, error))
    if error:
        messages.error(request, error)
    elif form.cleaned_data["vote"] == "up":
        messages.success(request, "Your vote is counted.")
    else:
        messages.success(request, "Your vote is withdrawn.")
    return redirect(_next(request, suggestion))


def _votes_context(request, suggestion, error=""):
    return {
        "suggestion": suggestion,
        "series": suggestion.series,
        "can_vote": request.user.has_perm("meetings.vote_suggestion", suggestion),
        "can_see_voters": request.user.has_perm("meetings.see_voters", suggestion),
        "vote_error": error,
        "next": request.POST.get("next", ""),
    }


@login_required
@require_POST
def suggestion_comment(request, slug, pk):
    suggestion = _suggestion(request, slug, pk)
    if denied := refuse(
        request, "meetings.comment_suggestion", suggestion, "Only the series' members comment."
    ):
        return denied
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            comment = queue.suggestion_comment_add(
                suggestion=suggestion, by=request.user, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Comment added.")
            return redirect(f"{suggestion.get_absolute_url()}#comment-{comment.pk}")
    return _detail(request, suggestion, comment_form=form, status=400)


@login_required
@require_POST
def suggestion_comment_delete(request, slug, pk, comment_pk):
    suggestion = _suggestion(request, slug, pk)
    comment = SuggestionComment.objects.filter(pk=comment_pk, suggestion=suggestion).first()
    if comment is None:
        raise Http404("No such comment.")
    comment.suggestion = suggestion
    if denied := refuse(
        request,
        "meetings.delete_suggestion_comment",
        comment,
        "Only the comment's author or an organiser deletes it.",
    ):
        return denied
    queue.suggestion_comment_delete(comment=comment)
    messages.success(request, "Comment deleted.")
    return redirect(f"{suggestion.get_absolute_url()}#comments")


@login_required
def suggestion_edit(request, slug, pk):
    suggestion = _suggestion(request, slug, pk)
    if denied := refuse(
        request,
        "meetings.change_suggestion",
        suggestion,
        "Only the member who suggested it, or an organiser, edits a suggestion.",
    ):
        return denied
    form = SuggestionEditForm(
        request.POST or None, initial={"pitch": suggestion.pitch, "would_present": suggestion.would_present}
    )
    if request.method == "POST" and form.is_valid():
        try:
            queue.suggestion_update(
                suggestion=suggestion,
                by=request.user,
                pitch=form.cleaned_data["pitch"],
                would_present=form.cleaned_data["would_present"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Suggestion saved.")
            return redirect(suggestion)
    return render(
        request,
        "meetings/suggestion_edit.html",
        {"series": suggestion.series, "suggestion": suggestion, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def suggestion_archive(request, slug, pk):
    """Organisers archive a suggestion with a reason, or put an archived one back (action=restore)."""
    suggestion = _suggestion(request, slug, pk)
    if denied := refuse(
        request,
        "meetings.archive_suggestion",
        suggestion,
        "Only this series' organisers archive suggestions.",
    ):
        return denied
    form = ArchiveForm(request.POST or None, initial={"reason": suggestion.archive_reason})
    if request.method == "POST" and request.POST.get("action") == "restore":
        try:
            queue.suggestion_restore(suggestion=suggestion, by=request.user)
        except queue.SuggestionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, "Back in the queue.")
        return redirect(suggestion)
    if request.method == "POST" and form.is_valid():
        try:
            queue.suggestion_archive(
                suggestion=suggestion, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        except queue.SuggestionRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, "Archived, with your reason.")
            return redirect(suggestion)
    return render(
        request,
        "meetings/suggestion_archive.html",
        {"series": suggestion.series, "suggestion": suggestion, "form": form, "reasons": ARCHIVE_REASONS},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def suggestion_delete(request, slug, pk):
    suggestion = _suggestion(request, slug, pk)
    if denied := refuse(
        request,
        "meetings.delete_suggestion",
        suggestion,
        "Only the member who suggested it, or an organiser, deletes a suggestion.",
    ):
        return denied
    try:
        queue.suggestion_delete(suggestion=suggestion)
    except queue.SuggestionRefused as refused:
        messages.error(request, str(refused))
        return redirect(suggestion)
    messages.success(request, "Suggestion deleted.")
    return redirect(reverse("series-queue", kwargs={"slug": suggestion.series.slug}))


@login_required
@require_POST
def suggestion_claim(request, slug, pk):
    """The speaker claims the suggestion for their upcoming talk; an organiser assigns it to one."""
    suggestion = _suggestion(request, slug, pk)
    talks, _ = _claimable(request, suggestion)
    form = ClaimForm(request.POST, talks=talks)
    if not form.is_valid():
        if not talks:
            form.add_error(None, "You have no upcoming talk in this series to claim it for.")
        return _detail(request, suggestion, claim_form=form, status=400)
    talk = form.cleaned_data["talk"]
    if denied := refuse(
        request,
        "meetings.claim_for_talk",
        talk,
        "Only the talk's speaker, or an organiser, claims a paper for it.",
    ):
        return denied
    try:
        queue.suggestion_claim(suggestion=suggestion, talk=talk, by=request.user)
    except queue.SuggestionRefused as refused:
        messages.error(request, str(refused))
        return redirect(suggestion)
    messages.success(
        request, f"Claimed for {talk.speaker_name}'s talk: {talk.meeting.label}. The meeting page shows it."
    )
    return redirect(suggestion)


@login_required
@require_POST
def suggestion_release(request, slug, pk):
    suggestion = _suggestion(request, slug, pk)
    if denied := refuse(
        request,
        "meetings.release_suggestion",
        suggestion,
        "Only the speaker of the talk that claimed it, or an organiser, releases it.",
    ):
        return denied
    if suggestion.talk_id is None:
        messages.info(request, "No talk has claimed this suggestion.")
        return redirect(suggestion)
    try:
        queue.suggestion_release(suggestion=suggestion, by=request.user)
    except queue.SuggestionRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, "Released: the suggestion is back in the queue.")
    return redirect(suggestion)
