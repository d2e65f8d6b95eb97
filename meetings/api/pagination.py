import re

from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


def _whole_number(request, name: str, *, low: int, high: int | None = None) -> int | None:
    """A query parameter that must be one whole number in range (None when absent); 400 otherwise."""
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) == 1 and WHOLE_NUMBER.fullmatch(values[0]):
        number = int(values[0])
        if number >= low and (high is None or number <= high):
            return number
    limit = f"from {low} to {high}" if high is not None else f"of at least {low}"
    raise exceptions.ValidationError({name: [f"Give one whole number {limit}."]})


class Pagination(PageNumberPagination):
    """`?page=2&page_size=100`: 50 a page by default, at most 200; a malformed page or size is a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        size = _whole_number(request, self.page_size_query_param, low=1, high=self.max_page_size)
        return size or self.page_size

    def get_page_number(self, request, paginator):
        return _whole_number(request, self.page_query_param, low=1) or 1

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": 999999999}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters
