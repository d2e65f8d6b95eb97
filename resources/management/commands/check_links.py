from django.core.management.base import BaseCommand
from django.db import transaction

from resources.models import LinkCheck
from resources.services import health


class Command(BaseCommand):
    help = (
        "Check the library's links: the ones due a check (--stale, the default) or all of them (--all); "
        "queued for the worker, or run here with --sync."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--all", dest="everything", action="store_true", help="Check every link, due or not."
        )
        which.add_argument("--stale", action="store_true", help="Check the links due a check (default).")
        parser.add_argument(
            "--sync", action="store_true", help="Check in this process and print a summary, no worker needed."
        )
        parser.add_argument(
            "--threads", type=int, default=None, help="Threads for --sync (LINKCHECK_THREADS)."
        )

    def handle(self, *args, everything, stale, sync, threads, **options):
        with transaction.atomic():
            chunks, since = health.linkchecks_dispatch(everything=everything)
            ids = [pk for chunk in chunks for pk in chunk]
            if not sync:
                for chunk in chunks:
                    health.linkchecks_queue(resource_ids=chunk, since=since)
        if not ids:
            self.stdout.write("No links to check." if everything else "No links are due a check.")
            return
        if not sync:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Queued {len(ids)} link check{'s' * (len(ids) != 1)} in {len(chunks)} task(s)."
                )
            )
            return
        self.stdout.write(f"Checking {len(ids)} link{'s' * (len(ids) != 1)}…")
        summary = health.linkchecks_run(resource_ids=ids, threads=threads, since=since)
        self._report(summary)

    def _report(self, summary):
        self.stdout.write(
            f"Checked {summary.checked} link{'s' * (summary.checked != 1)} in {summary.seconds:.1f} s"
            f" ({summary.skipped} skipped, {summary.errors} errors)."
        )
        labels = dict(LinkCheck.Outcome.choices)
        width = max(len("outcome"), *(len(labels[o]) for o in summary.outcomes)) if summary.outcomes else 7
        self.stdout.write(f"  {'outcome':<{width}}  links")
        for outcome in LinkCheck.Outcome.values:
            if summary.outcomes.get(outcome):
                self.stdout.write(f"  {labels[outcome]:<{width}}  {summary.outcomes[outcome]:>5}")
        if summary.broken:
            self.stdout.write(self.style.ERROR(f"Broken links ({len(summary.broken)}):"))
            for pk, url, error in summary.broken:
                self.stdout.write(f"  #{pk} {url} — {error}")
        else:
            self.stdout.write("No broken links.")
