"""Find what would run script in an HTML document, as a browser would parse it.

clubsite's own pages contain no inline script, no event-handler attribute and no `javascript:`
address at all (the Content-Security-Policy forbids them), so any such thing in a page is
injected: `script_findings(html)` lists each one. Used by the reflected-input test and the
stored-XSS corpus test (tests/security/).
"""

import re
from html.parser import HTMLParser

# Elements that run script, load another document or change where the page's links go.
DANGEROUS_TAGS = {
    "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal", "fencedframe",
    "foreignobject", "animate", "set", "animatetransform", "animatemotion", "handler", "listener",
    "style", "svg", "math", "maction", "xss", "isindex",
}  # fmt: skip
# Attributes whose value the browser follows as an address (or runs, for javascript:).
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
    "lowsrc", "dynsrc", "codebase", "cite", "longdesc", "ping", "srcset", "manifest", "to",
    "from", "values", "by", "icon", "profile", "usemap", "archive", "classid",
}  # fmt: skip
# Only images may be data: addresses, and only of these types.
DATA_IMAGE = re.compile(r"^data:image/(png|gif|jpe?g|webp|avif);", re.IGNORECASE)
_SCRIPTY_SCHEME = re.compile(r"^(javascript|vbscript|livescript|mocha|data|blob|filesystem):", re.IGNORECASE)
# Characters a browser ignores inside a scheme ("java\tscript:", "\x01javascript:").
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")
# The library's bookmarklet, the one javascript: link of the site (resources/views.py): it runs on
# the page the member bookmarks it from, never on ours (the CSP would refuse it here).
BOOKMARKLET = re.compile(
    r"^javascript:\(function\(\)\{window\.open\('https?://[\w.:\[\]-]+/library/add/\?'"
    r"\+new URLSearchParams\(\{url:location\.href,title:document\.title\}\)\.toString\(\),"
    r"'_blank','noopener'\);\}\)\(\);$"
)
# The site's own scripts; any other <script src> is injected.
OWN_SCRIPT = re.compile(r"^/static/[\w./-]+\.js$")


def dangerous_url(value: str, *, tag: str = "") -> bool:
    """True for an address that runs script or loads an arbitrary document (data:, javascript:...)."""
    url = _IGNORED_IN_SCHEME.sub("", value or "")
    if not _SCRIPTY_SCHEME.match(url):
        return False
    return not (tag == "img" and DATA_IMAGE.match(url) and "svg" not in url.lower())


class _Finder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self._element(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        self._element(tag, attrs)
        if tag == "script":
            self._in_script = False

    def _element(self, tag, attrs):
        tag = tag.lower()
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script":
            src = values.get("src", "")
            if not OWN_SCRIPT.match(src) or values.get("type", "text/javascript") not in ("text/javascript",):
                self.findings.append(f"<script src={src!r} type={values.get('type')!r}>")
            self._in_script = True
        elif tag in DANGEROUS_TAGS:
            self.findings.append(f"<{tag}>")
        elif tag == "meta" and "http-equiv" in values:
            self.findings.append(f"<meta http-equiv={values['http-equiv']!r}>")
        elif tag == "link" and not re.match(r"^/[^/\\]", values.get("href", "")):
            self.findings.append(f"<link href={values.get('href')!r}>")
        for name, value in values.items():
            if (
                name.startswith("on")
                or name in ("srcdoc", "hx-on", "data-bind")
                or name.startswith(("hx-on", "x-on", "v-on", "@"))
            ):
                self.findings.append(f"<{tag} {name}=…>")
            elif tag == "a" and name == "href" and "data-bookmarklet" in values and BOOKMARKLET.match(value):
                continue
            elif name in URL_ATTRIBUTES and dangerous_url(value, tag=tag):
                self.findings.append(f"<{tag} {name}={value[:40]!r}>")
            elif name == "style":
                self.findings.append(f"<{tag} style={value[:40]!r}>")
            elif name == "http-equiv":
                self.findings.append(f"<{tag} http-equiv>")

    def handle_endtag(self, tag):
        if tag.lower() == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.findings.append(f"inline script {data.strip()[:40]!r}")


def script_findings(html: str) -> list[str]:
    """Everything in html that could run script or load a document; [] for a clean page."""
    finder = _Finder()
    finder.feed(html)
    finder.close()
    return finder.findings
