"""What `make run` runs: the local site with its worker and beat, for a person at a terminal.

    python -m clubsite.localrun        # PORT=8000 HOST=127.0.0.1 VERBOSE= by default

1. Writes ``var/local.env`` (DEBUG on, a new secret key) on the first run and reads it, so
   `manage.py` commands work afterwards in this checkout with no variables set.
2. Migrates and runs ``setup_site`` (organiser account, demo club).
3. Starts the Procfile's processes (web, worker, beat), each line prefixed with its name;
   worker and beat log at WARNING (INFO with ``VERBOSE=1``).
4. Once the web server answers and the worker is ready, prints a framed block: the address
   to open and the organiser's credentials (or how to set a new password).
5. Ctrl-C (or SIGTERM) stops web, beat and worker (a warm shutdown: running tasks finish)
   and exits with status 0.

Ctrl-C at a terminal is sent to the whole foreground process group, make included, and make
then ends with "Error 130" whatever its recipe does. So when it runs at a terminal this
runner makes its own process group the terminal's foreground group (as a shell does for a
job): the key reaches the runner alone, it stops its children, gives the terminal back and
exits 0, and make sees a recipe that succeeded. Each child runs in a process group of its own
and is stopped by the runner, never by the key.
"""

import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from clubsite.localenv import local_env_load, local_env_path, local_env_write

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
STOP_ORDER = ("web", "beat", "worker")  # the worker last: it may be finishing a task
STARTUP_LIMIT = 300.0  # seconds to wait for the web server and the worker
STOP_LIMIT = 30.0  # seconds a process has to stop before it is killed
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def procfile_read(path: Path = PROCFILE) -> dict[str, str]:
    """The Procfile's ``name: command`` lines, in order."""
    processes = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def frame(lines: list[str]) -> str:
    """Lines in a box of ``=`` and ``|`` that stands out from the log around it."""
    width = max(len(line) for line in lines)
    rule = "+" + "=" * (width + 2) + "+"
    return "\n".join(["", rule, *(f"| {line.ljust(width)} |" for line in lines), rule, ""])


def credentials_lines(*, url: str, host: str, account: dict) -> list[str]:
    lines = [f"clubsite is running: {url}/"]
    if host not in LOOPBACK:
        lines.append(f"(listening on {host}: other machines use this machine's name or address)")
    lines.append("")
    if account.get("password"):
        lines += [
            f"Sign in at {url}/accounts/login/",
            f"    username: {account['username']}",
            f"    password: {account['password']}",
            "Keep the password: it is shown only this once (staff: /admin/ too).",
        ]
    else:
        lines += [
            f"Sign in at {url}/accounts/login/ as {account['username']!r}: the account exists.",
            "Forgot its password? `make password` sets a new one and prints it.",
        ]
    lines += [
        "",
        "Worker (queues default, linkchecks, metadata) and beat are running.",
        "Ctrl-C stops all three.",
    ]
    return lines


