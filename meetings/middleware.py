"""Bad input answers 400 with a message, never 500 (issue 13).

- An address or query string with a character no database or XML document takes (NUL and the
  other C0 controls but tab, newline and carriage return) is refused before any view reads it.
- Form fields lose such characters before any form sees them: they are invisible, pasted from PDFs
  and terminals, and once made every feed that showed them answer 500. (The API refuses them
  instead: meetings/api/fields.py.)
- A service's ValidationError (or a Markdown text beyond its bounds) that a view did not turn into
  a form error becomes a 400 page with its messages, not a 500.
"""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import render

from meetings.api.errors import API_PREFIX, error_body
from meetings.markdown import MarkdownRefused
from meetings.text import clean_text, first_invalid_character

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def bad_request(request, problems: list[str]):
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body(code="invalid", message=" ".join(problems)), status=400)
    return render(request, "400.html", {"problems": problems}, status=400)


def _address_problem(request) -> str | None:
    character = first_invalid_character(request.path)
    if character:
        return f"The address contains a character that is not allowed ({character})."
    for key, values in request.GET.lists():
        for text in (key, *values):
            character = first_invalid_character(text)
            if character:
                name = clean_text(key)
                return f"The query parameter “{name}” contains a character that is not allowed ({character})."
    return None


class InputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _address_problem(request)
        if problem:
            return bad_request(request, [problem])
        # Not under /api/: reading the body here would hide a form-encoded request from DRF (415).
        api = request.path.startswith(API_PREFIX)
        if request.method == "POST" and request.content_type in FORM_TYPES and not api:
            self._clean_form(request)
        return self.get_response(request)

    @staticmethod
    def _clean_form(request) -> None:
        posted = request.POST
        if not any(first_invalid_character(v) for _, values in posted.lists() for v in values):
            return
        cleaned = posted.copy()
        for key, values in posted.lists():
            cleaned.setlist(key, [clean_text(value) for value in values])
        cleaned._mutable = False
        request.POST = cleaned

    def process_exception(self, request, exception):
        if isinstance(exception, MarkdownRefused):
            return bad_request(request, [str(exception)])
        if isinstance(exception, ValidationError):
            return bad_request(request, exception.messages)
        return None
