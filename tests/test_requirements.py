"""The two dependency sets: the runtime set (requirements.txt, all the Docker image installs) and
the development set (requirements-dev.txt: tests, lint, the browser), both pinned, with nothing
the app, the worker or the settings import found only in the development set."""

import ast
import re
from importlib import metadata
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_CODE = ["clubsite", "meetings", "resources", "manage.py"]
# Tools that have no business in a production image.
DEV_TOOLS = {
    "pytest",
    "pytest-django",
    "pytest-httpserver",
    "factory-boy",
    "faker",
    "playwright",
    "schemathesis",
    "hypothesis",
    "ruff",
    "bibtexparser",
    "werkzeug",
}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9,_-]+\])?==([A-Za-z0-9.+!-]+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def pins(name: str) -> dict[str, str]:
    """{canonical name: version} of a requirements file, failing on any line that is not a pin."""
    found = {}
    for line in requirement_lines(name):
        if line.startswith("-r "):
            continue
        match = PIN.match(line)
        assert match, f"{name}: not pinned exactly: {line!r}"
        found[canonical(match[1])] = match[3]
    return found


def test_both_sets_are_pinned_and_the_dev_set_builds_on_the_runtime_set():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")

    assert [line for line in requirement_lines("requirements.txt") if line.startswith("-")] == []
    assert requirement_lines("requirements-dev.txt")[0] == "-r requirements.txt"
    assert sorted(set(runtime) & set(dev)) == []  # each package pinned once
    assert sorted(DEV_TOOLS - set(dev)) == []
    assert sorted(DEV_TOOLS & set(runtime)) == []
    assert {"django", "celery", "gunicorn", "psycopg", "whitenoise", "pyyaml"} <= set(runtime)


def test_the_in_files_agree_with_the_pins():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    runtime_direct, dev_direct = pins("requirements.in"), pins("requirements-dev.in")

    assert requirement_lines("requirements-dev.in")[0] == "-r requirements.in"
    assert {name: version for name, version in runtime_direct.items() if runtime.get(name) != version} == {}
    both = {**runtime, **dev}
    assert {name: version for name, version in dev_direct.items() if both.get(name) != version} == {}
    assert sorted(set(runtime_direct) & DEV_TOOLS) == []


def test_the_dockerfile_installs_the_runtime_set_only():
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = re.findall(r"pip install[^\n]*", dockerfile)

    assert installs == ["pip install --no-cache-dir -r requirements.txt"]
    assert "requirements-dev" not in dockerfile
    assert re.search(r"^COPY requirements\.txt \./$", dockerfile, re.MULTILINE)


def test_make_install_installs_both_sets():
    makefile = (ROOT / "Makefile").read_text()
    rule = re.search(r"^\$\(VENV\)/\.installed:(.*?)\n\n", makefile, re.MULTILINE | re.DOTALL)

    assert rule, "no .installed rule in the Makefile"
    assert "requirements.txt" in rule[1].splitlines()[0] and "requirements-dev.txt" in rule[1].splitlines()[0]
    assert "pip install --quiet -r requirements-dev.txt" in rule[1]


def _imported_top_level_modules() -> dict[str, str]:
    """{top-level module: a file importing it} over the app's own code, tests excluded."""
    found = {}
    for entry in RUNTIME_CODE:
        path = ROOT / entry
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            tree = ast.parse(source.read_text(), filename=str(source))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    found.setdefault(name.split(".")[0], str(source.relative_to(ROOT)))
    # What the settings name as strings: apps, middleware, backends.
    named = [*settings.INSTALLED_APPS, *settings.MIDDLEWARE, settings.STORAGES["staticfiles"]["BACKEND"]]
    for name in named:
        found.setdefault(name.split(".")[0], "clubsite/settings.py")
    return found


def test_nothing_the_app_imports_comes_only_from_the_dev_set():
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    distributions = metadata.packages_distributions()
    imported = _imported_top_level_modules()

    from_dev_only = {
        module: where
        for module, where in imported.items()
        for dist in distributions.get(module, [])
        if canonical(dist) in dev and canonical(dist) not in runtime
    }
    assert from_dev_only == {}
    # The check sees the third-party imports it is meant to see.
    assert {"django", "celery", "yaml", "requests", "rest_framework"} <= set(imported)
    assert all(distributions.get(module) for module in ("django", "celery", "yaml"))
