"""Validators shared by the forms and the API: Markdown within its bounds, text XML accepts."""

from django.core.exceptions import ValidationError

from meetings.markdown import markdown_problem
from meetings.text import first_invalid_character


def validate_markdown(value: str) -> None:
    problem = markdown_problem(value or "")
    if problem:
        raise ValidationError(problem, code="markdown")


def validate_text_characters(value: str) -> None:
    character = first_invalid_character(value or "")
    if character:
        raise ValidationError(
            f"The text contains a control character ({character}) that cannot be stored; remove it.",
            code="control_character",
        )
