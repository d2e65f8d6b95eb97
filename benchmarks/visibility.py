"""Who sees which resource, at library size: the stored audience and holders against the three
EXISTS the library used before, for a visitor and for a member, and the cost of keeping them.

Prints, for each query, the median time of its runs; it measures and asserts nothing.

    .venv/bin/python benchmarks/visibility.py                         # 50,000 resources, SQLite
    .venv/bin/python benchmarks/visibility.py --database-url postgres://postgres@127.0.0.1:5432/scratch

It fills a fresh SQLite database in a temporary directory unless --database-url names one (which
it migrates and whose library it replaces: name a scratch database). The library: --resources
resources, mentioned by meetings of --series series (a third members-only, a third holding theirs
on reading lists of members-only series too), a tenth added straight to the library; the member
belongs to two members-only series.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=50_000, help="resources in the library (50000)")
    parser.add_argument("--series", type=int, default=30, help="series (30)")
    parser.add_argument("--runs", type=int, default=15, help="runs of each query (15)")
    parser.add_argument("--database-url", default="", help="a scratch database (default: temporary SQLite)")
    return parser.parse_args()


def _median_ms(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


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
    from django.contrib.auth.models import AnonymousUser
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Exists, OuterRef, Q

    from meetings.models import Meeting, Series, User
    from meetings.selectors import series_visible_to
    from resources.models import Mention, ReadingList, ReadingListItem, Resource, ResourceHolder
    from resources.selectors import resources_visible_to
    from resources.services.visibility import resources_visibility_refresh, visibility_rebuild

    call_command("migrate", verbosity=0)
    for model in (ResourceHolder, ReadingListItem, ReadingList, Mention, Resource, Meeting, Series):
        model.objects.all().delete()
    member, _ = User.objects.get_or_create(username="bench-member")
    outsider, _ = User.objects.get_or_create(username="bench-outsider")

    started = time.perf_counter()
    series = [
        Series.objects.create(
            name=f"Series {n}", slug=f"bench-{n}", visibility="members" if n % 3 == 0 else "public"
        )
        for n in range(args.series)
    ]
    for s in [s for s in series if s.visibility == "members"][:2]:
        s.members.add(member)
    meetings = [Meeting.objects.create(series=s, title=f"Meeting of {s.name}") for s in series]
    lists = {
        s.pk: ReadingList.objects.create(title=f"List of {s.name}", series=s, is_public=True)
        for s in series
        if s.visibility == "members"
    }
    Resource.objects.bulk_create(
        [
            Resource(url=f"https://example.org/bench/{n}", title=f"Paper {n}", held_by_library=n % 10 == 0)
            for n in range(args.resources)
        ],
        batch_size=2000,
    )
    ids = list(Resource.objects.order_by("pk").values_list("pk", flat=True))
    mentions, items = [], []
    for index, pk in enumerate(ids):
        meeting = meetings[index % len(meetings)]
        mentions.append(Mention(resource_id=pk, meeting=meeting, section="minutes"))
        if meeting.series_id in lists and index % 2 == 0:
            items.append(
                ReadingListItem(reading_list=lists[meeting.series_id], resource_id=pk, position=index)
            )
    Mention.objects.bulk_create(mentions, batch_size=2000)
    ReadingListItem.objects.bulk_create(items, batch_size=2000)
    filled = time.perf_counter() - started

    started = time.perf_counter()
    visibility_rebuild()
    rebuilt = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # plans as a database that has lived a while would have them

    def before(user):
        """The library's visibility before issue 13: members saw all; visitors three EXISTS joined by OR."""
        if user.is_authenticated:
            return Resource.objects.all()
        public = Series.Visibility.PUBLIC
        mention = Mention.objects.filter(resource=OuterRef("pk"), meeting__series__visibility=public)
        talk = Meeting.objects.filter(talks__resource=OuterRef("pk"), series__visibility=public)
        listed = ReadingListItem.objects.filter(resource=OuterRef("pk"), reading_list__is_public=True)
        return Resource.objects.filter(Exists(mention) | Exists(talk) | Exists(listed))

    def three_exists_for_members(user):
        """The same rule as now, written as the three EXISTS (what 'one condition' replaces)."""
        visible = series_visible_to(user).values("pk")
        mention = Mention.objects.filter(resource=OuterRef("pk"), meeting__series__in=visible)
        talk = Meeting.objects.filter(talks__resource=OuterRef("pk"), series__in=visible)
        listed = ReadingListItem.objects.filter(
            Q(reading_list__series__isnull=True) | Q(reading_list__series__in=visible),
            resource=OuterRef("pk"),
        )
        return Resource.objects.filter(
            Q(held_by_library=True) | Exists(mention) | Exists(talk) | Exists(listed)
        )

    def page(qs):
        return lambda: (qs.count(), list(qs.order_by("-created_at", "-pk")[:25]))

    visitor = AnonymousUser()
    rows = [
        ("visitor, now: audience = 0", resources_visible_to(visitor)),
        ("visitor, before: three EXISTS", before(visitor)),
        ("member, now: audience <= 1 OR EXISTS(holder)", resources_visible_to(member)),
        ("member, the same rule as three EXISTS", three_exists_for_members(member)),
        ("outsider (no series), now", resources_visible_to(outsider)),
    ]
    print(
        f"{connection.vendor}: {args.resources} resources, {args.series} series, "
        f"{ResourceHolder.objects.count()} holder rows; filled in {filled:.1f} s, "
        f"visibility rebuilt from scratch in {rebuilt:.1f} s"
    )
    print(f"{'library page (count + first 25)':48} {'visible':>8} {'median ms':>10}")
    for label, qs in rows:
        print(f"{label:48} {qs.count():8d} {_median_ms(args.runs, page(qs)):10.1f}")
    one = [ids[len(ids) // 2]]
    refresh_one = _median_ms(args.runs, lambda: resources_visibility_refresh(resource_ids=one))
    print(f"refresh one resource: {refresh_one:.1f} ms")
    hundred = ids[:100]
    print(
        f"refresh 100 resources (a long minutes save): "
        f"{_median_ms(args.runs, lambda: resources_visibility_refresh(resource_ids=hundred)):.1f} ms"
    )


if __name__ == "__main__":
    main()
