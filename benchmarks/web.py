"""Web: every main page and API list at a department's ten years of data, as production serves it.

It migrates the database named by --database-url (default: clubsite_bench on the local
PostgreSQL; it is kept between runs), fills it with `generate_demo_data --scale large` (reused when
already there), starts gunicorn (DEBUG off, whitenoise, --workers 2), warms each page up, then for
each page runs --clients closed-loop clients for --duration seconds and prints median, p95, max
(milliseconds, as the client saw them), requests per second and the queries one request makes
(counted in this process with Django's test client, which runs the same view). Then it prints
EXPLAIN for the library, search, research-board and meeting-page queries and marks any sequential
scan of a large table. It measures; it asserts no timing. --json writes the figures for comparing
commits.

    .venv/bin/python benchmarks/web.py                          # large data, 8 clients, 20 s a page
    .venv/bin/python benchmarks/web.py --duration 5 --pages library,search-common --json out.json

Only loopback addresses are contacted.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LARGE_TABLES = {
    "resources_resource",
    "taggit_taggeditem",
    "resources_linkcheck",
    "resources_mention",
    "meetings_researchitem",
    "meetings_minutes",
    "meetings_minutesrevision",
    "meetings_meeting",
}


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/clubsite_bench",
        help="a PostgreSQL database to fill and keep (clubsite_bench)",
    )
    parser.add_argument("--scale", default="large", choices=["small", "large"])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per page (20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--port", type=int, default=8780)
    parser.add_argument("--pages", default="", help="comma-separated page names (all)")
    parser.add_argument("--json", default="", help="write the figures to this file")
    return parser.parse_args()


def _environment(args) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "web-benchmark-not-a-secret-" + "x" * 30),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LIBRARY_AUTO_FETCH": "false",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "clubsite.settings",
    }


def _pages(data: dict) -> dict[str, dict]:
    """name -> {path, member (sign in first), accept}."""
    s, old, new, resource, rl = data["series"], data["oldest"], data["newest"], data["resource"], data["list"]
    pages = {
        "dashboard-visitor": {"path": "/"},
        "dashboard-member": {"path": "/", "member": True},
        "series": {"path": f"/series/{s}/"},
        "meeting-oldest": {"path": f"/series/{s}/meetings/{old}/"},
        "meeting-newest": {"path": f"/series/{s}/meetings/{new}/"},
        "meeting-newest-member": {"path": f"/series/{s}/meetings/{new}/", "member": True},
        "minutes-history": {"path": f"/series/{s}/meetings/{new}/minutes/history/"},
        "research-board": {"path": "/research/"},
        "rota": {"path": f"/series/{s}/rota/"},
        "library": {"path": "/library/"},
        "library-2-tags-kind": {"path": f"/library/?tag={data['tags'][0]}&tag={data['tags'][1]}&kind=paper"},
        "library-by-date": {"path": "/library/?sort=published"},
        "library-page-100": {"path": "/library/?page=100"},
        "resource": {"path": f"/library/{resource}/", "member": True},
        "search-common": {"path": "/search/?q=attention"},
        "search-rare": {"path": "/search/?q=zebrafish"},
        "reading-list": {"path": f"/lists/{rl}/"},
        "series-ics": {"path": f"/series/{s}/calendar.ics"},
        "minutes-feed": {"path": f"/series/{s}/feed/minutes.atom"},
        "library-feed": {"path": "/library/feed.atom"},
    }
    for name, path in [
        ("api-series", "/api/v1/series/"),
        ("api-meetings", f"/api/v1/series/{s}/meetings/"),
        ("api-resources", "/api/v1/resources/"),
        ("api-research", "/api/v1/research-items/"),
        ("api-lists", "/api/v1/reading-lists/"),
    ]:
        pages[name] = {"path": path, "accept": "application/json"}
        pages[name + "-browser"] = {"path": path, "accept": BROWSER}
    return pages


def _data() -> dict:
    from django.db.models import Count
    from taggit.models import Tag

    from meetings.models import Meeting, Series
    from resources.models import ReadingList, Resource

    series = Series.objects.filter(slug__startswith="demo-", visibility="public").order_by("slug").first()
    meetings = Meeting.objects.filter(series=series, documents__kind="minutes").order_by("start")

    tags = list(
        Tag.objects.filter(slug__startswith="demo-")
        .annotate(n=Count("taggit_taggeditem_items"))
        .order_by("-n")
        .values_list("name", flat=True)[:2]
    )
    return {
        "series": series.slug,
        "oldest": meetings.first().pk,
        "newest": meetings.last().pk,
        "resource": Resource.objects.filter(audience=Resource.Audience.PUBLIC).order_by("-pk").first().pk,
        "list": ReadingList.objects.filter(series__visibility="public", is_public=True)
        .order_by("pk")
        .first()
        .pk,
        "tags": tags,
    }


def _resolve_paths(pages: dict) -> None:
    """Map each page's path through the URL configuration, so a moved page fails loudly here."""
    from django.urls import Resolver404, resolve

    for name, page in pages.items():
        try:
            resolve(page["path"].split("?")[0])
        except Resolver404:
            page["skip"] = f"no such address {page['path']}"
            print(f"  {name}: {page['skip']}")


def _queries(pages: dict) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from meetings.models import User

    member = User.objects.get(username="demo-001")
    for page in pages.values():
        if page.get("skip"):
            continue
        client = Client()
        if page.get("member"):
            client.force_login(member)
        client.get(page["path"], HTTP_ACCEPT=page.get("accept", BROWSER))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page["path"], HTTP_ACCEPT=page.get("accept", BROWSER))
        page["queries"] = len(captured.captured_queries)
        page["status"] = response.status_code
        page["bytes"] = len(response.content)


