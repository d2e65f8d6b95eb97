"""Metadata for 1,000 arXiv resources through a local arXiv API that replays a recorded answer.

Prints how many arXiv API requests were made and how long they took, beside the floor that
arXiv's rule (one request every ARXIV_MIN_INTERVAL seconds, one connection at a time) sets:
(requests - 1) x interval. It measures; it asserts nothing.

    .venv/bin/python benchmarks/metadata.py                 # 1,000 ids, 3 s rule, one worker
    .venv/bin/python benchmarks/metadata.py --workers 4     # four workers share the rule
    .venv/bin/python benchmarks/metadata.py --interval 0    # the code's own speed

It uses a fresh SQLite database in a temporary directory unless --database-url names one
(whose resources table it then fills with benchmark rows: use a scratch database).
"""

import argparse
import itertools
import os
import re
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="arXiv resources to fetch (1000)")
    parser.add_argument("--interval", type=float, default=3.0, help="ARXIV_MIN_INTERVAL in seconds (3)")
    parser.add_argument("--batch", type=int, default=100, help="ARXIV_BATCH_SIZE, ids per request (100)")
    parser.add_argument("--workers", type=int, default=1, help="concurrent workers, as threads (1)")
    parser.add_argument("--database-url", default="", help="a scratch database (default: temporary SQLite)")
    return parser.parse_args()


class ArxivReplay(BaseHTTPRequestHandler):
    """Answers id_list queries with the recorded 1707.08567 entry, once per id asked for."""

    head: bytes = b""
    entry: bytes = b""
    arrivals: list[float] = []
    in_flight = 0
    most_in_flight = 0
    lock = threading.Lock()

    def do_GET(self):
        cls = type(self)
        with cls.lock:
            cls.arrivals.append(time.monotonic())
            cls.in_flight += 1
            cls.most_in_flight = max(cls.most_in_flight, cls.in_flight)
        try:
            ids = parse_qs(urlsplit(self.path).query).get("id_list", [""])[0].split(",")
            entries = [cls.entry.replace(b"1707.08567", arxiv_id.encode()) for arxiv_id in ids if arxiv_id]
            body = cls.head + b"\n  ".join(entries) + b"\n</feed>\n"
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with cls.lock:
                cls.in_flight -= 1

    def log_message(self, *args):
        pass


def main():
    args = _arguments()
    var_dir = tempfile.mkdtemp(prefix="clubsite-bench-")
    os.environ["VAR_DIR"] = var_dir
    os.environ.setdefault("SECRET_KEY", "benchmark")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{var_dir}/bench.sqlite3"
    os.environ["ARXIV_MIN_INTERVAL"] = str(args.interval)
    os.environ["ARXIV_BATCH_SIZE"] = str(args.batch)
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clubsite.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from resources.models import Resource
    from resources.services.metadata import metadata_fetch, metadata_task_chunks

    call_command("migrate", verbosity=0)

    recorded = (FIXTURES / "arxiv_api_2026_1707.08567.xml").read_bytes()
    ArxivReplay.head = recorded[: recorded.index(b"<entry>")]
    ArxivReplay.entry = re.search(rb"<entry>.*?</entry>", recorded, re.DOTALL)[0]
    server = ThreadingHTTPServer(("127.0.0.1", 0), ArxivReplay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.ARXIV_API_URL = f"http://127.0.0.1:{server.server_port}/api/query"
    settings.LINKCHECK_ALLOWED_INTERNAL_HOSTS = ["127.0.0.1"]  # the API is vetted like any link

    Resource.objects.filter(url__startswith="https://arxiv.org/abs/2301.").delete()
    Resource.objects.bulk_create(
        Resource(url=f"https://arxiv.org/abs/2301.{n:05d}", arxiv_id=f"2301.{n:05d}", kind="paper")
        for n in range(1, args.count + 1)
    )
    ids = list(Resource.objects.filter(arxiv_id__startswith="2301.").values_list("pk", flat=True))
    # As the beat job queues them: one task per API request's worth of ids.
    tasks = metadata_task_chunks(resource_ids=ids)
    totals = {"done": 0, "failed": 0, "requests": 0}
    lock = threading.Lock()

    def worker():
        try:
            while True:
                with lock:
                    if not tasks:
                        return
                    chunk = tasks.pop(0)
                summary = metadata_fetch(resource_ids=chunk)
                with lock:
                    totals["done"] += summary.done
                    totals["failed"] += summary.failed
                    totals["requests"] += summary.requests.get("arXiv", 0)
        finally:
            connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    server.shutdown()

    requests = len(ArxivReplay.arrivals)
    floor = max(0, requests - 1) * args.interval
    arrivals = sorted(ArxivReplay.arrivals)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    stored = Resource.objects.filter(arxiv_id__startswith="2301.", metadata_state="done").exclude(title="")
    print(f"arXiv resources:          {args.count} ({args.workers} worker(s), {args.batch} ids per request)")
    print(f"metadata stored:          {stored.count()} done, {totals['failed']} failed")
    print(f"arXiv API requests:       {requests} (client counted {totals['requests']})")
    print(f"most requests at once:    {ArxivReplay.most_in_flight}")
    if gaps:
        print(f"shortest gap:             {min(gaps):.2f} s (rule: {args.interval:g} s)")
    print(f"time:                     {elapsed:.1f} s")
    print(f"floor from the {args.interval:g} s rule: {floor:.1f} s ((requests - 1) x {args.interval:g} s)")
    print(f"overhead above the floor: {elapsed - floor:.1f} s")


if __name__ == "__main__":
    main()