class Runner:
    def __init__(self, environ: dict[str, str]):
        self.environ = environ
        self.port = environ.get("PORT") or "8000"
        self.host = environ.get("HOST") or "127.0.0.1"
        self.processes: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()
        self.output_lock = threading.RLock()
        self.tty_fd: int | None = None
        self.tty_pgrp: int | None = None

    # --- output ---------------------------------------------------------------------------

    def say(self, text: str) -> None:
        with self.output_lock:
            sys.stdout.write(text + "\n")
            sys.stdout.flush()

    def _pump(self, name: str, stream) -> None:
        prefix = f"{name:<6} | "
        for raw in iter(stream.readline, b""):
            self.say(prefix + raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    # --- the terminal ---------------------------------------------------------------------

    def take_terminal(self) -> None:
        """Become the terminal's foreground process group, so Ctrl-C reaches this process only."""
        try:
            fd = sys.stdin.fileno()
            if not os.isatty(fd):
                return
            pgrp = os.tcgetpgrp(fd)
        except (OSError, ValueError):
            return
        if pgrp != os.getpgrp():
            return  # started in the background (make run &): the terminal is not ours to take
        if os.getpgrp() != os.getpid():
            os.setpgid(0, 0)
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not set it
        try:
            os.tcsetpgrp(fd, os.getpgrp())
        finally:
            signal.signal(signal.SIGTTOU, old)
        self.tty_fd, self.tty_pgrp = fd, pgrp

    def give_terminal_back(self) -> None:
        if self.tty_fd is None:
            return
        old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
        try:
            os.tcsetpgrp(self.tty_fd, self.tty_pgrp)
        except OSError:
            pass
        finally:
            signal.signal(signal.SIGTTOU, old)

    # --- steps ----------------------------------------------------------------------------

    def prepare_environment(self) -> None:
        path = local_env_path(self.environ)
        legacy_key = path.parent / "dev-secret-key"  # where earlier versions kept the key
        key = legacy_key.read_text().strip() if legacy_key.is_file() else None
        if local_env_write(path, secret_key=key):
            self.say(f"Wrote {path} (DEBUG on, a new secret key): manage.py reads it in this checkout.")
        self.environ.setdefault("DEBUG", "true")
        local_env_load(self.environ)
        self.environ.setdefault("SITE_URL", self.url)
        if self.host not in LOOPBACK:
            # A local server (DEBUG on) opened to the network: answer whatever name it is reached by.
            self.environ.setdefault("ALLOWED_HOSTS", "*")
        self.environ["PYTHONUNBUFFERED"] = "1"
        self.environ["PORT"], self.environ["HOST"] = self.port, self.host
        verbose = (self.environ.get("VERBOSE") or "").strip().lower() not in ("", "0", "false", "no", "off")
        self.environ.setdefault("WORKER_LOG_LEVEL", "INFO" if verbose else "WARNING")

    @property
    def url(self) -> str:
        shown = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{shown}:{self.port}"

    def manage(self, *arguments: str, capture: bool = False) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.environ,
            check=True,
            stdout=subprocess.PIPE if capture else None,
            text=True,
        )

    def start(self, name: str, command: str, extra_env: dict[str, str]) -> None:
        process = subprocess.Popen(
            ["/bin/sh", "-c", "exec " + command],
            cwd=ROOT,
            env={**self.environ, **extra_env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        self.processes[name] = process
        threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True).start()

    def wait_until_up(self, ready_file: Path) -> bool:
        """True once the web server answers and the worker said it is ready; False if stopped first."""
        deadline = time.monotonic() + STARTUP_LIMIT
        web_up = False
        probe = (
            f"http://127.0.0.1:{self.port}/healthz/"
            if self.host in ("0.0.0.0", "")
            else f"{self.url}/healthz/"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            if self.stopping.is_set() or self.exited():
                return False
            if not web_up:
                try:
                    with opener.open(probe, timeout=2) as response:
                        web_up = response.status == 200
                except (urllib.error.URLError, OSError):
                    pass
            if web_up and ready_file.exists():
                return True
            self.stopping.wait(0.3)
        self.say(f"The web server or the worker did not start within {STARTUP_LIMIT:.0f} s.")
        return False

    def exited(self) -> str | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        worker = self.processes.get("worker")
        if worker is not None and worker.poll() is None:
            self.say(
                "Stopping: the worker finishes the tasks it is running first (Ctrl-C again to stop at once)."
            )
        for name in STOP_ORDER:
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            # The process itself, not its group: a Celery worker stops its own pool children
            # after their tasks (a warm shutdown); SIGTERM to them as well would kill them mid-task.
            try:
                os.kill(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            try:
                process.wait(timeout=STOP_LIMIT)
            except subprocess.TimeoutExpired:
                self.say(f"{name} did not stop within {STOP_LIMIT:.0f} s: killed.")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for process in self.processes.values():
            if process.poll() is None:
                process.wait()

    def _on_signal(self, signum, _frame) -> None:
        if self.stopping.is_set() and signum == signal.SIGINT:
            for process in self.processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
        self.stopping.set()

    def run(self) -> int:
        self.take_terminal()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        try:
            return self._run()
        finally:
            self.give_terminal_back()

    def _run(self) -> int:
        self.prepare_environment()
        try:
            self.manage("migrate", "--noinput")
            result = self.manage("setup_site", "--json", capture=True)
        except subprocess.CalledProcessError as error:
            self.say(
                f"`manage.py {' '.join(map(shlex.quote, error.cmd[2:]))}` failed (status {error.returncode})."
            )
            return 1
        if self.stopping.is_set():
            return 0
        account = json.loads(result.stdout.strip().splitlines()[-1])
        with tempfile.TemporaryDirectory(prefix="clubsite-run-") as scratch:
            ready_file = Path(scratch) / "worker-ready"
            for name, command in procfile_read().items():
                extra = {"CLUBSITE_WORKER_READY_FILE": str(ready_file)} if name == "worker" else {}
                if name in ("worker", "beat"):
                    extra["LOG_LEVEL"] = self.environ.get("LOG_LEVEL") or self.environ["WORKER_LOG_LEVEL"]
                self.start(name, command, extra)
            failed = False
            if self.wait_until_up(ready_file):
                self.say(frame(credentials_lines(url=self.url, host=self.host, account=account)))
                while not self.stopping.wait(0.5):
                    if self.exited():
                        break
            gone = self.exited()
            if gone and not self.stopping.is_set():
                self.say(f"{gone} stopped (status {self.processes[gone].returncode}): stopping the others.")
                failed = True
            self.stop()
        self.say("Stopped web, worker and beat." if not failed else "Stopped.")
        return 1 if failed else 0


def main() -> int:
    return Runner(dict(os.environ)).run()


if __name__ == "__main__":
    sys.exit(main())
