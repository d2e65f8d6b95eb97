from django.core.management.base import BaseCommand

from meetings.services.accounts import organiser_ensure
from meetings.services.demo import demo_load


class Command(BaseCommand):
    help = "Make sure an organiser account exists and load a demo club into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="Do not load the demo club.")
        parser.add_argument("--username", default="organiser")

    def handle(self, *args, username, no_demo, **options):
        user, password = organiser_ensure(username=username)
        if password:
            self.stdout.write(self.style.SUCCESS("Created the organiser account (staff, for the admin too):"))
            self.stdout.write(f"    username: {user.username}")
            self.stdout.write(f"    password: {password}")
            self.stdout.write("    Keep it: it is shown only this once. Change it on your profile page.")
        else:
            self.stdout.write(f"Organiser account {user.username!r} exists.")
        if not no_demo:
            series = demo_load(organiser=user)
            if series:
                self.stdout.write(self.style.SUCCESS(f"Loaded the demo club {series.name!r}."))
