from django.core.management.base import BaseCommand

from resources.models import Resource
from resources.services.visibility import visibility_compute, visibility_rebuild, visibility_stored


class Command(BaseCommand):
    help = (
        "Recompute who sees each resource (Resource.audience and ResourceHolder) from what holds it. "
        "The services keep both true; run this after editing the database by other means."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only report resources whose stored visibility is wrong."
        )

    def handle(self, *args, check, **options):
        total = Resource.objects.count()
        if check:
            wanted, stored = visibility_compute(), visibility_stored()
            wrong = sorted(pk for pk, want in wanted.items() if stored.get(pk) != want)
            if wrong:
                shown = ", ".join(str(pk) for pk in wrong[:20]) + (" …" if len(wrong) > 20 else "")
                self.stdout.write(f"{len(wrong)} of {total} resources have a wrong visibility: {shown}")
                raise SystemExit(1)
            self.stdout.write(f"All {total} resources have the right visibility.")
            return
        changed = visibility_rebuild()
        self.stdout.write(f"Rebuilt the visibility of {total} resources: {changed} changed.")
