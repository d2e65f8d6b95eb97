"""One error body for every failure: {"error": {"code", "message", "fields"}}."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.views import exception_handler as drf_exception_handler

API_PREFIX = "/api/"


class Conflict(exceptions.APIException):
    """Someone saved in between: nothing was written; the body names the revision now stored."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "Someone saved a newer revision since yours was based on it."

    def __init__(self, *, current_revision: int, conflicts: list[dict] | None = None, detail=None):
        super().__init__(detail=detail)
        self.current_revision = current_revision
        self.conflicts = conflicts or []


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """Field errors as {"field": [messages]}, nested fields joined with dots ("items.2")."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub, messages in _flatten(value, name).items():
                fields.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(entry, (dict, list)) for entry in detail):
            fields[prefix or "non_field_errors"] = [str(entry) for entry in detail]
        else:
            for index, value in enumerate(detail):
                if value:
                    name = f"{prefix}.{index}" if prefix else str(index)
                    for sub, messages in _flatten(value, name).items():
                        fields.setdefault(sub, []).extend(messages)
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return getattr(exc, "default_code", "error")


def error_body(*, code: str, message: str, fields: dict | None = None, **extra) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def exception_handler(exc, context):
    """DRF's handler with Django's own exceptions mapped and every body in the one shape."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, DjangoValidationError):
        # A service's ValidationError ({"field": [...]}) is the client's field error.
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(get_error_detail(DjangoValidationError(detail)))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        if list(fields) == ["non_field_errors"]:
            message = " ".join(fields["non_field_errors"])
        else:
            message = "Some fields are not valid: " + ", ".join(sorted(fields)) + "."
        response.data = error_body(code="invalid", message=message, fields=fields)
    else:
        extra = {}
        if isinstance(exc, Conflict):
            extra["current_revision"] = exc.current_revision
            extra["conflicts"] = exc.conflicts
        response.data = error_body(code=_code(exc), message=str(exc.detail), **extra)
    return response


def page_not_found(request, exception):
    """The site's 404 page, except under /api/, where a wrong address gets the API's JSON error."""
    if request.path.startswith(API_PREFIX):
        return JsonResponse(error_body(code="not_found", message="No such address in the API."), status=404)
    return defaults.page_not_found(request, exception)


class ConflictHunkSerializer(serializers.Serializer):
    line = serializers.IntegerField(
        help_text="Where the overlap starts in your text merged with theirs (1-based)."
    )
    base = serializers.CharField(allow_blank=True, help_text="These lines in the revision you started from.")
    mine = serializers.CharField(allow_blank=True, help_text="These lines as you sent them.")
    theirs = serializers.CharField(allow_blank=True, help_text="These lines as now stored.")


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A stable, machine-readable code, e.g. `invalid`, `not_found`.")
    message = serializers.CharField(help_text="What went wrong, for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Messages per field of the request ("items.2" for nested fields); empty unless invalid.',
    )
    current_revision = serializers.IntegerField(
        required=False, help_text="On 409 Conflict: the revision now stored, to merge against."
    )
    conflicts = ConflictHunkSerializer(
        many=True,
        required=False,
        help_text="On 409 Conflict: where your edit and the stored one overlap (all else merged).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
