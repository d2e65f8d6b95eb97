from django.core.management.base import BaseCommand, CommandError

from meetings.services.backup import BackupError, club_export

ROW = '\n{"model": '  # each row starts a line (see meetings/services/backup.py)


class Command(BaseCommand):
    help = (
        "Write the whole club (series, meetings, minutes with every revision, research items, rota, "
        "library, reading lists, tags, accounts without passwords) to one JSON file; import_club restores it."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", default="", metavar="FILE", help="Write here instead of stdout."
        )

    def handle(self, *args, output, **options):
        try:
            text = club_export()
        except BackupError as error:
            raise CommandError(str(error)) from None
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"Wrote {output} ({text.count(ROW)} rows).")
        else:
            self.stdout.write(text, ending="")
