"""Text that XML (the Atom feeds) and iCalendar accept.

XML 1.0 forbids the C0 control characters other than tab, newline and carriage return, the
noncharacters U+FFFE and U+FFFF and lone surrogates; one of them in a title once made every feed
that showed it answer 500 (issue 13). Input is cleaned or refused where it arrives (forms, the
API, the importer, fetched metadata) and output is cleaned again for rows stored before.
Plain Python, so the Markdown and metadata modules can use it without Django.
"""

import re

INVALID_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean_text(value: str) -> str:
    """`value` without the characters XML and iCalendar refuse."""
    return INVALID_CHARACTERS.sub("", value)


def first_invalid_character(value: str) -> str | None:
    """The first character XML refuses in `value`, as U+XXXX, or None."""
    match = INVALID_CHARACTERS.search(value)
    return f"U+{ord(match[0]):04X}" if match else None


def clean_deep(value):
    """`value` with every string in it cleaned (through dicts, lists and tuples)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: clean_deep(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_deep(item) for item in value)
    return value