def _sign_in(session, base: str) -> None:
    from meetings.services.demo_data import PASSWORD

    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    session.post(
        f"{base}/accounts/login/",
        data={"username": "demo-001", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )


def _measure(base: str, page: dict, clients: int, duration: float) -> dict:
    import requests

    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def session_for():
        session = requests.Session()
        session.headers["Accept"] = page.get("accept", BROWSER)
        if page.get("member"):
            _sign_in(session, base)
        return session

    def run(session, deadline):
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = session.get(base + page["path"], timeout=120)
                ok = response.status_code == 200
            except requests.RequestException as error:
                ok, response = False, error
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if ok:
                    times.append(elapsed)
                else:
                    errors.append(str(getattr(response, "status_code", response)))

    # Signed in before the clock starts; then a second of warm-up (caches, the page's first build).
    sessions = [session_for() for _ in range(clients)]
    run(sessions[0], time.monotonic() + 1)
    times.clear()
    errors.clear()
    begun = time.monotonic()
    deadline = begun + duration
    threads = [threading.Thread(target=run, args=(session, deadline)) for session in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - begun
    ordered = sorted(times)
    return {
        "requests": len(times),
        "errors": len(errors),
        "error_samples": errors[:3],
        "req_per_s": round(len(times) / elapsed, 1),
        "median_ms": round(statistics.median(ordered), 1) if ordered else None,
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 1) if ordered else None,
        "max_ms": round(ordered[-1], 1) if ordered else None,
    }


def _explain() -> list[dict]:
    """EXPLAIN of the queries the large pages make; a sequential scan of a large table is flagged."""
    from django.db import connection

    from meetings import selectors as meeting_selectors
    from meetings.models import Meeting, User
    from resources import selectors
    from resources.selectors_search import SearchFilters, _matching, _sources

    member = User.objects.get(username="demo-001")
    meeting = Meeting.objects.filter(series__slug__startswith="demo-").order_by("-start").first()
    qs_library = selectors.resources_filter(user=None, filters=selectors.LibraryFilters())[:25]
    qs_library_member = selectors.resources_filter(user=member, filters=selectors.LibraryFilters())[:25]
    qs_tags = selectors.resources_filter(
        user=None, filters=selectors.LibraryFilters(tags=["demo-attention-0"])
    )[:25]
    board = meeting_selectors.research_board(user=None)[:30]
    sources = _sources(None)
    search = _matching(sources[0], SearchFilters(q="zebrafish"), None)
    sections = _matching(
        next(s for s in sources if s.kind == "section"), SearchFilters(q="dual numbers"), None
    )
    queries = {
        "library (visitor)": qs_library,
        "library (member)": qs_library_member,
        "library (tag)": qs_tags,
        "research board": board,
        "search: library, rare word": search,
        "search: sections": sections,
    }
    own_and_carried = (
        meeting_selectors._research_items_qs()
        .filter(meeting__series_id=meeting.series_id, status="open", meeting__start__lt=meeting.start)
        .order_by("-meeting__start")[:20]
    )
    queries["meeting: carried over"] = own_and_carried
    results = []
    for name, qs in queries.items():
        sql, params = qs.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        scans = sorted({t for t in re.findall(r"Seq Scan on (\w+)", plan) if t in LARGE_TABLES})
        results.append({"query": name, "seq_scans_of_large_tables": scans, "plan": plan})
    return results


def main():
    args = _arguments()
    env = _environment(args)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.monotonic()
    call_command("generate_demo_data", "--scale", args.scale)
    print(f"data ready in {time.monotonic() - started:.0f} s")
    data = _data()
    pages = _pages(data)
    if args.pages:
        wanted = set(args.pages.split(","))
        pages = {name: page for name, page in pages.items() if name in wanted}
    _resolve_paths(pages)
    _queries(pages)
    plans = _explain()
    connections.close_all()

    log_path = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "web-benchmark.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "w")  # noqa: SIM115 - open for the whole run
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "clubsite.wsgi:application", "--bind", f"127.0.0.1:{args.port}",
         "--workers", str(args.workers), "--timeout", "120"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    try:
        _wait_up(base + "/healthz/", gunicorn)
        print(
            f"\n{args.clients} clients, {args.duration:.0f} s a page, "
            f"gunicorn {args.workers} workers, DEBUG off"
        )
        print("| page | req/s | median ms | p95 ms | max ms | queries | status | KB | errors |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for name, page in pages.items():
            if page.get("skip"):
                continue
            page.update(_measure(base, page, args.clients, args.duration))
            print(
                f"| {name} | {page['req_per_s']} | {page['median_ms']} | {page['p95_ms']} | {page['max_ms']} "
                f"| {page['queries']} | {page['status']} | {page['bytes'] // 1024} | {page['errors']} |",
                flush=True,
            )
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        try:
            gunicorn.wait(timeout=30)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
    print("\nEXPLAIN (sequential scans of large tables flagged):")
    flagged = 0
    for result in plans:
        scans = result["seq_scans_of_large_tables"]
        flagged += bool(scans)
        print(f"  {result['query']}: {'SEQ SCAN of ' + ', '.join(scans) if scans else 'index scans only'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"pages": pages, "explain": plans}, indent=2, default=str))
        print(f"figures written to {args.json}")
    sys.exit(1 if flagged else 0)


def _wait_up(url: str, process) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn stopped; see var/web-benchmark.log")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer within 60 s")


if __name__ == "__main__":
    main()
