from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from meetings.validators import validate_markdown


def add_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields where it names them."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error)


class MarkdownField(forms.CharField):
    """A Markdown text: at most MARKDOWN_MAX_LENGTH characters, within meetings.markdown's bounds."""

    def __init__(self, **kwargs):
        if kwargs.get("max_length") is None:  # a model's TextField passes None
            kwargs["max_length"] = settings.MARKDOWN_MAX_LENGTH
        super().__init__(**kwargs)
        self.validators.append(validate_markdown)
