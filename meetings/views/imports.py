from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from meetings import selectors
from meetings.forms.imports import ImportConfirmForm, ImportForm, options_documents, options_sign, tag_list
from meetings.models import Series
from meetings.services.exporter import markdown_export
from meetings.services.importer import ImportFailed, markdown_import
from meetings.throttles import rate_limited
from meetings.views.common import refuse


def _run(request, options: dict, *, dry_run: bool, prefer_document: bool = False, same_people: bool = False):
    return markdown_import(
        documents=options_documents(options),
        series_slug=options["slug"],
        series_name=options["series_name"] or "",
        year=options["year"],
        by=request.user,
        tags=tag_list(options["tags"]),
        dry_run=dry_run,
        prefer_document=prefer_document,
        same_people=same_people,
    )


def _series_or_none(request, slug):
    return selectors.series_get_visible(user=request.user, slug=slug) if slug else None


@login_required
@rate_limited("import", what="previewed imports", methods=("POST",))
def series_import(request, slug=None):
    series = _series_or_none(request, slug)
    if denied := refuse(
        request,
        "meetings.import_markdown",
        series,
        "Only this series' organisers (or staff) can import documents.",
    ):
        return denied
    form = ImportForm(request.POST or None, request.FILES or None, series=series)
    if request.method == "POST" and form.is_valid():
        options = form.options()
        try:
            result = _run(request, options, dry_run=True)
        except ImportFailed as error:
            form.add_error(None, f"Nothing can be imported: {error}")
        else:
            confirm = ImportConfirmForm(initial={**options, "digest": options_sign(options)})
            return render(
                request,
                "meetings/import_preview.html",
                {"series": series, "result": result, "confirm": confirm, "options": options},
            )
    return render(request, "meetings/import_form.html", {"series": series, "form": form})


@login_required
@require_POST
def series_import_confirm(request, slug=None):
    series = _series_or_none(request, slug)
    if denied := refuse(
        request,
        "meetings.import_markdown",
        series,
        "Only this series' organisers (or staff) can import documents.",
    ):
        return denied
    confirm = ImportConfirmForm(request.POST)
    errors = list(confirm.non_field_errors()) if not confirm.is_valid() else []
    if not errors:
        options = confirm.cleaned_data["options"]
        if series is not None and options["slug"] != series.slug:
            errors.append("The preview was for another series: preview it again.")
        else:
            try:
                result = _run(
                    request,
                    options,
                    dry_run=False,
                    prefer_document=confirm.cleaned_data["prefer_document"],
                    same_people=confirm.cleaned_data["same_people"],
                )
            except ImportFailed as error:
                errors.append(f"Nothing was imported: {error}")
            else:
                counts = result.counts
                items, new = counts["research_items"]["created"], counts["resources"]["created"]
                messages.success(
                    request,
                    f"Imported {options['source']}: {counts['meetings']['created']} meetings created, "
                    f"{counts['meetings']['updated']} updated; {items} research items, {new} new resources.",
                )
                return redirect(Series.objects.get(slug=options["slug"]))
    context = {"series": series, "form": ImportForm(series=series), "errors": errors or ["Preview it again."]}
    return render(request, "meetings/import_form.html", context, status=400)


def _markdown_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def series_export(request, slug):
    series = selectors.series_get_visible(user=request.user, slug=slug)
    return _markdown_response(markdown_export(series=series), f"{series.slug}.md")


def meeting_export(request, slug, pk):
    meeting = selectors.meeting_get_visible(user=request.user, slug=slug, pk=pk)
    return _markdown_response(
        markdown_export(series=meeting.series, meeting=meeting), f"{slug}-meeting-{meeting.pk}.md"
    )
