"""docker-compose.yml, the Dockerfile and .env.example agree with each other and with settings.

Docker is not needed: the compose file is read the way Compose reads it (variables from
.env.example interpolated, YAML anchors and merge keys resolved), and the settings are
checked by running Django's deploy checks with the example environment.
"""

import http.server
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
SETTINGS_FILE = ROOT / "clubsite" / "settings.py"

APP_SERVICES = ("web", "worker", "linkworker", "beat")
ALL_SERVICES = ("db", "redis", *APP_SERVICES)

# Without these a production deployment is insecure or does not work.
PRODUCTION_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CONTACT_EMAIL",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_HOST",
    "USE_X_FORWARDED_PROTO",
    "TIME_ZONE",
}

SETTINGS_READ = re.compile(r"\benv_(?:str|bool|int|float|list|int_list)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
COMMENTED_VARIABLE = re.compile(r"^#\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
COMPOSE_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}|(?P<plain>[A-Za-z_]\w*))"
)


def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines as Compose's env_file reader takes them (quotes removed)."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f"{path.name}:{number} is not NAME=value: {line!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        assert "$" not in value, f"{path.name}:{number}: Compose would interpolate the $"
        values[name.strip()] = value
    return values


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Substitute ${VAR}, ${VAR:-default}, ${VAR:?error}, ... and $$ the way Compose does."""

    def substitute(match: re.Match) -> str:
        name = match["braced"] or match["plain"]
        op, arg = match["op"], match["arg"]
        is_set = name in variables
        value = variables.get(name, "")
        if op in (":?", "?") and not (value if op == ":?" else is_set):
            raise ValueError(f"{name} is required: {arg}")
        if op == ":-":
            return value or arg
        if op == "-":
            return value if is_set else arg
        if op == ":+":
            return arg if value else ""
        if op == "+":
            return arg if is_set else ""
        return value

    return "$".join(COMPOSE_VARIABLE.sub(substitute, part) for part in text.split("$$"))


def load_compose() -> dict:
    text = interpolate(COMPOSE_FILE.read_text(), read_env_file(ENV_EXAMPLE))
    return yaml.safe_load(text)


def service_environment(service: dict) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    return {name: str(value) for name, value in environment.items()}


def env_file_paths(service: dict) -> list[str]:
    env_file = service.get("env_file") or []
    if isinstance(env_file, str | dict):
        env_file = [env_file]
    return [item["path"] if isinstance(item, dict) else item for item in env_file]


def command_words(service: dict) -> list[str]:
    command = service["command"]
    return shlex.split(command) if isinstance(command, str) else [str(word) for word in command]


def settings_variables() -> set[str]:
    return set(SETTINGS_READ.findall(SETTINGS_FILE.read_text()))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in DOCKERFILE.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def run_web_command(
    tmp_path: Path, *, secret_key: str, migrate_exit: int = 0
) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Runs the web service's command with stand-ins for python and gunicorn.

    The stand-ins log how they were called, so the test sees the order and arguments
    without a database or a server.
    """
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    for program, status in (("python", migrate_exit), ("gunicorn", 0)):
        stand_in = bin_dir / program
        stand_in.write_text(f'#!/bin/sh\necho "{program} $*" >> "{log}"\nexit {status}\n')
        stand_in.chmod(0o755)
    result = subprocess.run(
        command_words(load_compose()["services"]["web"]),
        check=False,
        cwd=tmp_path,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "SECRET_KEY": secret_key},
        capture_output=True,
        text=True,
        timeout=30,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def web_healthcheck_script(port: int) -> str:
    """The web service's health check program, aimed at a local port instead of 8000."""
    test = load_compose()["services"]["web"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    script = test[3]
    assert script.count("http://127.0.0.1:8000/healthz/") == 1, script
    return script.replace("http://127.0.0.1:8000/", f"http://127.0.0.1:{port}/")


def run_web_healthcheck(port: int) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "ALLOWED_HOSTS": read_env_file(ENV_EXAMPLE)["ALLOWED_HOSTS"],
    }
    return subprocess.run(
        [sys.executable, "-c", web_healthcheck_script(port)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def run_beat_healthcheck(schedule: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The beat service's health check program, looking for the schedule at schedule."""
    test = load_compose()["services"]["beat"]["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"], test
    script = test[3]
    assert script.count("/app/var/celerybeat-schedule") == 1, script
    return subprocess.run(
        [sys.executable, "-c", script.replace("/app/var/celerybeat-schedule", str(schedule))],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


class RecordingServer(http.server.ThreadingHTTPServer):
    """Answers every GET with a fixed status, headers and body; remembers the requests."""

    def __init__(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        self.status, self.body, self.extra_headers = status, body, headers or {}
        self.requests: list[dict[str, str]] = []
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append({"path": self.path, **dict(self.headers.items())})
        self.send_response(self.server.status)
        for name, value in self.server.extra_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def http_server():
    """Starts RecordingServers; shuts them down after the test."""
    servers = []

    def start(status: int, body: bytes = b"", headers: dict[str, str] | None = None):
        servers.append(RecordingServer(status, body, headers))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def deploy_env(tmp_path) -> dict[str, str]:
    """.env.example's environment, with SQLite and an in-memory broker for the services."""
    return {
        "PATH": os.environ["PATH"],
        "PYTHONDONTWRITEBYTECODE": "1",
        **read_env_file(ENV_EXAMPLE),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "memory://",
        "VAR_DIR": str(tmp_path / "var"),
    }


@pytest.fixture
def celery_env(deploy_env) -> dict[str, str]:
    """deploy_env on the embedded filesystem broker (under VAR_DIR), so that a worker and
    the inspect command reach each other; HOSTNAME and PATH as in the container."""
    env = {key: value for key, value in deploy_env.items() if key != "CELERY_BROKER_URL"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["HOSTNAME"] = socket.gethostname()
    return env


@pytest.fixture
def background(tmp_path):
    """Starts long-running processes with their output in a log file; stops them after."""
    started = []

    def start(args: list[str], *, env: dict[str, str], name: str) -> tuple[subprocess.Popen, Path]:
        log_path = tmp_path / f"{name}.log"
        log = log_path.open("w")
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        return process, log_path

    yield start
    for process, log in started:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until(condition, *, seconds: float, process: subprocess.Popen) -> bool:
    """Polls condition() until it is true, the time is up or process has exited."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
    return condition()


def retry_until_success(check, *, seconds: float, process: subprocess.Popen) -> subprocess.CompletedProcess:
    """Runs check() until it exits 0, the time is up or process has exited; the last result."""
    deadline = time.monotonic() + seconds
    result = check()
    while result.returncode != 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        result = check()
    return result


def test_compose_defines_the_six_services():
    services = load_compose()["services"]

    assert sorted(services) == sorted(ALL_SERVICES)


def test_compose_db_and_redis_use_postgres_16_and_redis_7():
    services = load_compose()["services"]

    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")


def test_compose_app_services_build_this_project():
    services = load_compose()["services"]

    assert {name: services[name].get("build") for name in APP_SERVICES} == {
        "web": ".",
        "worker": ".",
        "linkworker": ".",
        "beat": ".",
    }


def test_compose_web_command_migrates_then_execs_gunicorn(tmp_path):
    result, calls = run_web_command(tmp_path, secret_key="a" * 20 + "b" * 30)

    assert result.returncode == 0, result.stderr
    assert calls == [
        "python manage.py migrate --noinput",
        "gunicorn clubsite.wsgi:application --bind 0.0.0.0:8000 --workers 3 --access-logfile -",
    ]
    assert load_compose()["services"]["web"]["ports"] == ["8000:8000"]


def test_compose_web_command_stops_when_migrations_fail(tmp_path):
    result, calls = run_web_command(tmp_path, secret_key="a" * 20 + "b" * 30, migrate_exit=1)

    assert result.returncode == 1
    assert calls == ["python manage.py migrate --noinput"]


def test_compose_web_command_refuses_the_example_secret_key(tmp_path):
    secret_key = read_env_file(ENV_EXAMPLE)["SECRET_KEY"]

    result, calls = run_web_command(tmp_path, secret_key=secret_key)

    assert result.returncode == 1
    assert "Set SECRET_KEY in .env" in result.stderr
    assert calls == []


def test_compose_worker_and_beat_run_the_clubsite_celery_app():
    services = load_compose()["services"]

    assert command_words(services["worker"])[:4] == [
        "celery",
        "-A",
        "clubsite",
        "worker",
    ]
    assert command_words(services["beat"])[:4] == ["celery", "-A", "clubsite", "beat"]


def queues_of(service: dict) -> set[str]:
    words = command_words(service)
    return set(words[words.index("-Q") + 1].split(","))


def test_compose_workers_split_the_queues_default_apart_from_the_bulk_ones():
    services = load_compose()["services"]
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}

    assert queues_of(services["worker"]) == {settings.CELERY_TASK_DEFAULT_QUEUE} == {"default"}
    assert queues_of(services["linkworker"]) == routed == {"linkchecks", "metadata"}
    assert command_words(services["linkworker"])[:4] == ["celery", "-A", "clubsite", "worker"]


def test_compose_linkworker_can_be_scaled():
    linkworker = load_compose()["services"]["linkworker"]

    # `docker compose up --scale linkworker=3` refuses a fixed container name or host port.
    assert "container_name" not in linkworker
    assert "ports" not in linkworker
    assert "hostname" not in linkworker
    # Each container's node name is its own host name, which its health check pings.
    assert "-n" not in command_words(linkworker) and "--hostname" not in command_words(linkworker)
    assert "--destination celery@$HOSTNAME" in linkworker["healthcheck"]["test"][1]
    assert linkworker["stop_grace_period"] == "60s"


def test_compose_every_service_has_a_healthcheck():
    services = load_compose()["services"]

    for name in ALL_SERVICES:
        test = services[name].get("healthcheck", {}).get("test")
        assert test, f"{name} has no healthcheck"
        assert isinstance(test, str) or test[0] in ("CMD", "CMD-SHELL"), (name, test)


def test_compose_db_and_redis_healthchecks_use_their_own_clients():
    services = load_compose()["services"]

    assert services["db"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]


def test_compose_worker_healthcheck_pings_its_own_node():
    test = load_compose()["services"]["worker"]["healthcheck"]["test"]

    # CMD-SHELL so the container's shell expands $HOSTNAME (Compose turned $$ into $).
    assert test[0] == "CMD-SHELL"
    assert "celery -A clubsite inspect ping --destination celery@$HOSTNAME" in test[1]


def test_compose_app_services_share_database_and_broker_urls():
    services = load_compose()["services"]
    environments = [service_environment(services[name]) for name in APP_SERVICES]

    assert {env["DATABASE_URL"] for env in environments} == {environments[0]["DATABASE_URL"]}
    assert {env["CELERY_BROKER_URL"] for env in environments} == {environments[0]["CELERY_BROKER_URL"]}
    database, broker = (urlsplit(environments[0][name]) for name in ("DATABASE_URL", "CELERY_BROKER_URL"))
    assert (database.scheme, database.hostname, database.port) == (
        "postgres",
        "db",
        5432,
    )
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)


def test_compose_database_url_matches_the_db_service_credentials():
    services = load_compose()["services"]
    database = urlsplit(service_environment(services["web"])["DATABASE_URL"])
    db_env = service_environment(services["db"])

    assert database.username == db_env["POSTGRES_USER"]
    assert database.password == db_env["POSTGRES_PASSWORD"]
    assert database.password == read_env_file(ENV_EXAMPLE)["POSTGRES_PASSWORD"]
    assert database.path == f"/{db_env['POSTGRES_DB']}"


def test_compose_app_services_read_env_file_and_restart():
    services = load_compose()["services"]

    for name in ALL_SERVICES:
        assert services[name]["restart"] == "unless-stopped", name
    for name in APP_SERVICES:
        assert env_file_paths(services[name]) == [".env"], name


def test_compose_depends_on_waits_for_healthy_services():
    services = load_compose()["services"]
    expected = {
        "web": {"db", "redis"},
        "worker": {"db", "redis", "web"},
        "linkworker": {"db", "redis", "web"},
        "beat": {"db", "redis", "web"},
    }

    for name, dependencies in expected.items():
        depends_on = services[name]["depends_on"]
        assert set(depends_on) == dependencies, name
        for dependency, condition in depends_on.items():
            assert condition["condition"] == "service_healthy", (name, dependency)
            assert "healthcheck" in services[dependency], dependency


def test_compose_beat_schedule_is_on_a_volume():
    compose = load_compose()
    beat = compose["services"]["beat"]
    words = command_words(beat)
    schedule = Path(words[words.index("--schedule") + 1])

    # Short syntax, source:target[:mode]; the source must be a named volume.
    sources = {volume.split(":")[1]: volume.split(":")[0] for volume in beat["volumes"]}
    assert schedule == Path("/app/var/celerybeat-schedule")
    assert sources[str(schedule.parent)] in compose["volumes"]


def test_compose_variables_are_defined_in_env_example():
    text = COMPOSE_FILE.read_text().replace("$$", "")
    referenced = {match["braced"] or match["plain"] for match in COMPOSE_VARIABLE.finditer(text)}

    assert referenced, "docker-compose.yml should take its secrets from .env"
    assert referenced - set(read_env_file(ENV_EXAMPLE)) == set()


def test_env_example_sets_every_production_variable():
    compose_env = service_environment(load_compose()["services"]["web"])
    available = set(read_env_file(ENV_EXAMPLE)) | set(compose_env)

    assert settings_variables() >= PRODUCTION_VARIABLES
    assert PRODUCTION_VARIABLES - available == set()


def test_env_example_documents_every_setting_variable():
    compose_env = service_environment(load_compose()["services"]["web"])
    text = ENV_EXAMPLE.read_text()
    documented = set(read_env_file(ENV_EXAMPLE)) | set(COMMENTED_VARIABLE.findall(text))

    assert settings_variables() - documented - set(compose_env) == set()


def test_env_example_is_production_like():
    env = read_env_file(ENV_EXAMPLE)

    assert env["DEBUG"] == "false"
    assert env["USE_X_FORWARDED_PROTO"] == "true"
    assert len(env["SECRET_KEY"]) >= 50
    assert env["SITE_URL"].startswith("https://")
    assert all(origin.startswith("https://") for origin in env["CSRF_TRUSTED_ORIGINS"].split(","))


def test_dockerfile_runs_gunicorn_as_non_root():
    instructions = dockerfile_instructions()
    values = dict(instructions)

    assert instructions[0] == ("FROM", "python:3.11-slim")
    assert values["USER"] not in ("root", "0")
    assert values["EXPOSE"] == "8000"
    assert yaml.safe_load(values["CMD"]) == [
        "gunicorn",
        "clubsite.wsgi:application",
        "--bind",
        "0.0.0.0:8000",
        "--workers",
        "3",
        "--access-logfile",
        "-",
    ]
    assert "ENTRYPOINT" not in values


def test_dockerfile_passes_secret_key_to_collectstatic_only():
    instructions = dockerfile_instructions()
    runs = [args for name, args in instructions if name == "RUN"]
    collectstatic = [args for args in runs if "manage.py collectstatic --noinput" in args]

    assert len(collectstatic) == 1
    assert "SECRET_KEY=build-only" in collectstatic[0]
    assert not [args for name, args in instructions if name in ("ENV", "ARG") and "SECRET_KEY" in args]
    assert any("pip install --no-cache-dir -r requirements.txt" in args for args in runs)


def test_dockerignore_keeps_local_state_out_of_the_image():
    ignored = set((ROOT / ".dockerignore").read_text().split())

    assert {".venv", "var", ".git", "staticfiles", "test-results", ".env"} <= ignored
    assert {"__pycache__", "**/__pycache__"} & ignored


def test_web_healthcheck_sends_an_allowed_host_over_https(http_server):
    server = http_server(200, b"ok\n")

    result = run_web_healthcheck(server.port)

    assert result.returncode == 0, result.stderr
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request["path"] == "/healthz/"
    assert request["Host"] == read_env_file(ENV_EXAMPLE)["ALLOWED_HOSTS"].split(",")[0]
    assert request["X-Forwarded-Proto"] == "https"


def test_web_healthcheck_fails_on_a_redirect_without_following_it(http_server):
    elsewhere = http_server(200, b"ok")
    server = http_server(301, headers={"Location": f"http://127.0.0.1:{elsewhere.port}/healthz/"})

    result = run_web_healthcheck(server.port)

    assert result.returncode != 0
    assert len(server.requests) == 1
    assert elsewhere.requests == []


def test_web_healthcheck_fails_when_the_body_is_not_ok(http_server):
    server = http_server(200, b"database unavailable")

    result = run_web_healthcheck(server.port)

    assert result.returncode != 0
    assert "database unavailable" in result.stderr


def test_settings_pass_deploy_checks_with_env_example(deploy_env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        check=False,
        cwd=ROOT,
        env=deploy_env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_web_healthcheck_passes_against_gunicorn_serving_clubsite(deploy_env, background):
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        check=False,
        cwd=ROOT,
        env=deploy_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gunicorn, log = background(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "clubsite.wsgi:application",
            *("--bind", f"127.0.0.1:{port}", "--workers", "1"),
            # Else it takes over ~/.gunicorn/gunicorn.ctl from any other gunicorn running.
            "--no-control-socket",
        ],
        env=deploy_env,
        name="gunicorn",
    )

    result = retry_until_success(lambda: run_web_healthcheck(port), seconds=60, process=gunicorn)

    assert result.returncode == 0, result.stderr + log.read_text()


@pytest.mark.worker
def test_worker_healthcheck_pings_a_running_worker(celery_env, background):
    worker_command = command_words(load_compose()["services"]["worker"])
    test = load_compose()["services"]["worker"]["healthcheck"]["test"]
    worker, log = background(worker_command, env=celery_env, name="worker")
    assert wait_until(lambda: " ready." in log.read_text(), seconds=60, process=worker), log.read_text()

    result = subprocess.run(
        ["sh", "-c", test[1]],
        check=False,
        cwd=ROOT,
        env=celery_env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"celery@{celery_env['HOSTNAME']}: OK" in result.stdout
    assert "pong" in result.stdout


def test_beat_healthcheck_fails_before_beat_writes_its_schedule(celery_env, tmp_path):
    result = run_beat_healthcheck(tmp_path / "beat" / "celerybeat-schedule", celery_env)

    assert result.returncode == 1
    assert "beat has not written its schedule file yet" in result.stderr


@pytest.mark.worker
def test_beat_healthcheck_passes_once_beat_runs(celery_env, background, tmp_path):
    schedule = tmp_path / "beat" / "celerybeat-schedule"
    schedule.parent.mkdir()
    beat_command = command_words(load_compose()["services"]["beat"])
    beat_command[beat_command.index("--schedule") + 1] = str(schedule)
    beat, log = background(beat_command, env=celery_env, name="beat")

    result = retry_until_success(lambda: run_beat_healthcheck(schedule, celery_env), seconds=60, process=beat)

    assert result.returncode == 0, result.stderr + log.read_text()
