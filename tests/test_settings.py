"""Configuration: the strict environment readers, and the settings they produce.

The helpers are tested in this process. Settings are read at import time, so each
settings test starts a fresh Python process with a controlled environment: every
variable settings.py reads is removed first, then the test sets the ones it is about.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from clubsite.env import env_bool, env_float, env_int, env_int_list, env_list

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "clubsite" / "settings.py"

# Every variable settings.py reads, found in its source so a new one is never inherited
# from the shell running the tests.
SETTINGS_VARIABLES = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]*)"', SETTINGS_FILE.read_text()))

PROBE = """\
import json, sys
import django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


def clean_env(var_dir: Path, **variables: str) -> dict[str, str]:
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in SETTINGS_VARIABLES and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env["DJANGO_SETTINGS_MODULE"] = "clubsite.settings"
    env["VAR_DIR"] = str(var_dir)
    env.update(variables)
    return env


def run_python(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def read_settings(tmp_path: Path, *names: str, **variables: str) -> dict:
    result = run_python(["-c", PROBE, *names], clean_env(tmp_path, **variables))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# env_bool


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("True", True),
        ("1", True),
        ("yes", True),
        ("YES", True),
        ("on", True),
        ("On", True),
        (" true ", True),
        ("false", False),
        ("FALSE", False),
        ("0", False),
        ("no", False),
        ("No", False),
        ("off", False),
        ("OFF", False),
    ],
)
def test_env_bool_reads_words(monkeypatch, raw, expected):
    monkeypatch.setenv("CLUB_FLAG", raw)

    value = env_bool("CLUB_FLAG", not expected)

    assert value is expected


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_or_empty_gives_default(monkeypatch, default):
    monkeypatch.delenv("CLUB_FLAG", raising=False)
    assert env_bool("CLUB_FLAG", default) is default

    monkeypatch.setenv("CLUB_FLAG", "  ")
    assert env_bool("CLUB_FLAG", default) is default


@pytest.mark.parametrize("raw", ["ture", "y", "2", "enabled", "false!"])
def test_env_bool_misspelling_raises_naming_variable(monkeypatch, raw):
    monkeypatch.setenv("CLUB_FLAG", raw)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_bool("CLUB_FLAG", False)

    assert str(excinfo.value).startswith(f"CLUB_FLAG={raw!r} is not a boolean")


# env_int


def test_env_int_reads_whole_number(monkeypatch):
    monkeypatch.setenv("CLUB_NUMBER", " 42 ")

    assert env_int("CLUB_NUMBER", 7) == 42


def test_env_int_unset_gives_default(monkeypatch):
    monkeypatch.delenv("CLUB_NUMBER", raising=False)

    assert env_int("CLUB_NUMBER", 7, minimum=1) == 7


@pytest.mark.parametrize("raw", ["abc", "1.5", "12 days", "0x10"])
def test_env_int_rejects_non_numbers(monkeypatch, raw):
    monkeypatch.setenv("CLUB_NUMBER", raw)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_int("CLUB_NUMBER", 7)

    assert str(excinfo.value) == f"CLUB_NUMBER={raw!r} is not a whole number."


def test_env_int_rejects_value_under_minimum(monkeypatch):
    monkeypatch.setenv("CLUB_NUMBER", "59")

    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_int("CLUB_NUMBER", 3600, minimum=60)

    assert str(excinfo.value) == "CLUB_NUMBER=59 must be at least 60."


def test_env_int_accepts_the_minimum(monkeypatch):
    monkeypatch.setenv("CLUB_NUMBER", "60")

    assert env_int("CLUB_NUMBER", 3600, minimum=60) == 60


# env_float


