"""var/local.env: the settings the first `make run` keeps, read by manage.py (and the celery
program, and wsgi) while DEBUG is on, so the README's operator commands run with no variables.

Each test runs a real process (manage.py, celery) with an environment holding none of the
settings' variables, as a newcomer's shell would.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from clubsite.localenv import local_env_load, local_env_write, read_env_file
from tests.test_settings import SETTINGS_VARIABLES

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import json; from django.conf import settings; "
    "print(json.dumps({'DEBUG': settings.DEBUG, 'SECRET_KEY': settings.SECRET_KEY, "
    "'ALLOWED_HOSTS': settings.ALLOWED_HOSTS}))"
)


def bare_env(**variables: str) -> dict[str, str]:
    """This process's environment without any variable the settings read (nor the file's name)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in SETTINGS_VARIABLES
        and name not in ("CLUBSITE_ENV_FILE", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(variables)
    return env


def manage(*arguments: str, env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def probe(env: dict[str, str]) -> dict:
    result = manage("shell", "-c", PROBE, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_manage_py_reads_local_env_when_present(tmp_path):
    write(tmp_path / "local.env", "# make run\nDEBUG=true\nSECRET_KEY=from-the-file-0123456789\n")

    values = probe(bare_env(VAR_DIR=str(tmp_path)))

    assert values["DEBUG"] is True
    assert values["SECRET_KEY"] == "from-the-file-0123456789"


def test_manage_py_without_the_file_still_needs_a_secret_key(tmp_path):
    result = manage("shell", "-c", PROBE, env=bare_env(VAR_DIR=str(tmp_path)))

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_local_env_ignored_when_debug_is_off_in_the_environment(tmp_path):
    write(tmp_path / "local.env", "DEBUG=true\nSECRET_KEY=from-the-file-0123456789\nALLOWED_HOSTS=*\n")

    values = probe(bare_env(VAR_DIR=str(tmp_path), DEBUG="false", SECRET_KEY="from-the-environment"))

    assert values == {
        "DEBUG": False,
        "SECRET_KEY": "from-the-environment",
        "ALLOWED_HOSTS": ["localhost", "127.0.0.1", "[::1]"],
    }


def test_local_env_ignored_when_it_does_not_turn_debug_on(tmp_path):
    write(tmp_path / "local.env", "SECRET_KEY=from-the-file-0123456789\n")

    result = manage("shell", "-c", PROBE, env=bare_env(VAR_DIR=str(tmp_path)))

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_named_env_file_is_read_even_with_debug_off(tmp_path):
    named = write(tmp_path / "elsewhere" / "club.env", "DEBUG=false\nSECRET_KEY=named-file-key\n")

    values = probe(bare_env(VAR_DIR=str(tmp_path), CLUBSITE_ENV_FILE=str(named)))

    assert (values["DEBUG"], values["SECRET_KEY"]) == (False, "named-file-key")


def test_named_env_file_that_is_missing_stops_with_its_name(tmp_path):
    result = manage(
        "shell",
        "-c",
        PROBE,
        env=bare_env(VAR_DIR=str(tmp_path), CLUBSITE_ENV_FILE=str(tmp_path / "nope.env")),
    )

    assert result.returncode != 0
    assert f"CLUBSITE_ENV_FILE='{tmp_path / 'nope.env'}': no such file." in result.stderr


def test_environment_variables_win_over_the_file(tmp_path):
    write(
        tmp_path / "local.env",
        "DEBUG=true\nSECRET_KEY=from-the-file-0123456789\nALLOWED_HOSTS=file.example\n",
    )

    values = probe(
        bare_env(VAR_DIR=str(tmp_path), SECRET_KEY="from-the-environment", ALLOWED_HOSTS="env.example")
    )

    assert values == {"DEBUG": True, "SECRET_KEY": "from-the-environment", "ALLOWED_HOSTS": ["env.example"]}


def test_malformed_line_stops_with_the_file_and_line(tmp_path):
    path = write(tmp_path / "local.env", "DEBUG=true\nthis is not a setting\n")

    result = manage("shell", "-c", PROBE, env=bare_env(VAR_DIR=str(tmp_path)))

    assert result.returncode != 0
    assert f"{path}:2 is not NAME=value: 'this is not a setting'" in result.stderr


def test_celery_program_reads_local_env(tmp_path):
    celery = Path(sys.executable).parent / "celery"
    write(tmp_path / "local.env", "DEBUG=true\nSECRET_KEY=from-the-file-0123456789\n")
    env = bare_env(VAR_DIR=str(tmp_path))
    command = [str(celery), "-A", "clubsite", "report"]

    with_file = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    (tmp_path / "local.env").unlink()
    without = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert with_file.returncode == 0, with_file.stderr
    assert "DEBUG: True" in with_file.stdout
    assert without.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in without.stderr


def test_local_env_load_fills_only_unset_variables(tmp_path):
    write(tmp_path / "local.env", "DEBUG=on\nSECRET_KEY=file\nSITE_NAME=From the file\n")
    environ = {"VAR_DIR": str(tmp_path), "SITE_NAME": "Mine", "SECRET_KEY": " "}

    assert local_env_load(environ) == tmp_path / "local.env"
    assert environ == {"VAR_DIR": str(tmp_path), "SITE_NAME": "Mine", "SECRET_KEY": "file", "DEBUG": "on"}


def test_local_env_write_keeps_an_existing_file(tmp_path):
    path = tmp_path / "var" / "local.env"

    assert local_env_write(path, secret_key="first") is True
    assert local_env_write(path, secret_key="second") is False
    assert read_env_file(path) == {"DEBUG": "true", "SECRET_KEY": "first"}
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.fixture
def checkout_copy(tmp_path):
    """The application's files in a folder of their own, with no var/ yet: a fresh checkout."""
    copy = tmp_path / "clubsite"
    copy.mkdir()
    for name in ("manage.py", "pyproject.toml", "Procfile"):
        shutil.copy2(ROOT / name, copy / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("clubsite", "meetings", "resources", "templates", "static"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    return copy


def test_readme_operator_commands_run_in_a_checkout_with_the_file_and_no_variables(checkout_copy, tmp_path):
    # What the first `make run` leaves behind, in the checkout's own var/.
    local_env_write(checkout_copy / "var" / "local.env")
    minutes = write(
        checkout_copy / "minutes.md",
        "# ML Club\n\n## 12 March 2020\n\nWe read https://arxiv.org/abs/1706.03762\n\n- [ ] read it again\n",
    )
    env = bare_env()

    steps = [
        manage("migrate", "--noinput", env=env, cwd=checkout_copy),
        # As README.md, "Operator commands", writes them.
        manage(
            "import_markdown",
            minutes.name,
            "--series",
            "ml-club",
            "--year",
            "2020",
            env=env,
            cwd=checkout_copy,
        ),
        manage("export_markdown", "--series", "ml-club", "-o", "club.md", env=env, cwd=checkout_copy),
        manage("check_links", "--stale", env=env, cwd=checkout_copy),
        manage("fetch_metadata", "--pending", env=env, cwd=checkout_copy),
    ]

    for step in steps:
        assert step.returncode == 0, [*step.args[2:], step.stderr]
        assert "Traceback" not in step.stderr
    exported = (checkout_copy / "club.md").read_text()
    assert "https://arxiv.org/abs/1706.03762" in exported
    # The commands used the checkout's own SQLite database under var/, and nothing else.
    assert (checkout_copy / "var" / "clubsite.sqlite3").is_file()
