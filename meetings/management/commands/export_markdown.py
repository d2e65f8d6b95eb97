from django.core.management.base import BaseCommand, CommandError

from meetings.models import Meeting, Series
from meetings.services.exporter import markdown_export


class Command(BaseCommand):
    help = "Write a series (or one of its meetings) as a Markdown document, the shape import_markdown reads."

    def add_arguments(self, parser):
        parser.add_argument("--series", required=True, metavar="SLUG")
        parser.add_argument("--meeting", type=int, metavar="ID", help="Only this meeting.")
        parser.add_argument(
            "--output", "-o", default="", metavar="FILE", help="Write here instead of stdout."
        )

    def handle(self, *args, series, meeting, output, **options):
        found = Series.objects.filter(slug=series).first()
        if found is None:
            raise CommandError(f"No series {series!r}.")
        one = None
        if meeting is not None:
            one = Meeting.objects.filter(series=found, pk=meeting).first()
            if one is None:
                raise CommandError(f"Series {series!r} has no meeting {meeting}.")
        text = markdown_export(series=found, meeting=one)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.stdout.write(text, ending="")
