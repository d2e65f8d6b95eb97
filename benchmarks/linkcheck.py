"""How fast a real worker checks links, beside the ideal the politeness settings allow.

Serves N links spread over H hosts (distinct loopback addresses 127.0.0.1 ... 127.0.0.H),
each answering after a fixed latency; dispatches the due checks as Celery beat would; lets
a real `celery worker` check them; prints links per second beside the ideal

    min(worker concurrency / latency, hosts x min(per-host concurrency / latency, 1 / spacing))

and their ratio. Runs twice: with the default per-host spacing, and with the spacing at 0.

    .venv/bin/python benchmarks/linkcheck.py                    # SQLite + embedded broker
    DATABASE_URL=postgres://.../scratch CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python benchmarks/linkcheck.py --pool prefork --concurrency 2

It uses its own temporary VAR_DIR (so its own SQLite file and broker folder) unless
DATABASE_URL names a database, which it migrates and whose library it REPLACES: give it a
scratch database. It prints figures; it asserts nothing about speed.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=50, help="at most 250 (127.0.0.1 ... 127.0.0.250)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each answer takes")
    parser.add_argument(
        "--pool",
        choices=["threads", "solo", "prefork"],
        default="threads",
        help="the worker's Celery pool: threads runs several batches at once in one process, sharing its "
        "LINKCHECK_THREADS link-check threads; prefork runs --concurrency processes with a pool each",
    )
    parser.add_argument("--concurrency", type=int, default=4, help="Celery's --concurrency (not for solo)")
    parser.add_argument("--threads", type=int, default=None, help="LINKCHECK_THREADS (default: the setting)")
    parser.add_argument("--timeout", type=float, default=600, help="give up a run after this many seconds")
    return parser.parse_args()


class LatencyServer:
    """One host: HTTP/1.1 keep-alive, every request answered 200 after ``latency`` seconds."""

    def __init__(self, address: str, latency: float):
        body = b"<html><head><title>A paper</title></head><body>...</body></html>"

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_HEAD(self):
                time.sleep(latency)
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "GET":
                    self.wfile.write(body)

            do_GET = do_HEAD

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.request_queue_size = 64
        self.httpd = ThreadingHTTPServer((address, 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.1,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def start_worker(env: dict, queue: str, pool: str, concurrency: int, log_path: Path) -> subprocess.Popen:
    pool = [f"--pool={pool}"] + ([f"--concurrency={concurrency}"] if pool != "solo" else [])
    command = [
        sys.executable, "-m", "celery", "-A", "clubsite", "worker", "--loglevel=INFO", *pool,
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-Q", queue,
        "-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h",
    ]  # fmt: skip
    log = log_path.open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start:\n{log_path.read_text()}")
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def ideal_rate(*, concurrency: int, latency: float, hosts: int, host_concurrency: int, spacing: float):
    per_host = min(host_concurrency / latency, (1 / spacing) if spacing > 0 else float("inf"))
    return min(concurrency / latency, hosts * per_host), concurrency / latency, per_host


def main():
    args = parse_args()
    if not 1 <= args.hosts <= 250:
        raise SystemExit("--hosts must be between 1 and 250")
    var_dir = Path(tempfile.mkdtemp(prefix="clubsite-bench-"))
    addresses = [f"127.0.0.{n}" for n in range(1, args.hosts + 1)]
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret")
    os.environ["VAR_DIR"] = str(var_dir)
    os.environ["LINKCHECK_ALLOWED_INTERNAL_HOSTS"] = ",".join(addresses)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from clubsite.celery import app
    from resources.models import HostThrottle, LinkCheck, Resource
    from resources.tasks.health import linkchecks_dispatch_due

    call_command("migrate", verbosity=0)
    threads = args.threads or settings.LINKCHECK_THREADS
    processes = args.concurrency if args.pool == "prefork" else 1
    pool = f"{args.pool} pool" + (f", {args.concurrency} batches at once" if args.pool == "threads" else "")
    default_spacing = settings.LINKCHECK_HOST_SPACING
    host_concurrency = settings.LINKCHECK_HOST_CONCURRENCY

    servers = [LatencyServer(address, args.latency) for address in addresses]
    LinkCheck.objects.all().delete()
    Resource.objects.all().delete()
    # Links without identifiers would read their page head on the first check: counted as
    # done here, so every check is the plain HEAD a weekly re-check makes.
    Resource.objects.bulk_create(
        Resource(
            url=f"http://{addresses[n % args.hosts]}:{servers[n % args.hosts].port}/paper/{n}",
            title=f"Paper {n}",
            metadata_state=Resource.MetadataState.NOT_APPLICABLE,
        )
        for n in range(args.links)
    )
    print(
        f"{args.links} links over {args.hosts} hosts, {args.latency * 1000:.0f} ms latency; "
        f"worker: {processes} process(es) x {threads} link-check threads ({pool}); "
        f"broker {settings.CELERY_BROKER_URL.split('://')[0]}, database {connections['default'].vendor}; "
        f"batch size {settings.LINKCHECK_BATCH_SIZE}, per host at most {host_concurrency} at a time"
    )
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    # Every task (link checks are routed to "linkchecks" in production) to the benchmark's queue.
    app.conf.update(task_default_queue=queue, task_routes={})
    results = []
    try:
        for spacing in (default_spacing, 0.0):
            Resource.objects.update(
                health="unknown", last_checked_at=None, next_check_at=None, consecutive_failures=0
            )
            LinkCheck.objects.all().delete()
            HostThrottle.objects.all().delete()
            env = {
                **os.environ,
                "LINKCHECK_HOST_SPACING": str(spacing),
                "LINKCHECK_THREADS": str(threads),
                "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
                "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{var_dir / 'clubsite.sqlite3'}"),
            }
            worker = start_worker(env, queue, args.pool, args.concurrency, var_dir / f"worker-{spacing}.log")
            try:
                started = time.monotonic()
                queued = linkchecks_dispatch_due()
                deadline = started + args.timeout
                while (done := LinkCheck.objects.count()) < queued and time.monotonic() < deadline:
                    time.sleep(0.25)
                elapsed = time.monotonic() - started
            finally:
                stop_worker(worker)
            outcomes = dict(LinkCheck.objects.values_list("outcome").annotate(n=django.db.models.Count("pk")))
            rate = done / elapsed
            ideal, by_workers, per_host = ideal_rate(
                concurrency=processes * threads,
                latency=args.latency,
                hosts=args.hosts,
                host_concurrency=host_concurrency,
                spacing=spacing,
            )
            results.append((spacing, done, elapsed, rate, ideal, by_workers, per_host, outcomes))
            print(
                f"spacing {spacing:g} s: {done}/{queued} links in {elapsed:.1f} s = {rate:.1f} links/s; "
                f"ideal {ideal:.1f} links/s = "
                f"min({processes * threads}/{args.latency:g} s = {by_workers:.1f}, "
                f"{args.hosts} x {per_host:.1f}/s per host = {args.hosts * per_host:.1f}); "
                f"ratio {rate / ideal:.2f}; outcomes {outcomes}"
            )
    finally:
        for server in servers:
            server.close()
    return results


if __name__ == "__main__":
    main()
