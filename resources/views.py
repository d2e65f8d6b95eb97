from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from meetings.forms import add_service_errors
from meetings.selectors import series_visible_to
from meetings.throttles import rate_limited
from meetings.views.common import bad_request, next_or, refuse
from resources import selectors
from resources.forms import (
    ReadingListAddForm,
    ReadingListForm,
    ReadingListItemNoteForm,
    ResourceAddForm,
    ResourceEditForm,
    SearchForm,
    TagMergeForm,
    TagRenameForm,
)
from resources.models import ReadingListItem, Resource
from resources.selectors_search import SearchFilters, search_everything
from resources.services import health as health_services
from resources.services import library as library_services
from resources.services import readinglists

PAGE_SIZE = 25


def _filters_from(request) -> selectors.LibraryFilters:
    get = request.GET
    return selectors.LibraryFilters(
        tags=[t for t in get.getlist("tag") if t.strip()][:10],
        kind=get.get("kind", "") if get.get("kind", "") in Resource.Kind.values else "",
        health=get.get("health", "") if get.get("health", "") in Resource.Health.values else "",
        series=get.get("series", "")[:80],
        added_by=get.get("added_by", "")[:150],
        q=get.get("q", "").strip()[:200],
        sort=get.get("sort", "") if get.get("sort", "") in selectors.SORTS else "",
    )


def library(request):
    filters = _filters_from(request)
    qs = selectors.resources_filter(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for resource in page:
        if filters.q:
            resource.snippet_html = selectors.snippet_html(
                getattr(resource, "snippet", None) or resource.search_text, filters.q
            )
    visible = selectors.resources_visible_to(request.user)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "resources/library.html",
        {
            "page": page,
            "filters": filters,
            "tags": selectors.tag_counts(qs=visible),
            "kinds": Resource.Kind.choices,
            "healths": Resource.Health.choices,
            "series_choices": series_visible_to(request.user).order_by("name").values_list("slug", "name"),
            "sorts": [
                ("", "Newest first" if not filters.q else "Best match"),
                ("oldest", "Oldest first"),
                ("published", "Publication date"),
                ("title", "Title"),
            ],
            "query_without_page": query.urlencode(),
            "can_add": request.user.has_perm("resources.add_resource"),
            "bookmarklet": _bookmarklet(request),
        },
    )


def _bookmarklet(request) -> str:
    add_url = request.build_absolute_uri(reverse("resource-add"))
    # A javascript: link the member drags to the bookmarks bar; it opens our own add form.
    return (
        "javascript:(function(){window.open('" + add_url + "?'+new URLSearchParams({url:location.href,"
        "title:document.title}).toString(),'_blank','noopener');})();"
    )


