"""Load: concurrent members reading and writing against gunicorn on PostgreSQL, with a real
Celery worker on Redis, as production runs it (DEBUG off).

Each client signs in, then until the time is up picks a page at random: the dashboard, a
series, a meeting, the library, a search, a resource (reads), or saves minutes, ticks a
research item, adds a resource (writes; a minutes save that meets a newer revision gets the
409 conflict page and is saved again on top of it, as a member merging would), and now and
then signs out and in again. It prints the requests, the errors (any 5xx, any unexpected
answer, any failed connection: there must be none) and the latency percentiles per page
kind; then it checks every write the site acknowledged is in the database (each minutes
save's revision, each tick's status and event, each added resource with its tags) and that
the worker checked the added links. It measures; it asserts no timing.

    .venv/bin/python benchmarks/load.py                       # 50 clients for 60 s, 3 gunicorn workers
    .venv/bin/python benchmarks/load.py --clients 20 --duration 30 --gunicorn-workers 2

It makes its own PostgreSQL database (--database, dropped at the end), serves on --port
(8800) and answers the added links from a local server on the next port; the broker is
CELERY_BROKER_URL (a Redis URL; the worker drains what the run queued before it stops).
Only loopback addresses are contacted.
"""

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "load-test password 42"
# The Celery queues of settings.CELERY_TASK_DEFAULT_QUEUE and CELERY_TASK_ROUTES.
QUEUES = ("default", "linkchecks", "metadata")
READS = {"dashboard": 12, "series": 8, "meeting": 14, "library": 8, "search": 8, "resource": 10}
WRITES = {"save minutes": 12, "tick item": 12, "add resource": 8, "sign in": 2}
WORDS = ["transformer", "diffusion", "attention", "graph", "kernel", "bayesian", "causal", "vision"]


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument("--gunicorn-workers", type=int, default=3, help="gunicorn worker processes (3)")
    parser.add_argument(
        "--port", type=int, default=8800, help="gunicorn's port; the link server takes the next"
    )
    parser.add_argument(
        "--postgres",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server (no database name)",
    )
    parser.add_argument(
        "--database", default="clubsite_load", help="the database made and dropped (clubsite_load)"
    )
    parser.add_argument("--broker", default=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args()


class LinkPages(BaseHTTPRequestHandler):
    """The pages members add: a small HTML page with a title, for the worker's link check."""

    protocol_version = "HTTP/1.1"

    def _answer(self):
        body = f"<html><head><title>Paper at {self.path}</title></head><body>ok</body></html>".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(body)

    do_GET = do_HEAD = _answer

    def log_message(self, *args):
        pass


def _database(args, name: str) -> str:
    return f"{args.postgres.rstrip('/')}/{name}"


def _admin(args, sql: str) -> None:
    import psycopg

    with psycopg.connect(_database(args, "postgres"), autocommit=True) as connection:
        connection.execute(sql)


def _environment(args, links_port: int) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": _database(args, args.database),
        "CELERY_BROKER_URL": args.broker,
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "load-benchmark-not-a-secret-" + "x" * 30),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        # Plain HTTP on loopback: production's HTTPS settings would redirect every request.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LIBRARY_AUTO_FETCH": "true",
        "LINKCHECK_ALLOWED_INTERNAL_HOSTS": "127.0.0.1",
        "LINKCHECK_HOST_SPACING": "0",
        "LINKCHECK_HOST_CONCURRENCY": "8",
        # Nothing reaches the internet: every API is the local link server, real hosts excluded.
        "ARXIV_API_URL": f"http://127.0.0.1:{links_port}/arxiv",
        "CROSSREF_API_URL": f"http://127.0.0.1:{links_port}/crossref",
        "DOI_RESOLVER_URL": f"http://127.0.0.1:{links_port}/doi",
        "DATACITE_API_URL": f"http://127.0.0.1:{links_port}/datacite",
        "LINKCHECK_EXCLUDED_HOSTS": "example.org,arxiv.org,doi.org,youtube.com",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": os.environ.get("VAR_DIR", str(ROOT / "var")),
    }


