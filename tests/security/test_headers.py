"""Content-Security-Policy, Permissions-Policy and `check --deploy` (issue 13, "Content-Security-Policy").

The policy is checked on the answers of pages, feeds, fragments, the API and errors; that the
site works under it is checked by the browser tests, whose fixture fails on any violation
(tests/e2e/conftest.py). The templates and scripts are read here for what the policy forbids.
"""

import re
import secrets
from pathlib import Path

import pytest

from tests.test_settings import clean_env, run_python

ROOT = Path(__file__).resolve().parent.parent.parent


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/library/", 200),
        ("/library/feed.atom", 200),
        ("/api/v1/series/", 200),
        ("/api/v1/docs/", 200),
        ("/research/?status=nonsense", 400),
        ("/no-such-page/", 404),
        ("/accounts/login/", 200),
    ],
)
def test_every_answer_carries_the_content_security_policy(client, db, path, status):
    response = client.get(path)

    assert response.status_code == status
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no host
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:", "https:"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    permissions = dict(item.split("=", 1) for item in response["Permissions-Policy"].split(", "))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "interest-cohort"):
        assert permissions[feature] == "()", feature


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static" / "js").glob("*.js"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_nothing_the_policy_refuses(path):
    """No inline script, event-handler attribute, javascript: address or style attribute."""
    text = path.read_text(encoding="utf-8")
    if path.parent.name == "emails":
        return  # read in mail clients, never under the site's policy

    inline_scripts = [m for m in re.findall(r"<script\b[^>]*>", text) if "src=" not in m]
    handlers = re.findall(r"\son[a-z]+\s*=", text)
    styles = re.findall(r"\sstyle\s*=", text) + re.findall(r"<style\b", text)
    javascript_urls = re.findall(r"javascript:", text)

    # Only HTML the Markdown renderer stored (a *_html field) is ever marked safe.
    unsafe = [v for v in re.findall(r"\{\{\s*([\w.]+)\s*\|\s*safe", text) if not v.endswith("_html")]
    assert unsafe == []
    assert inline_scripts == []
    assert handlers == []
    assert styles == []
    assert javascript_urls == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_use_no_eval_or_inline_markup(path):
    text = path.read_text(encoding="utf-8")

    assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\s*\(\s*[\"'`]", text)
    assert not re.search(r"\.setAttribute\(\s*[\"'](style|on\w+)[\"']", text)
    assert not re.search(r"\.innerHTML\s*=|insertAdjacentHTML|document\.write", text)


def test_templates_and_scripts_are_found():
    assert len(TEMPLATES) > 50
    assert {p.name for p in SCRIPTS} >= {"site.js", "editor.js", "math.js"}


def test_check_deploy_is_clean_with_only_the_required_settings(tmp_path):
    """DEBUG off, a secret key and the host name: the secure defaults pass Django's deploy checks."""
    env = clean_env(
        tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="club.example.org"
    )

    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    # Only the HSTS-preload reminder is silenced, and only while preloading is off (settings.py).
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_check_deploy_warns_when_https_is_switched_off(tmp_path):
    """The test above can fail: switch the secure defaults off and Django says so."""
    env = clean_env(
        tmp_path,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="club.example.org",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
    )

    result = run_python(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 1
    assert "security.W008" in result.stderr + result.stdout
    assert "security.W012" in result.stderr + result.stdout
