import time

from django.core.management.base import BaseCommand

from meetings.services.demo_data import PASSWORD, SCALES, demo_data_generate


class Command(BaseCommand):
    help = (
        "Fill the database with demo clubs: small (for trying the site) or large (a department's ten "
        "years: 2,000 meetings, 50,000 resources; what benchmarks/web.py measures). Running it again "
        "at the same scale changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, scale, seed, **options):
        started = time.monotonic()
        counts = demo_data_generate(scale=scale, seed=seed, log=lambda m: self.stdout.write(f"  {m}"))
        shown = ", ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in counts.items())
        self.stdout.write(f"Demo data ({scale}): {shown} in {time.monotonic() - started:.0f} s.")
        self.stdout.write(f"Every demo account (demo-001 …) signs in with the password {PASSWORD!r}.")
