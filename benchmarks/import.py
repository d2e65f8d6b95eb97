"""Importing a big club document: how long reading (parse) and writing (the import) take.

Prints the document's size, the meetings and links in it, and the seconds each phase took; it
measures and asserts nothing.

    .venv/bin/python benchmarks/import.py                           # 2,000 meetings, 40,000 links, SQLite
    .venv/bin/python benchmarks/import.py --meetings 200 --database-url postgres://postgres@127.0.0.1:5432/scratch
    .venv/bin/python benchmarks/import.py --parse-only              # reading alone, no database

The document is generated: one "## Session N - <date>" heading per meeting with a speakers
section, minutes, a materials list of --links-per-meeting links (arXiv, DOI and web pages, every
one distinct) and research items. It fills a fresh SQLite database in a temporary directory unless
--database-url names one (which it migrates: name a scratch database).
"""

import argparse
import datetime
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=2000, help="meetings in the document (2000)")
    parser.add_argument("--links-per-meeting", type=int, default=20, help="links per meeting (20)")
    parser.add_argument("--database-url", default="", help="a scratch database (default: temporary SQLite)")
    parser.add_argument("--parse-only", action="store_true", help="time reading the document only")
    parser.add_argument("--dry-run", action="store_true", help="import with --dry-run (rolled back)")
    return parser.parse_args()


def document(meetings: int, links: int) -> str:
    """A club's archive: every meeting dated, with speakers, minutes, materials and items."""
    parts = [
        "# Benchmark Reading Group",
        "",
        "We read a paper a week. Notes on the [wiki](https://example.org/wiki).",
        "",
    ]
    day = datetime.date(2015, 1, 5)
    number = 0
    for meeting in range(1, meetings + 1):
        parts += [f"## Session {meeting} - {day:%d %B %Y}", "", "### Speakers", "",
                  f"- Speaker {meeting % 97} Person: Paper number {meeting}", "", "### Minutes", "",
                  f"We discussed paper {meeting} at length; the group asked about baselines, data and",
                  "the evaluation. Several people had tried the code and reported their results.", "",
                  "### Materials", ""]  # fmt: skip
        for link in range(links):
            number += 1
            if link % 4 == 0:
                arxiv = f"{2101 + number // 10000:04d}.{number % 10000:05d}"
                parts.append(f"- Paper: [A paper {number}](https://arxiv.org/abs/{arxiv})")
            elif link % 4 == 1:
                parts.append(f"- DOI: [An article {number}](https://doi.org/10.1234/bench.{number})")
            else:
                parts.append(
                    f"- Slides: [slides {number}](https://example.org/meeting/{meeting}/file-{number}.pdf)"
                )
        parts += ["", "### To research", "", f"- [ ] Try the method of paper {meeting}",
                  f"- [x] Read the appendix of paper {meeting}", ""]  # fmt: skip
        day += datetime.timedelta(days=7)
    return "\n".join(parts) + "\n"


def main():
    args = _arguments()
    var_dir = tempfile.mkdtemp(prefix="clubsite-bench-")
    os.environ["VAR_DIR"] = var_dir
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{var_dir}/bench.sqlite3"
    os.environ["LIBRARY_AUTO_FETCH"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command

    from meetings.services.importer import markdown_import, markdown_parse

    text = document(args.meetings, args.links_per_meeting)
    print(f"document: {len(text.encode()) / 1024 / 1024:.1f} MB, {args.meetings} meetings, "
          f"{args.meetings * args.links_per_meeting} links")  # fmt: skip
    started = time.perf_counter()
    plan = markdown_parse(text=text, source="bench.md")
    parsed = time.perf_counter() - started
    links = sum(len(m.links) for m in plan.meetings)
    print(f"parse: {parsed:.1f} s ({len(plan.meetings)} meetings, {links} links read)")
    if args.parse_only:
        return
    call_command("migrate", verbosity=0)
    from meetings.models import Series

    slug = f"bench-{args.meetings}"
    Series.objects.filter(slug=slug).delete()
    started = time.perf_counter()
    result = markdown_import(documents=[("bench.md", text)], series_slug=slug, dry_run=args.dry_run)
    took = time.perf_counter() - started
    counts = result.counts
    print(f"import{' (dry run)' if args.dry_run else ''}: {took:.1f} s "
          f"({counts['meetings']['created']} meetings, {counts['resources']['created']} new resources, "
          f"{counts['research_items']['created']} research items)")  # fmt: skip


if __name__ == "__main__":
    main()