def test_env_float_reads_number(monkeypatch):
    monkeypatch.setenv("CLUB_TIMEOUT", "2.5")

    assert env_float("CLUB_TIMEOUT", 10.0, minimum=0.1) == 2.5


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("soon", "CLUB_TIMEOUT='soon' is not a number."),
        ("0.05", "CLUB_TIMEOUT=0.05 must be at least 0.1."),
    ],
)
def test_env_float_rejects_words_and_values_under_minimum(monkeypatch, raw, message):
    monkeypatch.setenv("CLUB_TIMEOUT", raw)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_float("CLUB_TIMEOUT", 10.0, minimum=0.1)

    assert str(excinfo.value) == message


@pytest.mark.parametrize("raw", ["nan", "inf", "-Infinity"])
def test_env_float_rejects_nan_and_infinity(monkeypatch, raw):
    # NaN compares false with everything, so without its own check it slips past the minimum.
    monkeypatch.setenv("CLUB_TIMEOUT", raw)

    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_float("CLUB_TIMEOUT", 10.0, minimum=0.1)

    assert str(excinfo.value) == f"CLUB_TIMEOUT={raw!r} is not a finite number."


# env_list and env_int_list


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("CLUB_HOSTS", " club.example.org ,www.club.example.org,, localhost ")

    assert env_list("CLUB_HOSTS", ["default"]) == ["club.example.org", "www.club.example.org", "localhost"]


def test_env_list_unset_gives_copy_of_default(monkeypatch):
    monkeypatch.delenv("CLUB_HOSTS", raising=False)
    default = ["localhost"]

    hosts = env_list("CLUB_HOSTS", default)
    hosts.append("changed")

    assert hosts == ["localhost", "changed"]
    assert default == ["localhost"]


def test_env_int_list_reads_numbers(monkeypatch):
    monkeypatch.setenv("CLUB_DAYS", "14, 7 ,1")

    assert env_int_list("CLUB_DAYS", [3]) == [14, 7, 1]


def test_env_int_list_unset_gives_default(monkeypatch):
    monkeypatch.delenv("CLUB_DAYS", raising=False)

    assert env_int_list("CLUB_DAYS", [7, 1]) == [7, 1]


def test_env_int_list_rejects_words(monkeypatch):
    monkeypatch.setenv("CLUB_DAYS", "7,one")

    with pytest.raises(ImproperlyConfigured) as excinfo:
        env_int_list("CLUB_DAYS", [7, 1])

    assert str(excinfo.value) == "CLUB_DAYS='7,one' must be whole numbers separated by commas."


# settings.py, in a fresh process


def test_settings_debug_defaults_off(tmp_path):
    values = read_settings(tmp_path, "DEBUG", "SECURE_SSL_REDIRECT", SECRET_KEY="x" * 50)

    assert values == {"DEBUG": False, "SECURE_SSL_REDIRECT": True}


