"""Strict JSON fields: a number is not a string, "1" is not a number, "true" is not a boolean.

DRF's own fields coerce ("12" becomes 12, 12 becomes "12", "yes" becomes True); the API's
schema promises types, so input of another type is refused (400) rather than silently read.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from rest_framework import serializers

from meetings.validators import validate_markdown, validate_text_characters

MAX_ID = 999_999_999_999_999_999  # fits a 64-bit primary key on SQLite and PostgreSQL alike


def _no_surrogates(value: str) -> None:
    # JSON may escape lone surrogates ("\ud800"); no database can store them.
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise serializers.ValidationError("The text contains invalid characters (lone surrogates).")


class _Strict:
    json_types: tuple = (str,)
    type_name = "string"

    def to_internal_value(self, data):
        if isinstance(data, bool) != (bool in self.json_types) or not isinstance(data, self.json_types):
            raise serializers.ValidationError(f"Give a {self.type_name}.", code="invalid")
        return super().to_internal_value(data)


class Text(_Strict, serializers.CharField):
    """A string taken as sent (no trimming, so the schema's lengths mean what they say)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        # Refused, not cleaned: the API takes text as sent (the forms remove them instead).
        self.validators += [_no_surrogates, validate_text_characters]


class Markdown(Text):
    """Markdown: at most MARKDOWN_MAX_LENGTH characters, within meetings.markdown's bounds."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", settings.MARKDOWN_MAX_LENGTH)
        super().__init__(**kwargs)
        self.validators.append(validate_markdown)


class Integer(_Strict, serializers.IntegerField):
    json_types = (int,)
    type_name = "whole number"


class Id(Integer):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class Boolean(_Strict, serializers.BooleanField):
    json_types = (bool,)
    type_name = "boolean (true or false)"


class Choice(_Strict, serializers.ChoiceField):
    def __init__(self, choices, **kwargs):
        super().__init__(choices, **kwargs)
        if all(isinstance(key, int) for key in self.choices):
            self.json_types, self.type_name = (int,), "whole number"


class DateTime(_Strict, serializers.DateTimeField):
    type_name = "date and time (ISO 8601)"


class Date(_Strict, serializers.DateField):
    type_name = "date (YYYY-MM-DD)"


class Url(_Strict, serializers.URLField):
    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


class TextList(serializers.ListField):
    """A JSON array of strings (and only an array: a lone string is refused)."""

    def __init__(self, *, max_item_length: int, **kwargs):
        super().__init__(child=Text(max_length=max_item_length), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Give a list of strings.", code="invalid")
        return super().to_internal_value(data)


class IdList(serializers.ListField):
    def __init__(self, **kwargs):
        super().__init__(child=Id(), **kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, list):
            raise serializers.ValidationError("Give a list of ids.", code="invalid")
        return super().to_internal_value(data)


def pattern(regex: str, message: str) -> RegexValidator:
    """A full-match validator; `^…\\Z` also documents the pattern as ECMA `^…$` in the schema."""
    return RegexValidator(regex=f"^(?:{regex})\\Z", message=message)


SLUG = pattern(r"[-a-zA-Z0-9_]+", "Use letters, digits, hyphens and underscores only.")
WHOLE_NUMBER = pattern(r"[0-9]{1,18}", "Give a whole number.")
