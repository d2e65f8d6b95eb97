import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from meetings.services.importer import (
    ImportFailed,
    document_decode,
    documents_from_folder,
    documents_from_zip,
    markdown_import,
)


class Command(BaseCommand):
    help = "Import a club's Markdown documents (minutes, session lists, READMEs) into a series."

    def add_arguments(self, parser):
        parser.add_argument(
            "files",
            nargs="+",
            metavar="FILE",
            help="Markdown files, folders of them, or .zip archives of them.",
        )
        parser.add_argument("--series", required=True, metavar="SLUG", help="The series to import into.")
        parser.add_argument(
            "--series-name", default="", metavar="NAME", help="Its name (default: the title)."
        )
        parser.add_argument("--year", type=int, metavar="YYYY", help="The year of dates written without one.")
        parser.add_argument("--tag", action="append", default=[], help="Tag every imported resource.")
        parser.add_argument("--by", default="", metavar="USERNAME", help="Who the import is recorded as.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print a machine-readable summary.")
        parser.add_argument(
            "--prefer-document",
            action="store_true",
            help="Where a value changed both on the site and in the document, take the document's.",
        )
        parser.add_argument(
            "--same-people",
            action="store_true",
            help="Treat a short name the report lists (“CK”) as the fuller name beside it (“Dr. CK Chan”).",
        )

    def handle(
        self,
        *args,
        files,
        series,
        series_name,
        year,
        tag,
        by,
        dry_run,
        json,
        prefer_document,
        same_people,
        **options,
    ):
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(f"No user called {by!r}.")
        documents = []
        for name in files:
            try:
                documents.extend(_read(Path(name)))
            except OSError as error:
                raise CommandError(f"Nothing was imported. {name}: {error.strerror}") from None
            except ImportFailed as error:
                raise CommandError(f"Nothing was imported. {error}") from None
        try:
            result = markdown_import(
                documents=documents,
                series_slug=series,
                series_name=series_name,
                year=year,
                by=user,
                tags=tag,
                dry_run=dry_run,
                prefer_document=prefer_document,
                same_people=same_people,
            )
        except ImportFailed as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        if json:
            self.stdout.write(_json_dumps(result.as_json()))
            return
        self._print(result)

    def _print(self, result):
        out = self.stdout
        verb = "Would import" if result.dry_run else "Imported"
        target = result.series
        out.write(f"{verb} into series {target['slug']!r} ({target['name']}, {target['action']}).")
        for meeting in result.meetings:
            when = f"{meeting['when']:%a %-d %b %Y %H:%M}" if meeting["when"] else "date to be set"
            out.write(f"  {meeting['action']:>9}  line {meeting['line']}: {meeting['title']} ({when})")
            for speaker in meeting["speakers"]:
                who = f"member {speaker['member'].username}" if speaker["member"] else "guest"
                title = f": {speaker['title']}" if speaker["title"] else ""
                out.write(f"             speaker {speaker['name']} ({who}){title}")
            for item in meeting["items"]:
                reason = f" ({item['reason']})" if item["reason"] else ""
                out.write(f"             research [{item['status']}] {item['text']}{reason}")
        counts = result.counts
        out.write(
            "Meetings: {created} created, {updated} updated, {unchanged} unchanged.".format(
                **counts["meetings"]
            )
        )
        out.write(
            "Talks: {created} created, {updated} updated, {unchanged} unchanged.".format(**counts["talks"])
        )
        out.write(
            "Research items: {created} created, {updated} updated, {unchanged} unchanged.".format(
                **counts["research_items"]
            )
        )
        out.write("Resources: {created} new, {reused} already in the library.".format(**counts["resources"]))
        for clash in result.clashes:
            out.write(
                f"Clash, line {clash['line']}: {clash['meeting']}: {clash['what']}: {clash['field']} is "
                f"{clash['site']!r} on the site and {clash['document']!r} in the document; "
                f"kept the {clash['kept']}'s."
            )
        for warning in result.warnings:
            out.write(self.style.WARNING(f"Warning: {warning}"))
        if result.dry_run:
            out.write("Dry run: nothing was written.")


def _read(path: Path) -> list[tuple[str, str]]:
    """A Markdown file, a folder of them (one file per meeting) or a .zip of them."""
    if path.is_dir():
        return documents_from_folder(path)
    data = path.read_bytes()
    if path.suffix.lower() == ".zip" or data[:4] == b"PK\x03\x04":
        return documents_from_zip(data, source=path.name)
    return [(path.name, document_decode(data, source=path.name))]


def _json_dumps(data) -> str:
    return json.dumps(data, indent=2, default=str)