def _seed(clients: int) -> dict:
    """Members, two series (public and members-only), meetings with minutes and research items,
    a tagged library: made through the services, as the site makes them."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from meetings.models import Meeting, ResearchItem, Series, User
    from meetings.services.minutes import minutes_save
    from meetings.services.research import research_items_add
    from resources.services.library import resource_add

    password = make_password(PASSWORD)
    users = User.objects.bulk_create(
        [
            User(
                username=f"member{n:02d}",
                email=f"member{n:02d}@example.org",
                display_name=f"Member {n}",
                password=password,
            )
            for n in range(clients)
        ]
    )
    series_list = []
    for slug, name, visibility in [("ml-club", "ML Club", "public"), ("committee", "Committee", "members")]:
        series = Series.objects.create(name=name, slug=slug, visibility=visibility)
        series.organisers.add(users[0])
        series.members.add(*users)
        series_list.append(series)
    start = timezone.now() - timedelta_days(200)
    meetings = []
    for series in series_list:
        for n in range(20):
            meeting = Meeting.objects.create(
                series=series,
                sequence=n + 1,
                start=start + timedelta_days(7 * n),
                title=f"{series.name} meeting {n + 1}",
            )
            by = users[n % len(users)]
            minutes_save(
                meeting=meeting,
                kind="minutes",
                body=f"# Meeting {n + 1}\n\nWe read about **{WORDS[n % len(WORDS)]}** models.\n\n- one",
                base_revision=0,
                by=by,
            )
            lines = "\n".join(
                f"@{users[(n + k) % len(users)].username} look into {WORDS[k % len(WORDS)]} {k}"
                for k in range(20)
            )
            research_items_add(meeting=meeting, text=lines, by=by)
            meetings.append(meeting)
    resources = []
    for n in range(300):
        resource, _ = resource_add(
            url=f"https://example.org/papers/{n}",
            by=users[n % len(users)],
            title=f"A study of {WORDS[n % len(WORDS)]} number {n}",
            tags=[WORDS[n % len(WORDS)], WORDS[(n * 3) % len(WORDS)]],
            notes=f"Notes on {WORDS[(n + 1) % len(WORDS)]}.",
        )
        resources.append(resource.pk)
    return {
        "usernames": [u.username for u in users],
        "series": [s.slug for s in series_list],
        "meetings": [(m.series.slug, m.pk) for m in meetings],
        "items": list(ResearchItem.objects.values_list("pk", flat=True)),
        "resources": resources,
    }


def timedelta_days(days: float):
    from datetime import timedelta

    return timedelta(days=days)


CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BASE_REVISION = re.compile(r'name="base_revision" value="(\d+)"')


class Client(threading.Thread):
    def __init__(self, number: int, base: str, links: str, data: dict, deadline: float, results):
        super().__init__(name=f"client-{number}", daemon=True)
        import requests

        self.number, self.base, self.links, self.data, self.deadline = number, base, links, data, deadline
        self.results = results
        self.random = random.Random(number)
        self.session = requests.Session()
        self.username = data["usernames"][number % len(data["usernames"])]
        self.count = 0

    # Each request: (kind, latency, ok, detail); writes the site acknowledged are kept to verify.
    def _request(self, kind: str, method: str, path: str, *, expect=(200,), **kwargs):
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, allow_redirects=False, timeout=60, **kwargs
            )
        except Exception as error:  # a refused or dropped connection is an error like a 500
            self.results.record(
                kind, time.perf_counter() - started, f"{method} {path}: {type(error).__name__}"
            )
            return None
        elapsed = time.perf_counter() - started
        if response.status_code not in expect:
            snippet = re.sub(r"\s+", " ", response.text[:200])
            self.results.record(kind, elapsed, f"{method} {path}: HTTP {response.status_code} {snippet}")
            return None
        self.results.record(kind, elapsed, None)
        return response

    def _csrf(self) -> str:
        return self.session.cookies.get("csrftoken", "")

    def sign_in(self):
        if self.session.cookies.get("sessionid"):
            self._request(
                "sign out",
                "POST",
                "/accounts/logout/",
                expect=(302,),
                data={"csrfmiddlewaretoken": self._csrf()},
            )
        page = self._request("sign-in page", "GET", "/accounts/login/")
        if page is None:
            return False
        token = CSRF_INPUT.search(page.text).group(1)
        answer = self._request(
            "sign in",
            "POST",
            "/accounts/login/",
            expect=(302,),
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        )
        return answer is not None

    def run(self):
        if not self.sign_in():
            return
        kinds = list(READS) + list(WRITES)
        weights = list(READS.values()) + list(WRITES.values())
        while time.monotonic() < self.deadline:
            kind = self.random.choices(kinds, weights)[0]
            getattr(self, "do_" + kind.replace(" ", "_"))()

    def _meeting(self):
        return self.random.choice(self.data["meetings"])

    def do_dashboard(self):
        self._request("dashboard", "GET", "/")

    def do_series(self):
        self._request("series", "GET", f"/series/{self.random.choice(self.data['series'])}/")

    def do_meeting(self):
        slug, pk = self._meeting()
        self._request("meeting", "GET", f"/series/{slug}/meetings/{pk}/")

    def do_library(self):
        page = self.random.choice(["", "?page=2", f"?tag={self.random.choice(WORDS)}", "?sort=title"])
        self._request("library", "GET", f"/library/{page}")

    def do_search(self):
        self._request("search", "GET", "/search/", params={"q": self.random.choice(WORDS)})

    def do_resource(self):
        self._request("resource", "GET", f"/library/{self.random.choice(self.data['resources'])}/")

    def do_sign_in(self):
        self.sign_in()

    def do_save_minutes(self):
        slug, pk = self._meeting()
        path = f"/series/{slug}/meetings/{pk}/minutes/edit/"
        page = self._request("minutes editor", "GET", path)
        if page is None:
            return
        base = int(BASE_REVISION.search(page.text).group(1))
        self.count += 1
        marker = f"load-{self.number}-{self.count}"
        body = f"# Notes ({marker})\n\nWe talked about **{self.random.choice(WORDS)}** ({marker}).\n"
        for _attempt in range(3):
            answer = self._request(
                "save minutes",
                "POST",
                path,
                expect=(302, 409),
                data={"body": body, "base_revision": base, "csrfmiddlewaretoken": self._csrf()},
            )
            if answer is None:
                return
            if answer.status_code == 302:
                self.results.acknowledge("minutes", (pk, body))
                return
            # 409: someone saved first; the page offers the newer revision to build on.
            self.results.conflicts += 1
            base = int(BASE_REVISION.search(answer.text).group(1))

    def do_tick_item(self):
        item = self.random.choice(self.data["items"])
        answer = self._request(
            "tick item",
            "POST",
            f"/research/{item}/status/",
            data={"status": "done", "csrfmiddlewaretoken": self._csrf()},
            headers={"HX-Request": "true"},
        )
        if answer is not None:
            self.results.acknowledge("ticks", item)

    def do_add_resource(self):
        self.count += 1
        # Now and then two clients add the same link at once: the library keeps one record.
        shared = self.random.random() < 0.2
        path = f"/shared/{self.random.randrange(20)}" if shared else f"/c{self.number}/{self.count}"
        url = self.links + path
        tag = self.random.choice(WORDS)
        answer = self._request(
            "add resource",
            "POST",
            "/library/add/",
            expect=(302,),
            data={
                "url": url,
                "title": "",
                "kind": "",
                "tags": f"{tag}, load",
                "notes": "",
                "csrfmiddlewaretoken": self._csrf(),
            },
        )
        if answer is not None:
            match = re.search(r"/library/(\d+)/", answer.headers.get("Location", ""))
            self.results.acknowledge("resources", (int(match.group(1)) if match else None, url, tag))


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = defaultdict(list)
        self.acknowledged = defaultdict(list)
        self.conflicts = 0

    def record(self, kind, seconds, error):
        with self.lock:
            self.latencies[kind].append(seconds)
            if error:
                self.errors[kind].append(error)

    def acknowledge(self, what, value):
        with self.lock:
            self.acknowledged[what].append(value)


def _percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _report(results: Results, seconds: float) -> int:
    total = sum(len(v) for v in results.latencies.values())
    errors = sum(len(v) for v in results.errors.values())
    print(f"\n{total} requests in {seconds:.1f} s ({total / seconds:.1f}/s), {errors} errors, "
          f"{results.conflicts} minutes conflicts answered 409 and saved again")  # fmt: skip
    print(f"\n{'page':<16}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for kind in [*READS, "sign-in page", "minutes editor", *WRITES, "sign out"]:
        values = results.latencies.get(kind)
        if not values:
            continue
        ms = [v * 1000 for v in values]
        print(
            f"{kind:<16}{len(ms):>9}{len(results.errors.get(kind, [])):>8}"
            + "".join(f"{_percentile(ms, q):>9.0f}" for q in (0.5, 0.95, 0.99, 1.0))
        )
    for kind, messages in results.errors.items():
        for message in messages[:3]:
            print(f"  error ({kind}): {message}")
    return errors


def _verify(results: Results) -> list[str]:
    """Every acknowledged write is in the database."""
    from meetings.models import MinutesRevision, ResearchItem, ResearchItemEvent
    from resources.models import Resource

    problems = []
    saves = results.acknowledged["minutes"]
    stored = set(
        MinutesRevision.objects.filter(minutes__kind="minutes", body__contains="(load-").values_list(
            "minutes__meeting_id", "body"
        )
    )
    missing = [save for save in saves if save not in stored]
    problems += [f"minutes save not stored: meeting {pk}: {body[:40]!r}" for pk, body in missing[:5]]
    ticked = set(results.acknowledged["ticks"])
    not_done = set(
        ResearchItem.objects.filter(pk__in=ticked).exclude(status="done").values_list("pk", flat=True)
    )
    without_event = ticked - set(
        ResearchItemEvent.objects.filter(item_id__in=ticked, to_status="done").values_list(
            "item_id", flat=True
        )
    )
    problems += [f"ticked item {pk} is not done" for pk in sorted(not_done)[:5]]
    problems += [f"ticked item {pk} has no 'done' event" for pk in sorted(without_event)[:5]]
    added = results.acknowledged["resources"]
    found = {
        r.pk: (r.url, set(r.tags.names()))
        for r in Resource.objects.filter(pk__in=[a[0] for a in added]).prefetch_related("tags")
    }
    bad = [
        a
        for a in added
        if a[0] not in found or found[a[0]][0] != a[1] or not {a[2], "load"} <= found[a[0]][1]
    ]
    problems += [f"added resource not stored as acknowledged: {a}" for a in bad[:5]]
    print(
        f"\nverified: {len(saves)} minutes saves (each revision stored: {len(saves) - len(missing)}), "
        f"{len(ticked)} ticked items (done with an event: {len(ticked - not_done - without_event)}), "
        f"{len(added)} added resources ({len({a[0] for a in added})} distinct; "
        f"stored with their tags: {len(added) - len(bad)})"
    )
    return problems


def _wait_for_worker(results: Results, broker: str, timeout: float = 180.0) -> None:
    """Until the worker has done everything the run queued (nothing waiting, nothing unacknowledged)."""
    import redis

    from resources.models import LinkCheck

    client = redis.Redis.from_url(broker)
    ids = {a[0] for a in results.acknowledged["resources"]}
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        if not sum(client.llen(queue) for queue in QUEUES) and not client.hlen("unacked"):
            break
        time.sleep(0.5)
    waiting = sum(client.llen(queue) for queue in QUEUES) + client.hlen("unacked")
    checked = LinkCheck.objects.filter(resource_id__in=ids).values("resource_id").distinct().count()
    print(
        f"worker: {checked} of {len(ids)} added links checked; queue drained "
        f"{time.monotonic() - started:.1f} s after the load ({waiting} tasks still queued)"
    )


def main():
    args = _arguments()
    if not args.broker.startswith("redis"):
        sys.exit(
            "The load benchmark runs its worker on Redis: "
            "set CELERY_BROKER_URL (or --broker) to a redis:// URL."
        )
    links_port = args.port + 1
    env = _environment(args, links_port)
    os.environ.update({k: env[k] for k in env if k not in ("LIBRARY_AUTO_FETCH",)})
    # Seeding queues nothing for the worker: its emails go out in this process.
    os.environ["LIBRARY_AUTO_FETCH"] = "false"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    os.environ["DJANGO_SETTINGS_MODULE"] = "clubsite.settings"

    _admin(args, f'DROP DATABASE IF EXISTS "{args.database}"')
    _admin(args, f'CREATE DATABASE "{args.database}"')
    processes = []
    link_server = ThreadingHTTPServer(("127.0.0.1", links_port), LinkPages)
    link_server.daemon_threads = True
    threading.Thread(target=link_server.serve_forever, daemon=True).start()
    try:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        started = time.monotonic()
        data = _seed(args.clients)
        print(
            f"seeded {len(data['usernames'])} members, {len(data['meetings'])} meetings, "
            f"{len(data['items'])} research items, "
            f"{len(data['resources'])} resources in {time.monotonic() - started:.1f} s"
        )
        from django.db import connections

        connections.close_all()

        log = open(Path(env["VAR_DIR"]) / "load-benchmark.log", "w")  # noqa: SIM115 - open for the whole run
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "clubsite.wsgi:application",
             "--bind", f"127.0.0.1:{args.port}", "--workers", str(args.gunicorn_workers), "--timeout", "30"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(gunicorn)
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "clubsite", "worker", "--loglevel=WARNING",
             "--concurrency=2", "--without-gossip", "--without-mingle", "-Q", ",".join(QUEUES)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(worker)
        _wait_up(f"http://127.0.0.1:{args.port}/healthz/", gunicorn)

        results = Results()
        deadline = time.monotonic() + args.duration
        clients = [
            Client(
                n, f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{links_port}", data, deadline, results
            )
            for n in range(args.clients)
        ]
        begun = time.monotonic()
        for client in clients:
            client.start()
        for client in clients:
            client.join(timeout=args.duration + 120)
        elapsed = time.monotonic() - begun
        print(f"\n{args.clients} clients, {args.duration:.0f} s, gunicorn {args.gunicorn_workers} workers, "
              "PostgreSQL, Celery worker (2 processes) on Redis")  # fmt: skip
        errors = _report(results, elapsed)
        problems = _verify(results)
        _wait_for_worker(results, args.broker)
        for problem in problems:
            print(f"  NOT STORED: {problem}")
        status = 1 if errors or problems else 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        link_server.shutdown()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # teardown goes on whatever Django's state
            pass
        _admin(args, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    sys.exit(status)


def _wait_up(url: str, process) -> None:
    import requests

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit("gunicorn stopped; see var/load-benchmark.log")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    sys.exit("gunicorn did not answer within 60 s")


if __name__ == "__main__":
    main()
