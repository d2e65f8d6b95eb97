"""Smoke test of `make run`, as a person at a terminal runs it.

`make run PORT=...` runs under a pseudo-terminal, so Ctrl-C is what a person sends: the byte
0x03, which the terminal turns into SIGINT for its foreground process group. Checked:

- the sign-in page is served on the PORT asked for;
- the credentials frame is printed after the servers are up, with the URL and a password
  that signs in (and nothing but the frame's last lines after it: still on the screen);
- a task queued by a web request (an invitation email) is executed by the worker;
- Ctrl-C stops everything with exit status 0, no ERROR or Traceback line and no make error;
- a second `make run` says the account exists and how to set a new password, `make password`
  prints a new one that signs in.

Run from the repository root with a fresh VAR_DIR; stops everything it started.
"""

import contextlib
import os
import pty
import re
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

PORT = os.environ.get("SMOKE_PORT", "8000")
BASE = f"http://127.0.0.1:{PORT}"
LIMIT = 300  # seconds: the "within 5 minutes"
FRAME = re.compile(r"^\+=+\+$", re.MULTILINE)
BAD = re.compile(r"\bERROR\b|Traceback|make: \*\*\*|Error 130")


class Terminal:
    """`make run` under a pseudo-terminal; what it prints is kept in ``text`` and a log file."""

    def __init__(self, log_path: Path, *arguments: str):
        self.log_path = log_path
        self.chunks: list[str] = []
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: make, with the terminal as its controlling terminal
            os.execvp("make", ["make", "run", f"PORT={PORT}", *arguments])
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.status = None

    def _read(self):
        with self.log_path.open("a") as log:
            while True:
                ready, _, _ = select.select([self.fd], [], [], 0.5)
                if not ready:
                    if self.status is not None:
                        return
                    continue
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # the terminal closed: everything attached to it exited
                    return
                if not data:
                    return
                text = data.decode("utf-8", "replace").replace("\r\n", "\n")
                self.chunks.append(text)
                log.write(text)
                log.flush()

    @property
    def text(self) -> str:
        return "".join(self.chunks)

    def ctrl_c(self) -> int:
        os.write(self.fd, b"\x03")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                self.reader.join(timeout=10)
                return self.status
            time.sleep(0.2)
        self.kill()
        raise SystemExit("FAIL: make run did not stop within 90 s of Ctrl-C")

    def kill(self):
        if self.status is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(os.getpgid(self.pid), signal.SIGKILL)
        # What is left of the session the terminal leads: the runner's web, worker and beat
        # each run in a process group of their own.
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == self.pid:  # field 6 of stat: the session id
                    os.kill(int(stat.parent.name), signal.SIGKILL)
            except (OSError, IndexError, ValueError):
                continue


def wait(what, predicate, started):
    while time.monotonic() - started < LIMIT:
        try:
            if predicate():
                print(f"ok: {what} after {time.monotonic() - started:.1f} s")
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise SystemExit(f"FAIL: {what} not seen within {LIMIT} s")


def framed(text: str) -> str:
    """The text of the last complete credentials frame, or ''."""
    rules = [m.start() for m in FRAME.finditer(text)]
    if len(rules) < 2:
        return ""
    return text[rules[-2] : rules[-1]]


def sign_in(password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{BASE}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{BASE}/accounts/login/",
        data={"username": "organiser", "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{BASE}/accounts/login/"},
        timeout=10,
    )
    if "Sign out" not in response.text:
        raise SystemExit("FAIL: could not sign in with the printed password")
    return session


def stop(term: Terminal) -> None:
    status = term.ctrl_c()
    tail = term.text[-3000:]
    if status != 0:
        raise SystemExit(f"FAIL: make run ended with status {status} after Ctrl-C:\n{tail}")
    bad = [line for line in term.text.splitlines() if BAD.search(line)]
    if bad:
        raise SystemExit(
            "FAIL: ERROR / Traceback / make error lines in make run's output:\n" + "\n".join(bad)
        )
    if "Stopped web, worker and beat." not in term.text:
        raise SystemExit(f"FAIL: make run did not say it stopped everything:\n{tail}")
    print("ok: Ctrl-C stopped web, worker and beat; make exited 0 with no ERROR lines")


def first_run(log_path: Path, started: float) -> None:
    term = Terminal(log_path)
    try:
        wait(
            f"sign-in page served on port {PORT}",
            lambda: "Sign in" in requests.get(f"{BASE}/accounts/login/", timeout=5).text,
            started,
        )
        wait("credentials frame printed (web up, worker ready)", lambda: framed(term.text), started)
        box = framed(term.text)
        if f"{BASE}/" not in box:
            raise SystemExit(f"FAIL: the frame does not give the address {BASE}/:\n{box}")
        match = re.search(r"password: (\S+)", box)
        if not match:
            raise SystemExit(f"FAIL: the frame has no password:\n{box}")
        session = sign_in(match.group(1))
        print("ok: signed in with the password in the frame")
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
        # The console email backend prints the message in the worker's output.
        wait(
            "worker sent the invitation queued by the web request",
            lambda: "To: smoke@example.org" in term.text,
            started,
        )
        after = term.text.split(box, 1)[1]
        lines_after = [line for line in after.splitlines() if line.strip()]
        print(f"ok: {len(lines_after)} lines printed after the frame (the invitation email among them)")
        stop(term)
    finally:
        term.kill()


def second_run(log_path: Path, started: float) -> None:
    term = Terminal(log_path)
    try:
        wait("second run: frame printed", lambda: framed(term.text), started)
        box = framed(term.text)
        if "the account exists" not in box or "make password" not in box or "password:" in box:
            raise SystemExit(f"FAIL: the second run's frame does not say how to get a new password:\n{box}")
        print("ok: the second run's frame says the account exists and names `make password`")
        result = subprocess.run(["make", "password"], capture_output=True, text=True, check=True)
        match = re.search(r"password: (\S+)", result.stdout)
        if not match:
            raise SystemExit(f"FAIL: make password printed no password:\n{result.stdout}")
        sign_in(match.group(1))
        print("ok: `make password` printed a new password that signs in")
        stop(term)
    finally:
        term.kill()


def main() -> int:
    log_path = Path(os.environ.get("VAR_DIR", "var")) / "make-run.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log_path.write_text("")
    started = time.monotonic()
    try:
        first_run(log_path, started)
        second_run(log_path, time.monotonic())
    except SystemExit:
        print("--- make run output (tail) ---")
        print("\n".join(log_path.read_text().splitlines()[-60:]))
        raise
    print(f"make run smoke test passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