def resource_add(request):
    if denied := refuse(request, "resources.add_resource", None, "Sign in to add to the library."):
        return denied
    initial = {key: request.GET.get(key, "")[:2000] for key in ("url", "title", "kind", "tags")}
    form = ResourceAddForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resource, created = library_services.resource_add(
                url=data["url"],
                by=request.user,
                title=data["title"],
                kind=data["kind"],
                tags=data["tags"],
                notes=data["notes"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if created:
                messages.success(request, "Added to the library.")
            else:
                messages.info(
                    request, "This link is already in the library: here it is, with your tags added."
                )
            return redirect(resource)
    return render(request, "resources/resource_add.html", {"form": form})


def resource_detail(request, pk):
    resource = selectors.resource_get_visible(user=request.user, pk=pk)
    lists = []
    if request.user.has_perm("resources.change_readinglist"):
        lists = list(
            selectors.readinglists_changeable_by(request.user)
            .order_by("title", "pk")
            .values_list("pk", "title")
        )
    return render(
        request,
        "resources/resource_detail.html",
        {
            "resource": resource,
            "can_edit": request.user.has_perm("resources.change_resource", resource),
            "lists_to_add": lists,
        },
    )


def resource_status(request, pk):
    """The metadata and health panel, polled by htmx while the worker is still busy."""
    resource = selectors.resource_get_visible(user=request.user, pk=pk)
    return render(request, "resources/_resource_status.html", {"resource": resource})


def resource_edit(request, pk):
    resource = selectors.resource_get_visible(user=request.user, pk=pk)
    if denied := refuse(request, "resources.change_resource", resource, "Sign in to edit the library."):
        return denied
    initial = {
        "title": resource.title,
        "kind": resource.kind,
        "tags": list(resource.tags.names()),
        "notes": resource.notes,
    }
    form = ResourceEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            library_services.resource_update(resource=resource, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect(resource)
    return render(request, "resources/resource_edit.html", {"form": form, "resource": resource})


@require_POST
def resource_add_to_list(request, pk):
    resource = selectors.resource_get_visible(user=request.user, pk=pk)
    if denied := refuse(request, "resources.change_readinglist", None, "Sign in to edit reading lists."):
        return denied
    try:
        reading_list = selectors.readinglist_get_visible(
            user=request.user, pk=int(request.POST.get("list", ""))
        )
    except ValueError:
        return bad_request(request, "Choose a reading list.")
    if denied := refuse(
        request, "resources.change_readinglist", reading_list, "Only the series' members edit its lists."
    ):
        return denied
    readinglists.readinglist_add(reading_list=reading_list, resource=resource, by=request.user)
    messages.success(request, f"Added to the reading list “{reading_list.title}”.")
    return redirect(resource)


@require_POST
def resource_adopt_redirect(request, pk):
    resource = selectors.resource_get_visible(user=request.user, pk=pk)
    if denied := refuse(request, "resources.change_resource", resource, "Sign in to edit the library."):
        return denied
    try:
        library_services.resource_adopt_redirect(resource=resource, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The library now stores the new address, {resource.url}.")
    return redirect(resource)


@require_POST
def resource_delete(request, pk):
    resource = selectors.resource_get_visible(user=request.user, pk=pk)
    if denied := refuse(
        request, "resources.delete_resource", resource, "Only organisers can delete resources."
    ):
        return denied
    library_services.resource_delete(resource=resource)
    messages.success(request, f"Deleted “{resource}” from the library.")
    return redirect("library")


def tags(request):
    if denied := refuse(request, "resources.manage_tags", None, "Only organisers can rename and merge tags."):
        return denied
    merge_form = TagMergeForm(request.POST if request.POST.get("action") == "merge" else None)
    # Only tags on resources this organiser may see: others' tags are neither shown nor changed.
    visible_tags = selectors.tags_visible_to(request.user)
    if request.method == "POST" and request.POST.get("action") == "rename":
        try:
            tag = get_object_or_404(visible_tags, pk=int(request.POST.get("tag", "")))
        except ValueError:
            return bad_request(request, "Choose a tag to rename.")
        form = TagRenameForm(request.POST)
        if form.is_valid():
            try:
                result = library_services.tag_rename(tag=tag, name=form.cleaned_data["name"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"Tag renamed to “{result.name}”.")
                return redirect("library-tags")
        else:
            messages.error(request, "Give the tag a new name.")
    elif request.method == "POST" and merge_form.is_valid():
        names = [n.strip() for n in merge_form.cleaned_data["sources"].split(",") if n.strip()]
        sources = list(visible_tags.filter(name__in=names))
        missing = {n.lower() for n in names} - {t.name.lower() for t in sources}
        target = visible_tags.filter(name__iexact=merge_form.cleaned_data["target"].strip()).first()
        if missing:
            merge_form.add_error("sources", f"No such tag: {', '.join(sorted(missing))}.")
        elif target is None:
            merge_form.add_error("target", "No such tag; to rename a tag, use Rename instead.")
        else:
            library_services.tags_merge(sources=sources, target=target)
            messages.success(request, f"Merged {len(sources)} tag(s) into “{target.name}”.")
            return redirect("library-tags")
    return render(
        request,
        "resources/tags.html",
        {
            "tags": selectors.tag_counts(qs=selectors.resources_visible_to(request.user)),
            "merge_form": merge_form,
        },
    )


@rate_limited("search", what="searched")
def search(request):
    form = SearchForm(request.GET or None, series=series_visible_to(request.user).order_by("name"))
    page, q = None, ""
    if form.is_valid() and form.cleaned_data["q"]:
        data = form.cleaned_data
        q = data["q"]
        filters = SearchFilters(
            q=q, kind=data["kind"], series=data["series"], after=data["after"], before=data["before"]
        )
        page = search_everything(user=request.user, filters=filters, page=request.GET.get("page", 1))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "resources/search.html",
        {
            "form": form,
            "q": q,
            "page": page,
            "query_without_page": query.urlencode(),
            "more_url": reverse("library") + "?" + urlencode({"q": q}),
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# Reading lists


def readinglist_list(request):
    return render(
        request,
        "resources/readinglist_list.html",
        {
            "lists": selectors.readinglists_list(user=request.user),
            "can_add": request.user.has_perm("resources.add_readinglist"),
        },
    )


def readinglist_create(request):
    if denied := refuse(request, "resources.add_readinglist", None, "Sign in to make reading lists."):
        return denied
    form = ReadingListForm(
        request.POST or None, initial={"series": request.GET.get("series")}, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        reading_list = readinglists.readinglist_save(reading_list=form.save(commit=False), by=request.user)
        messages.success(request, "Reading list created. Add resources to it below.")
        return redirect(reading_list)
    return render(request, "resources/readinglist_form.html", {"form": form, "reading_list": None})


def readinglist_detail(request, pk):
    reading_list = selectors.readinglist_get_visible(user=request.user, pk=pk)
    can_edit = request.user.has_perm("resources.change_readinglist", reading_list)
    return render(
        request,
        "resources/readinglist_detail.html",
        {
            "reading_list": reading_list,
            "items": list(reading_list.items.all()),
            "can_edit": can_edit,
            "can_delete": request.user.has_perm("resources.delete_readinglist", reading_list),
            "add_form": ReadingListAddForm() if can_edit else None,
        },
    )


def readinglist_edit(request, pk):
    reading_list = selectors.readinglist_get_visible(user=request.user, pk=pk)
    if denied := refuse(
        request, "resources.change_readinglist", reading_list, "Sign in to edit reading lists."
    ):
        return denied
    form = ReadingListForm(request.POST or None, instance=reading_list, user=request.user)
    if request.method == "POST" and form.is_valid():
        readinglists.readinglist_save(reading_list=form.save(commit=False), by=request.user)
        messages.success(request, "Saved.")
        return redirect(reading_list)
    return render(request, "resources/readinglist_form.html", {"form": form, "reading_list": reading_list})


@require_POST
def readinglist_delete(request, pk):
    reading_list = selectors.readinglist_get_visible(user=request.user, pk=pk)
    if denied := refuse(
        request, "resources.delete_readinglist", reading_list, "Only organisers delete lists."
    ):
        return denied
    readinglists.readinglist_delete(reading_list=reading_list)
    messages.success(
        request, f"Deleted the reading list “{reading_list.title}”; its resources stay in the library."
    )
    return redirect("readinglist-list")


@require_POST
def readinglist_add(request, pk):
    reading_list = selectors.readinglist_get_visible(user=request.user, pk=pk)
    if denied := refuse(
        request, "resources.change_readinglist", reading_list, "Sign in to edit reading lists."
    ):
        return denied
    form = ReadingListAddForm(request.POST)
    if form.is_valid():
        try:
            # Held by the list: a series' list shows it to the series' members only.
            resource, _ = library_services.resource_add(
                url=form.cleaned_data["url"], by=request.user, library=reading_list.series_id is None
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            readinglists.readinglist_add(
                reading_list=reading_list, resource=resource, note=form.cleaned_data["note"], by=request.user
            )
            messages.success(request, f"Added “{resource}”.")
            return redirect(reading_list)
    return render(
        request,
        "resources/readinglist_detail.html",
        {
            "reading_list": reading_list,
            "items": list(reading_list.items.all()),
            "can_edit": True,
            "add_form": form,
        },
        status=400,
    )


def _item(request, pk, item_pk):
    reading_list = selectors.readinglist_get_visible(user=request.user, pk=pk)
    item = get_object_or_404(ReadingListItem, pk=item_pk, reading_list=reading_list)
    return reading_list, item


@require_POST
def readinglist_remove(request, pk, item_pk):
    reading_list, item = _item(request, pk, item_pk)
    if denied := refuse(
        request, "resources.change_readinglist", reading_list, "Sign in to edit reading lists."
    ):
        return denied
    readinglists.readinglist_remove(item=item)
    messages.success(request, f"Removed “{item.resource}” from the list (it stays in the library).")
    return redirect(reading_list)


@require_POST
def readinglist_move(request, pk, item_pk):
    reading_list, item = _item(request, pk, item_pk)
    if denied := refuse(
        request, "resources.change_readinglist", reading_list, "Sign in to edit reading lists."
    ):
        return denied
    direction = request.POST.get("direction")
    if direction not in ("up", "down", "top", "bottom"):
        return bad_request(request, "direction must be up, down, top or bottom.")
    readinglists.readinglist_move(item=item, direction=direction)
    return redirect(f"{reading_list.get_absolute_url()}#item-{item.pk}")


def readinglist_note(request, pk, item_pk):
    reading_list, item = _item(request, pk, item_pk)
    if denied := refuse(
        request, "resources.change_readinglist", reading_list, "Sign in to edit reading lists."
    ):
        return denied
    form = ReadingListItemNoteForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        readinglists.readinglist_note(item=item, note=form.cleaned_data["note"])
        messages.success(request, "Note saved.")
        return redirect(f"{reading_list.get_absolute_url()}#item-{item.pk}")
    return render(
        request, "resources/readinglist_note.html", {"form": form, "item": item, "reading_list": reading_list}
    )


def readinglist_export(request, pk, fmt):
    reading_list = selectors.readinglist_get_visible(user=request.user, pk=pk)
    items = list(reading_list.items.all())
    resources = [item.resource for item in items]
    from resources.services import exports

    filename = f"reading-list-{reading_list.pk}"
    if fmt == "bib":
        response = HttpResponse(
            exports.bibtex_export(resources), content_type="application/x-bibtex; charset=utf-8"
        )
    elif fmt == "json":
        import json

        response = HttpResponse(
            json.dumps(exports.csljson_export(resources), ensure_ascii=False, indent=2),
            content_type="application/vnd.citationstyles.csl+json; charset=utf-8",
        )
    elif fmt == "md":
        response = HttpResponse(
            exports.markdown_export(reading_list, items), content_type="text/markdown; charset=utf-8"
        )
    else:
        return bad_request(request, "Export as bib, json or md.")
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


# Link health


def link_health(request):
    """The organisers' report: broken, failing, blocked and redirected links, with their history."""
    if denied := refuse(request, "resources.view_link_health", None, "Only organisers see link health."):
        return denied
    section = request.GET.get("show", "")
    section = section if section in health_services.REPORT_SECTIONS else ""
    rows, counts = health_services.link_health_report(user=request.user, section=section)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for resource in page:
        resource.archive_url = health_services.archive_url(resource.url)
    return render(
        request,
        "resources/link_health.html",
        {
            "page": page,
            "section": section,
            "sections": [("", "All problems", counts["all"])]
            + [(key, label, counts[key]) for key, (label, _q) in health_services.REPORT_SECTIONS.items()],
            "section_query": urlencode({"show": section}) if section else "",
            "broken_rule": health_services.broken_rule_text(),
        },
    )


@require_POST
def resource_check(request, pk):
    """The "Check now" button: queue a check of this link and come back to where it was pressed."""
    resource = get_object_or_404(selectors.resources_visible_to(request.user), pk=pk)
    if denied := refuse(request, "resources.check_link", resource, "Sign in to check links."):
        return denied
    if health_services.linkcheck_now(resource=resource):
        messages.success(request, "Checking the link now: the result appears here in a moment.")
    else:
        messages.info(request, "This link was checked less than a minute ago: its result is below.")
    return redirect(next_or(request, resource.get_absolute_url()))
