import json

from django.core.management.base import BaseCommand

from meetings.services.accounts import organiser_ensure
from meetings.services.demo import demo_load


class Command(BaseCommand):
    help = "Make sure an organiser account exists and load a demo club into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo club.")
        parser.add_argument("--username", default="organiser")
        parser.add_argument(
            "--json",
            dest="as_json",
            action="store_true",
            help="Print one JSON object (username, password or null, demo): `make run` shows it later.",
        )

    def handle(self, *args, username, no_demo, as_json: bool = False, **options):
        user, password = organiser_ensure(username=username)
        series = None if no_demo else demo_load(organiser=user)
        if as_json:
            self.stdout.write(
                json.dumps({"username": user.username, "password": password, "demo": bool(series)})
            )
            return
        if password:
            self.stdout.write(self.style.SUCCESS("Created the organiser account (staff, for the admin too):"))
            self.stdout.write(f"    username: {user.username}")
            self.stdout.write(f"    password: {password}")
            self.stdout.write("    Keep it: it is shown only this once. Change it on your profile page.")
        else:
            self.stdout.write(
                f"Organiser account {user.username!r} exists. For a new password: "
                f"make password (or manage.py organiser_password {user.username})."
            )
        if series:
            self.stdout.write(self.style.SUCCESS(f"Loaded the demo club {series.name!r}."))
