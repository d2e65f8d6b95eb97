from django.core.management.base import BaseCommand, CommandError

from meetings.services.backup import BackupError, backup_parse, club_import


class Command(BaseCommand):
    help = (
        "Restore a backup written by export_club into an empty (freshly migrated) database, in one "
        "transaction: on any error nothing is written. Restored accounts have no password."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", metavar="FILE", help="The JSON file export_club wrote.")

    def handle(self, *args, backup, **options):
        try:
            with open(backup, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{backup}: cannot read it: {error}") from None
        try:
            document, lines = backup_parse(text=text)
            summary = club_import(document=document, lines=lines)
        except BackupError as error:
            problems = "\n".join(f"  {backup}: {problem}" for problem in error.problems)
            raise CommandError(f"Nothing was imported:\n{problems}") from None
        total = sum(summary.counts.values())
        self.stdout.write(f"Restored {total} rows from {backup}:")
        for label, count in summary.counts.items():
            self.stdout.write(f"  {label}: {count}")
        if summary.users:
            self.stdout.write(
                f"The {summary.users} restored account(s) have a password nobody knows (backups never "
                "hold password hashes). Each person sets one with “Forgotten your password?” on the sign-in "
                "page (the email goes to their address), or an operator runs "
                "`manage.py changepassword USERNAME`."
            )
