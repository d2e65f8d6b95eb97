"""One throttled host among many fast ones: do the fast hosts' checks wait for it?

Serves F fast hosts (127.0.0.2 ...), each with L links answered after a short latency, and
one throttled host (127.0.0.1) with T links that answers each link first with 429 and a
Retry-After (``--mode 429``) or answers every request slowly (``--mode slow``). Runs the
checks as P worker processes would — P link-check pools of N threads, each given its share
of the claimed links in host-spread batches, all sharing the database's host slots — first
with the fast hosts alone, then with the throttled host too, and prints how long the fast
hosts' checks took in each case (from the start to the last fast link's LinkCheck).

    .venv/bin/python benchmarks/linkcheck_hosts.py                 # SQLite in a temporary folder
    .venv/bin/python benchmarks/linkcheck_hosts.py --mode slow
    DATABASE_URL=postgres://.../scratch .venv/bin/python benchmarks/linkcheck_hosts.py

With DATABASE_URL it migrates that database and REPLACES its library: name a scratch one.
It prints figures; it asserts nothing about speed.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fast-hosts", type=int, default=12)
    parser.add_argument("--links", type=int, default=8, help="links per fast host")
    parser.add_argument("--throttled-links", type=int, default=12)
    parser.add_argument("--mode", choices=["429", "slow"], default="429")
    parser.add_argument("--retry-after", type=int, default=5, help="the 429's Retry-After, seconds")
    parser.add_argument("--slow", type=float, default=4.0, help="seconds each slow answer takes")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds each fast answer takes")
    parser.add_argument("--pools", type=int, default=4, help="worker processes imitated")
    parser.add_argument("--threads", type=int, default=4, help="link-check threads per pool")
    return parser.parse_args()


class Host:
    """One host on its own loopback address; ``answer(handler)`` decides each reply."""

    def __init__(self, address: str, answer):
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self):
                status, headers, delay = answer(self.path)
                time.sleep(delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_HEAD

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.request_queue_size = 64
        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.address, self.port = address, self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://{self.address}:{self.port}{path}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def throttled_answer(args):
    seen: set[str] = set()
    lock = threading.Lock()

    def answer(path):
        if args.mode == "slow":
            return 200, {}, args.slow
        with lock:
            first = path not in seen
            seen.add(path)
        return (429, {"Retry-After": str(args.retry_after)}, 0.0) if first else (200, {}, args.latency)

    return answer


def run_once(args, hosts, throttled):
    """Claim every link, deal the batches to the pools, run them at once; (fast s, all s, outcomes)."""
    from django.db import connections
    from django.db.models import Count, Max
    from django.utils import timezone

    from resources.models import HostThrottle, LinkCheck, Resource
    from resources.services import health

    Resource.objects.update(
        health="unknown", last_checked_at=None, next_check_at=None, consecutive_failures=0
    )
    LinkCheck.objects.all().delete()
    HostThrottle.objects.all().delete()
    wanted = [h.address for h in hosts] + ([throttled.address] if throttled else [])
    ids = [
        pk
        for pk, url in Resource.objects.values_list("pk", "url")
        if url.split("/")[2].split(":")[0] in wanted
    ]
    grouped = health.linkchecks_due(now=timezone.now())
    chosen = set(ids)
    grouped = {host: [pk for pk in pks if pk in chosen] for host, pks in grouped.items()}
    batches = health.linkchecks_chunk(grouped, size=max(1, -(-len(ids) // args.pools)))
    started_at = timezone.now()
    started = time.monotonic()

    def pool(batch):
        try:
            health.linkchecks_run(resource_ids=batch, threads=args.threads)
        finally:
            connections.close_all()

    runners = [threading.Thread(target=pool, args=(batch,)) for batch in batches]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    total = time.monotonic() - started
    fast = LinkCheck.objects.exclude(
        resource__url__contains=f"//{throttled.address}:" if throttled else "//-"
    )
    last_fast = fast.aggregate(last=Max("checked_at"))["last"]
    outcomes = dict(LinkCheck.objects.values_list("outcome").annotate(n=Count("pk")))
    skipped = Resource.objects.filter(pk__in=ids, last_checked_at__isnull=True).count()
    return (last_fast - started_at).total_seconds(), total, fast.count(), outcomes, skipped


def main():
    args = parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="clubsite-bench-"))
    addresses = [f"127.0.0.{n}" for n in range(1, args.fast_hosts + 2)]
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["LINKCHECK_ALLOWED_INTERNAL_HOSTS"] = ",".join(addresses)
    os.environ.setdefault("LINKCHECK_HOST_SPACING", "0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from resources.models import LinkCheck, Resource

    call_command("migrate", verbosity=0)
    fast_hosts = [Host(address, lambda path: (200, {}, args.latency)) for address in addresses[1:]]
    throttled = Host(addresses[0], throttled_answer(args))
    LinkCheck.objects.all().delete()
    Resource.objects.all().delete()
    urls = [h.url(f"/paper/{n}") for n in range(args.links) for h in fast_hosts]
    urls += [throttled.url(f"/busy/{n}") for n in range(args.throttled_links)]
    Resource.objects.bulk_create(
        Resource(url=url, title=url, metadata_state=Resource.MetadataState.NOT_APPLICABLE) for url in urls
    )
    what = (
        f"429 with Retry-After {args.retry_after} s on each link's first request"
        if args.mode == "429"
        else f"every answer after {args.slow:g} s"
    )
    print(
        f"{args.fast_hosts} fast hosts x {args.links} links ({args.latency * 1000:.0f} ms); throttled host: "
        f"{args.throttled_links} links, {what}; {args.pools} pools x {args.threads} threads; "
        f"database {connections['default'].vendor}; per host at most {settings.LINKCHECK_HOST_CONCURRENCY} "
        f"at a time, spacing {settings.LINKCHECK_HOST_SPACING:g} s"
    )
    try:
        for label, with_throttled in (("fast hosts alone", False), ("with the throttled host", True)):
            fast_s, total_s, fast_n, outcomes, skipped = run_once(
                args, fast_hosts, throttled if with_throttled else None
            )
            print(
                f"{label}: the {fast_n} fast links done after {fast_s:.1f} s; every check done after "
                f"{total_s:.1f} s; outcomes {outcomes}; left for a later dispatch {skipped}"
            )
    finally:
        for host in [*fast_hosts, throttled]:
            host.close()


if __name__ == "__main__":
    main()
