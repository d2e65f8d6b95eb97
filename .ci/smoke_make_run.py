"""Smoke test of `make run`: the sign-in page is served, the worker is ready, and a
task queued by a web request (an invitation email) is executed by that worker.

Run from the repository root with a fresh VAR_DIR; stops everything it started.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

BASE = "http://127.0.0.1:8000"
LIMIT = 300  # seconds: the "within 5 minutes"


def main() -> int:
    log_path = Path(os.environ.get("VAR_DIR", "var")) / "make-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_path.open("w") as log:
        proc = subprocess.Popen(["make", "run"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        return _check(proc, log_path, started)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        print("--- make run output (tail) ---")
        print("\n".join(log_path.read_text().splitlines()[-40:]))


def _wait(what, predicate, started):
    while time.monotonic() - started < LIMIT:
        try:
            if predicate():
                print(f"ok: {what} after {time.monotonic() - started:.1f} s")
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit(f"FAIL: {what} not seen within {LIMIT} s")


def _check(proc, log_path, started) -> int:
    text = log_path.read_text
    _wait(
        "sign-in page served",
        lambda: "Sign in" in requests.get(f"{BASE}/accounts/login/", timeout=5).text,
        started,
    )
    _wait("worker ready", lambda: re.search(r"celery@\S+ ready\.", text()), started)
    match = re.search(r"password: (\S+)", text())
    if not match:
        raise SystemExit("FAIL: make run did not print the organiser's new password")
    session = requests.Session()
    page = session.get(f"{BASE}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{BASE}/accounts/login/",
        data={"username": "organiser", "password": match.group(1), "csrfmiddlewaretoken": token},
        headers={"Referer": f"{BASE}/accounts/login/"},
        timeout=10,
    )
    if "Sign out" not in response.text:
        raise SystemExit("FAIL: could not sign in with the printed password")
    page = session.get(f"{BASE}/accounts/invite/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{BASE}/accounts/invite/",
        data={"email": "smoke@example.org", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{BASE}/accounts/invite/"},
        timeout=10,
    )
    if "Invitation sent to smoke@example.org" not in response.text:
        raise SystemExit("FAIL: the invitation form did not accept the invitation")
    _wait(
        "worker executed the task queued by the web request",
        lambda: (
            re.search(r"Task meetings\.invitation_send\[[^\]]+\] succeeded", text())
            and "To: smoke@example.org" in text()
        ),
        started,
    )
    print(f"make run smoke test passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
