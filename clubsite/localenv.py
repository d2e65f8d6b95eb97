"""The local settings file `make run` writes: `var/local.env` (under VAR_DIR).

The first `make run` keeps what it generated there (a secret key, DEBUG on), so every
`manage.py` command, the Celery programs and the WSGI app work in that checkout with no
variables set. The file is read only by those entry points, before Django's settings, and:

- real environment variables always win over it (it fills in only what is unset);
- the default file is read only when DEBUG is on: DEBUG from the environment if set there,
  else the file's own DEBUG. A production environment (DEBUG off) never reads it;
- ``CLUBSITE_ENV_FILE=path`` names a file to read whatever DEBUG says (it must exist).

Plain ``NAME=value`` lines; blank lines and ``#`` comments are ignored. A malformed line stops
the process with the file's name and line number, like a malformed variable.
"""

import os
import re
import secrets
from collections.abc import MutableMapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from clubsite.env import FALSE_WORDS, TRUE_WORDS

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE_VARIABLE = "CLUBSITE_ENV_FILE"
FILE_NAME = "local.env"
NAME = re.compile(r"[A-Z][A-Z0-9_]*\Z")


def local_env_path(environ: MutableMapping[str, str] = os.environ) -> Path:
    """Where `make run` keeps its file: VAR_DIR (as the settings read it) / local.env."""
    var_dir = (environ.get("VAR_DIR") or "").strip() or str(BASE_DIR / "var")
    return Path(var_dir) / FILE_NAME


def read_env_file(path: Path) -> dict[str, str]:
    """The NAME=value pairs of ``path``; ImproperlyConfigured naming the line if one is malformed."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not NAME.match(name):
            raise ImproperlyConfigured(f"{path}:{number} is not NAME=value: {line[:80]!r}")
        values[name] = value.strip()
    return values


def _debug_on(value: str | None, where: str) -> bool:
    word = (value or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS or not word:
        return False
    raise ImproperlyConfigured(f"DEBUG={value!r} ({where}) is not a boolean.")


def local_env_load(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Fill unset variables from the local settings file when it applies; return the file read."""
    named = (environ.get(ENV_FILE_VARIABLE) or "").strip()
    if named:
        path = Path(named)
        if not path.is_file():
            raise ImproperlyConfigured(f"{ENV_FILE_VARIABLE}={named!r}: no such file.")
        values = read_env_file(path)
    else:
        path = local_env_path(environ)
        if not path.is_file():
            return None
        values = read_env_file(path)
        environment_debug = (environ.get("DEBUG") or "").strip()
        if environment_debug:
            debug = _debug_on(environment_debug, "environment")
        else:
            debug = _debug_on(values.get("DEBUG"), str(path))
        if not debug:
            return None
    for name, value in values.items():
        if not (environ.get(name) or "").strip():
            environ[name] = value
    return path


def local_env_write(path: Path, *, secret_key: str | None = None) -> bool:
    """Write the file `make run` keeps (DEBUG on, a new secret key) unless it exists; True if written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secret_key or secrets.token_urlsafe(50)
    text = (
        "# Written by the first `make run`: local development settings for this checkout.\n"
        "# manage.py, celery and wsgi read it while DEBUG is on; real environment variables win.\n"
        "# Never copy it to a server (see README, Configuration).\n"
        "DEBUG=true\n"
        f"SECRET_KEY={key}\n"
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)
    return True