def test_settings_secret_key_required_when_debug_off(tmp_path):
    result = run_python(["-c", PROBE, "SECRET_KEY"], clean_env(tmp_path))

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_settings_secret_key_generated_once_in_var_dir_when_debug_on(tmp_path):
    first = read_settings(tmp_path, "SECRET_KEY", DEBUG="true")
    second = read_settings(tmp_path, "SECRET_KEY", DEBUG="true")

    key_file = tmp_path / "dev-secret-key"
    assert first["SECRET_KEY"] == second["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first["SECRET_KEY"]) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_settings_misspelt_debug_stops_start_up(tmp_path):
    result = run_python(["-c", PROBE, "DEBUG"], clean_env(tmp_path, DEBUG="ture", SECRET_KEY="x" * 50))

    assert result.returncode != 0
    assert "ImproperlyConfigured: DEBUG='ture' is not a boolean" in result.stderr


def test_settings_database_defaults_to_sqlite_in_var_dir(tmp_path):
    database = read_settings(tmp_path, "DATABASES", SECRET_KEY="x" * 50)["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "clubsite.sqlite3")
    assert database["TEST"]["NAME"] == str(tmp_path / "test.sqlite3")


def test_settings_database_url_postgres(tmp_path):
    database = read_settings(
        tmp_path,
        "DATABASES",
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://club:s3cret@db.example.org:5433/clubsite",
    )["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == ("clubsite", "club", "s3cret")
    assert (database["HOST"], database["PORT"]) == ("db.example.org", 5433)
    assert database["CONN_HEALTH_CHECKS"] is True


def test_settings_database_url_garbage_stops_start_up(tmp_path):
    env = clean_env(tmp_path, SECRET_KEY="x" * 50, DATABASE_URL="mysqll://club@db/clubsite")
    result = run_python(["-c", PROBE, "DATABASES"], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: DATABASE_URL is not a database URL" in result.stderr


def test_settings_celery_broker_defaults_to_filesystem_in_var_dir(tmp_path):
    values = read_settings(
        tmp_path, "CELERY_BROKER_URL", "CELERY_BROKER_TRANSPORT_OPTIONS", SECRET_KEY="x" * 50
    )

    broker = tmp_path / "broker"
    assert values["CELERY_BROKER_URL"] == "filesystem://localhost/"
    assert values["CELERY_BROKER_TRANSPORT_OPTIONS"] == {
        "data_folder_in": str(broker / "queue"),
        "data_folder_out": str(broker / "queue"),
        "processed_folder": str(broker / "processed"),
        "control_folder": str(broker / "control"),
        "store_processed": False,
    }
    assert sorted(p.name for p in broker.iterdir() if p.is_dir()) == ["control", "processed", "queue"]


def test_settings_celery_broker_url_redis_has_no_filesystem_folders(tmp_path):
    values = read_settings(
        tmp_path, "CELERY_BROKER_URL", SECRET_KEY="x" * 50, CELERY_BROKER_URL="redis://redis:6379/0"
    )

    assert values["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert not (tmp_path / "broker").exists()


def test_settings_email_host_set_uses_smtp(tmp_path):
    values = read_settings(
        tmp_path,
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        SECRET_KEY="x" * 50,
        EMAIL_HOST="smtp.example.org",
    )

    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
        "EMAIL_PORT": 587,
    }


def test_settings_email_host_unset_prints_to_console(tmp_path):
    values = read_settings(tmp_path, "EMAIL_BACKEND", SECRET_KEY="x" * 50)

    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_settings_time_zone_defaults_to_london(tmp_path):
    values = read_settings(tmp_path, "TIME_ZONE", "CELERY_TIMEZONE", SECRET_KEY="x" * 50)

    assert values == {"TIME_ZONE": "Europe/London", "CELERY_TIMEZONE": "Europe/London"}


def test_settings_user_agent_names_contact_email(tmp_path):
    values = read_settings(
        tmp_path,
        "USER_AGENT",
        SECRET_KEY="x" * 50,
        CONTACT_EMAIL="committee@club.example.org",
        SITE_URL="https://club.example.org/",
    )

    assert (
        values["USER_AGENT"] == "clubsite/0.1 (+https://club.example.org; mailto:committee@club.example.org)"
    )


def test_settings_check_deploy_passes_with_production_environment(tmp_path):
    env = clean_env(
        tmp_path,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="club.example.org",
        SECURE_HSTS_PRELOAD="true",
        USE_X_FORWARDED_PROTO="true",
        CSRF_TRUSTED_ORIGINS="https://club.example.org",
    )

    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_settings_open_membership_is_off_by_default_and_a_strict_boolean(tmp_path):
    assert read_settings(tmp_path, "OPEN_MEMBERSHIP", SECRET_KEY="x" * 50) == {"OPEN_MEMBERSHIP": False}
    on = read_settings(tmp_path, "OPEN_MEMBERSHIP", SECRET_KEY="x" * 50, OPEN_MEMBERSHIP="yes")
    assert on == {"OPEN_MEMBERSHIP": True}

    result = run_python(
        ["-c", PROBE, "OPEN_MEMBERSHIP"], clean_env(tmp_path, OPEN_MEMBERSHIP="everyone", SECRET_KEY="x" * 50)
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: OPEN_MEMBERSHIP='everyone' is not a boolean" in result.stderr
