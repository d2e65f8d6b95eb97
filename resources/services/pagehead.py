"""Title and description from a web page's <head>: OpenGraph first, then <title> and meta description.

Used for links without an arXiv id or DOI (those get real metadata elsewhere). The bytes
come from a streamed GET that stops at </head> or settings.PAGE_HEAD_MAX_BYTES; the text
is returned as plain text (entities decoded, whitespace collapsed) and escaped on output.
"""

import codecs
import re
from dataclasses import dataclass
from html.parser import HTMLParser

HEAD_END_MARKERS = (b"</head", b"<body")
HTML_TYPES = ("text/html", "application/xhtml+xml")
TITLE_MAX = 500
DESCRIPTION_MAX = 5000

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class PageHead:
    title: str = ""
    description: str = ""
    charset: str = ""


def is_html(content_type: str) -> bool:
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    # As browsers do: a page labelled latin-1 is read as windows-1252, and a page cannot
    # declare itself UTF-16 from inside a byte-oriented meta tag.
    if codec in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    if codec.startswith("utf-16") or codec.startswith("utf-32"):
        return "utf-8"
    return codec


def detect_charset(body: bytes, content_type: str = "") -> str:
    """The page's encoding: BOM, then the Content-Type header, then <meta charset>, then a guess."""
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return name
    if (match := _HEADER_CHARSET.search(content_type or "")) and (codec := _codec(match.group(1))):
        return codec
    if (match := _META_CHARSET.search(body[:4096])) and (codec := _codec(match.group(1))):
        return codec
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut by the byte cap is still UTF-8.
        if error.start < len(body) - 4:
            return "cp1252"
    return "utf-8"


def _clean(text: str, limit: int) -> str:
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _HeadParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.title_parts: list[str] = []
        self.in_title = False
        self.title_seen = False
        self.done = False

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if tag == "body":
            self.done = True
        elif tag == "title" and not self.title_seen:
            self.in_title = True
        elif tag == "meta":
            attributes = {k.lower(): (v or "") for k, v in attrs}
            key = (attributes.get("property") or attributes.get("name") or "").strip().lower()
            if key and "content" in attributes and key not in self.meta:
                self.meta[key] = attributes["content"]

    def handle_endtag(self, tag):
        if tag == "title" and self.in_title:
            self.in_title, self.title_seen = False, True
        elif tag == "head":
            self.done = True

    def handle_data(self, data):
        if self.in_title and not self.done:
            self.title_parts.append(data)


def page_head_parse(body: bytes, content_type: str = "") -> PageHead:
    """Title and description of an HTML page's head (OpenGraph first); empty strings when absent."""
    charset = detect_charset(body, content_type)
    text = body.decode(charset, errors="replace")
    parser = _HeadParser()
    try:
        parser.feed(text)
        parser.close()
    except AssertionError:  # html.parser gives up on some malformed markup
        pass
    meta = parser.meta
    title = meta.get("og:title") or "".join(parser.title_parts) or meta.get("twitter:title", "")
    description = meta.get("og:description") or meta.get("description") or meta.get("twitter:description", "")
    return PageHead(
        title=_clean(title, TITLE_MAX), description=_clean(description, DESCRIPTION_MAX), charset=charset
    )
