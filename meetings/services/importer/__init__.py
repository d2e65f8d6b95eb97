"""Import a club's Markdown documents (minutes, session lists, READMEs) and export them back.

``markdown_parse`` reads a document into a plain ImportPlan (no database); ``markdown_import``
applies plans in one transaction through the usual services, or rolls back for a dry run.
"""

from meetings.services.importer.apply import ImportResult, markdown_import
from meetings.services.importer.parse import ImportFailed, ImportPlan, Notice, document_decode, markdown_parse
from meetings.services.importer.parse.files import documents_from_folder, documents_from_zip

__all__ = [
    "ImportFailed",
    "ImportPlan",
    "ImportResult",
    "Notice",
    "document_decode",
    "documents_from_folder",
    "documents_from_zip",
    "markdown_import",
    "markdown_parse",
]
