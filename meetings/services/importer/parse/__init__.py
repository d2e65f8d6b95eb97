"""Read a club's Markdown document into an ImportPlan: pure, no database.

The plan is what the preview and --dry-run show and what the writer applies. Every line of
the source lands somewhere in it: the series' name or description, a meeting's heading, a
section's body, a research item, a speaker; nothing is silently left out.

One module per concern: ``blocks`` (lines, front matter), ``headings`` (which heading starts
what), ``dates``, ``people``, ``links``, ``items`` (research items), ``sessions`` (one meeting),
``document`` (the whole file), ``plan`` (the data it all fills).
"""

from meetings.services.importer.parse.dates import find_date
from meetings.services.importer.parse.document import markdown_parse
from meetings.services.importer.parse.files import document_decode
from meetings.services.importer.parse.headings import MEETING_HEADING
from meetings.services.importer.parse.plan import (
    AGENDA,
    KIND_HEADINGS,
    MINUTES,
    NOTES,
    RECAP,
    SECTION_KINDS,
    ImportFailed,
    ImportPlan,
    Notice,
    PlannedMeeting,
    PlannedSection,
)

__all__ = [
    "AGENDA",
    "KIND_HEADINGS",
    "MEETING_HEADING",
    "MINUTES",
    "NOTES",
    "RECAP",
    "SECTION_KINDS",
    "ImportFailed",
    "ImportPlan",
    "Notice",
    "PlannedMeeting",
    "PlannedSection",
    "document_decode",
    "find_date",
    "markdown_parse",
]
