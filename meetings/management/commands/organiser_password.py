from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from meetings.services.accounts import organiser_password_set


class Command(BaseCommand):
    help = "Give the organiser account (or USERNAME) a new random password and print it (`make password`)."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="organiser")

    def handle(self, *args, username, **options):
        try:
            password = organiser_password_set(username=username)
        except ValidationError as error:
            raise CommandError(" ".join(error.message_dict["username"])) from None
        self.stdout.write(self.style.SUCCESS(f"New password for {username!r} (the old one no longer works):"))
        self.stdout.write(f"    username: {username}")
        self.stdout.write(f"    password: {password}")
