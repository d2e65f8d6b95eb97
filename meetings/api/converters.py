from django.urls import register_converter

from meetings.api.fields import MAX_ID


class IdConverter:
    """A primary key in an API path: at most 18 digits, so every id it matches fits the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(IdConverter, "id")

ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
