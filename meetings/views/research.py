from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from meetings import selectors
from meetings.forms import add_service_errors
from meetings.forms.research import ResearchAddForm, ResearchDropForm, ResearchEditForm
from meetings.models import ResearchItem
from meetings.services import research
from meetings.views.common import bad_request, refuse
from resources.models import Resource
from resources.selectors import resources_visible_to

User = get_user_model()


def _item(request, pk) -> ResearchItem:
    item = (
        ResearchItem.objects.select_related("meeting__series", "assignee", "resource", "status_changed_by")
        .filter(pk=pk, meeting__series__in=selectors.series_visible_to(request.user))
        .first()
    )
    if item is None:
        raise Http404("No such research item.")
    return item


def _back(item: ResearchItem):
    return redirect(f"{item.meeting.get_absolute_url()}#item-{item.pk}")


def _render_item(request, item: ResearchItem, **extra):
    item = selectors._research_items_qs().get(pk=item.pk)
    return render(
        request,
        "meetings/_research_item.html",
        {"item": item, "can_change": True, "carried": extra.get("carried", False)},
    )


@login_required
@require_POST
def research_add(request, slug, pk):
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    if denied := refuse(
        request, "meetings.add_researchitem", meeting, "Only members can raise research items."
    ):
        return denied
    form = ResearchAddForm(request.POST)
    if form.is_valid():
        try:
            items = research.research_items_add(
                meeting=meeting, text=form.cleaned_data["lines"], by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if request.htmx:
                # Raised from the minutes editor: stay there, with an empty box and what was raised.
                return render(
                    request, "meetings/_research_raise.html", {"form": ResearchAddForm(), "raised": items}
                )
            messages.success(request, f"Added {len(items)} research item{'s' if len(items) != 1 else ''}.")
            return redirect(f"{meeting.get_absolute_url()}#research")
    if request.htmx:
        return render(request, "meetings/_research_raise.html", {"form": form}, status=422)
    # Show the meeting page again with the typed lines and the errors.
    from meetings.views.meetings import meeting_detail

    return meeting_detail(request, slug, pk, research_form=form, status=400)


@login_required
@require_POST
def research_status(request, pk):
    item = _item(request, pk)
    if denied := refuse(
        request, "meetings.change_researchitem", item, "Only members can tick research items."
    ):
        return denied
    status = request.POST.get("status", "")
    if status not in (ResearchItem.Status.OPEN, ResearchItem.Status.DONE):
        return bad_request(request, "status must be open or done (drop an item with a reason instead).")
    item = research.research_item_set_status(item=item, status=status, by=request.user)
    if request.htmx:
        return _render_item(request, item, carried=request.POST.get("carried") == "1")
    messages.success(request, "Ticked off." if status == ResearchItem.Status.DONE else "Reopened.")
    return _back(item)


@login_required
def research_drop(request, pk):
    item = _item(request, pk)
    if denied := refuse(
        request, "meetings.change_researchitem", item, "Only members can drop research items."
    ):
        return denied
    form = ResearchDropForm(request.POST or None, initial={"reason": item.drop_reason})
    if request.method == "POST" and form.is_valid():
        try:
            research.research_item_set_status(
                item=item,
                status=ResearchItem.Status.DROPPED,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Dropped, with your reason.")
            return _back(item)
    return render(
        request,
        "meetings/research_drop.html",
        {"item": item, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def research_edit(request, pk):
    item = _item(request, pk)
    if denied := refuse(
        request, "meetings.change_researchitem", item, "Only members can edit research items."
    ):
        return denied
    mentioned = Resource.objects.filter(mentions__meeting=item.meeting).distinct()
    recent = resources_visible_to(request.user).order_by("-created_at", "-pk")[:30]
    choices = {r.pk: r for r in [*mentioned, *recent]}
    if item.resource_id and item.resource_id not in choices:
        choices[item.resource_id] = item.resource
    form = ResearchEditForm(
        request.POST or None,
        resources=choices.values(),
        initial={"text": item.text, "assignee": item.assignee, "resource": item.resource_id},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            research.research_item_update(
                item=item,
                text=data["text"],
                assignee=data["assignee"],
                by=request.user,
                resource=choices.get(data["resource"]),
                resource_url=data["resource_url"].strip(),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Research item saved.")
            return _back(item)
    history = selectors._research_items_qs().get(pk=item.pk).events.all()
    return render(request, "meetings/research_edit.html", {"item": item, "form": form, "history": history})


@login_required
@require_POST
def research_move(request, pk):
    item = _item(request, pk)
    if denied := refuse(
        request, "meetings.change_researchitem", item, "Only members can reorder research items."
    ):
        return denied
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return bad_request(request, "direction must be up or down.")
    research.research_item_move(item=item, direction=direction)
    return _back(item)


def research_board(request):
    get = request.GET
    assignee, assignee_username, unassigned = None, "", False
    who = get.get("assignee", "")
    if who == "mine":
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        assignee = request.user
    elif who == "nobody":
        unassigned = True
    elif who:
        # Not looked up: whether the name exists is not for this page to tell.
        assignee_username = who[:150]
    status = get.get("status", "open")
    if status not in [*ResearchItem.Status.values, "all"]:
        return bad_request(request, "status must be open, done, dropped or all.")
    try:
        meeting_id = int(get["meeting"]) if get.get("meeting") else None
    except ValueError:
        return bad_request(request, "meeting must be a meeting number.")
    meeting = None
    if meeting_id is not None:
        # Only a meeting the user may see: its title and series are printed (issue 13, finding 2).
        meeting = selectors.meeting_visible_by_pk(user=request.user, pk=meeting_id)
    qs = selectors.research_board(
        user=request.user,
        assignee=assignee,
        assignee_username=assignee_username,
        unassigned=unassigned,
        series_slug=get.get("series", "")[:80],
        status=status,
        meeting_id=meeting_id,
    )
    counts = selectors.research_counts_by_assignee(
        qs=selectors.research_board(
            user=request.user, series_slug=get.get("series", "")[:80], status=status, meeting_id=meeting_id
        )
    )
    page = Paginator(qs, 30).get_page(get.get("page"))
    query = get.copy()
    query.pop("page", None)
    return render(
        request,
        "meetings/research_board.html",
        {
            "page": page,
            "counts": counts,
            "who": who,
            "status": status,
            "series_slug": get.get("series", ""),
            "series_choices": selectors.series_visible_to(request.user)
            .order_by("name")
            .values_list("slug", "name"),
            "statuses": ResearchItem.Status.choices,
            "meeting": meeting,
            "query_without_page": query.urlencode(),
            "can_change": request.user.is_authenticated,
        },
    )
