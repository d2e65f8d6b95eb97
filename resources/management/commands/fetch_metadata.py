"""python manage.py fetch_metadata [--pending | --all] [--sync]"""

from django.core.management.base import BaseCommand
from django.db import transaction

from resources.services import metadata as metadata_services
from resources.tasks.metadata import metadata_fetch_queue


class Command(BaseCommand):
    help = (
        "Fetch metadata for arXiv and DOI resources: the pending ones (default) or all of them; "
        "queued for the worker, or run here with --sync."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--pending", action="store_true", help="Only resources still waiting for metadata (default)."
        )
        which.add_argument("--all", action="store_true", help="Every resource with an arXiv id or a DOI.")
        parser.add_argument(
            "--sync",
            action="store_true",
            help="Fetch in this process and print a summary, without the worker.",
        )

    def handle(self, *args, **options):
        resource_ids = list(
            metadata_services.metadata_candidates(include_done=options["all"])
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not resource_ids:
            self.stdout.write("Nothing to fetch.")
            return
        if not options["sync"]:
            with transaction.atomic():
                tasks = metadata_fetch_queue(resource_ids=resource_ids)
            self.stdout.write(f"Queued {len(resource_ids)} resources in {tasks} tasks for the worker.")
            return
        summary = metadata_services.metadata_fetch(resource_ids=resource_ids)
        requests = ", ".join(f"{api} {count}" for api, count in sorted(summary.requests.items())) or "none"
        self.stdout.write(
            f"Fetched metadata for {len(resource_ids)} resources: {summary.done} done "
            f"({summary.changed} changed), {summary.failed} failed, {summary.skipped} skipped."
        )
        self.stdout.write(f"Requests made: {requests}.")
