"""What every API view shares: rules-based permissions, strict query parameters, ETags, error docs."""

from django.middleware.http import ConditionalGetMiddleware
from django.utils.decorators import decorator_from_middleware
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.generics import GenericAPIView

from meetings.api.errors import ErrorSerializer
from meetings.api.permissions import RulesPermission

# A GET's ETag is the hash of its body; If-None-Match then answers 304 Not Modified. The body is
# built either way, so this saves bandwidth, not queries: "cheap", as the issue asks.
conditional_get = decorator_from_middleware(ConditionalGetMiddleware)

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `fields` names each field's problems.",
    "401": "Not signed in, or the token is not valid or was revoked.",
    "403": "Signed in, but the rules do not allow this.",
    "404": "No such object, or hidden from you.",
    "409": "Conflict: someone saved in between and the edits overlap; `conflicts` has the hunks.",
    "415": "Send JSON (`Content-Type: application/json`).",
}


class ApiSchema(AutoSchema):
    """Documents the error body on every operation, for the codes the operation can answer."""

    def get_description(self):
        # A view's own docstring (or its method's), never one inherited from ApiView.
        method_doc = get_doc(getattr(self.view, self.method.lower(), None))
        own_doc = type(self.view).__dict__.get("__doc__") and get_doc(type(self.view))
        return method_doc or own_doc or ""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "404"]
        if self.method not in ("GET", "HEAD", "OPTIONS"):
            codes += ["403", "415"]
        codes += getattr(self.view, "extra_error_codes", [])
        for code in codes:
            if code not in responses:
                error = OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        return responses


class ApiView(GenericAPIView):
    """A JSON API view: `rules_perms` per method, ETags on GET, documented errors."""

    permission_classes = [RulesPermission]
    # OPTIONS is answered 405: the schema at /api/v1/schema/ describes every operation.
    metadata_class = None
    schema = ApiSchema()
    rules_perms: dict[str, str] = {}
    rules_denied: dict[str, str] = {}
    extra_error_codes: list[str] = []

    @classmethod
    def as_view(cls, **initkwargs):
        return conditional_get(super().as_view(**initkwargs))

    def permission_denied(self, request, message=None, code=None):
        message = self.rules_denied.get(request.method, message)
        super().permission_denied(request, message=message, code=code)

    def require(self, obj=None):
        """Ask the rules about `obj` for this request's method: 401 or 403 when they say no."""
        self.check_object_permissions(self.request, obj)

    def query(self, serializer_class) -> dict:
        """The query parameters, validated: a 400 for a bad or repeated value, never silently ignored."""
        serializer = serializer_class()
        data = {}
        for name, field in serializer.fields.items():
            values = self.request.query_params.getlist(name)
            if not values:
                continue
            if isinstance(field, serializers.ListField):
                data[name] = values
            elif len(values) > 1:
                raise exceptions.ValidationError({name: ["Give this parameter once."]})
            else:
                data[name] = values[0]
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def body(self, serializer_class, **kwargs):
        """The request body, validated against the serializer (400 with field errors otherwise)."""
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data
