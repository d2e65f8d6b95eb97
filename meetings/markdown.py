"""Markdown to sanitised HTML for minutes, agendas, recaps and notes.

Only Markdown, pymdown-extensions, nh3, Pygments and the standard library are
imported here, so rendering works (and is tested) without Django.
"""

import functools
import re
import threading
from html.parser import HTMLParser

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode
from markdown.preprocessors import Preprocessor
from pygments.token import STANDARD_TYPES
from pymdownx.arithmatex import arithmatex_fenced_format

__all__ = ["MarkdownRefused", "extract_links", "markdown_problem", "render_markdown"]

# Every id in rendered Markdown gets this prefix (and every in-document "#..."
# link follows it), so user content can neither collide with nor clobber the ids
# of the page around it (DOM clobbering), as GitHub does with "user-content-".
ID_PREFIX = "md-"

_EXTENSIONS = [
    "tables",
    "footnotes",
    "toc",
    "sane_lists",
    "pymdownx.highlight",
    "pymdownx.superfences",
    "pymdownx.tilde",
    "pymdownx.tasklist",
    "pymdownx.magiclink",
    "pymdownx.arithmatex",
]

_EXTENSION_CONFIGS = {
    # The sanitiser drops style attributes, so alignment must use align="...".
    "tables": {"use_align_attribute": True},
    "toc": {"permalink": True, "slugify": slugify_unicode},
    "pymdownx.highlight": {
        "css_class": "highlight",
        "use_pygments": True,
        "noclasses": False,
        "guess_lang": False,
    },
    "pymdownx.superfences": {
        # ```math fences (as GitHub writes display math) render like $$...$$.
        "custom_fences": [
            {
                "name": "math",
                "class": "arithmatex",
                "format": arithmatex_fenced_format(mode="generic"),
            }
        ],
    },
    # Subscript off: a single ~ ("~2 hours") stays a tilde.
    "pymdownx.tilde": {"subscript": False},
    "pymdownx.tasklist": {"clickable_checkbox": False, "custom_checkbox": False},
    "pymdownx.magiclink": {"hide_protocol": False},
    # Generic mode: \(...\) and \[...\] as text in span/div.arithmatex for KaTeX.
    "pymdownx.arithmatex": {"generic": True},
}


class _ListIndentPreprocessor(Preprocessor):
    """Re-indent nested list content to the four spaces Python-Markdown needs.

    Minutes are written the CommonMark way (GitHub, HackMD, Google Docs export):
    a nested list or continuation paragraph is indented to the parent item's
    text, often two spaces. Python-Markdown only nests at four spaces and would
    otherwise flatten such lists, so this moves every line inside a list item to
    4 x depth spaces, keeping any extra indentation (code) and fenced code intact.
    """

    _ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[*+-]|\d+\.)(?P<gap> +)(?=\S)")
    _RULE = re.compile(r"^ {0,3}([-*_])(?: *\1){2,} *$")
    _FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})")

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        # One entry per open list item: the column its text starts at.
        stack: list[int] = []
        fence: tuple[str, int, int] | None = None  # (fence chars, old, new indent)
        previous_blank = True
        for line in lines:
            if fence is not None:
                out.append(self._shift(line, fence[1], fence[2]))
                closing = self._FENCE.match(line)
                # A closing fence is only fence characters, at least as many.
                is_fence_only = not line.strip().strip(fence[0][0])
                if closing and closing["fence"].startswith(fence[0]) and is_fence_only:
                    fence = None
                continue
            if not line.strip():
                out.append(line)
                previous_blank = True
                continue
            indent = len(line) - len(line.lstrip(" "))
            item = self._ITEM.match(line)
            if item and not self._RULE.match(line):
                while stack and indent < stack[-1]:
                    stack.pop()
                base = stack[-1] if stack else 0
                if indent - base < 4:  # four more spaces would be code, not an item
                    gap = item["gap"] if len(item["gap"]) <= 4 else " "
                    stack.append(indent + len(item["marker"]) + len(gap))
                    depth = len(stack) - 1
                    out.append(" " * (4 * depth) + line[indent:])
                    previous_blank = False
                    continue
            if stack and indent < stack[-1]:
                if not previous_blank:  # a lazy continuation line stays as written
                    out.append(line)
                    continue
                while stack and indent < stack[-1]:
                    stack.pop()
            new_indent = indent
            if stack:
                new_indent = 4 * len(stack) + (indent - stack[-1])
            out.append(self._shift(line, indent, new_indent))
            opening = self._FENCE.match(line)
            if opening:
                fence = (opening["fence"], indent, new_indent)
            previous_blank = False
        return out

    @staticmethod
    def _shift(line: str, old: int, new: int) -> str:
        if old == new or not line.strip():
            return line
        stripped = len(line) - len(line.lstrip(" "))
        cut = min(stripped, old)
        return " " * new + line[cut:]


class _ListIndentExtension(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After whitespace normalising (30, tabs expanded), before fences (25).
        md.preprocessors.register(_ListIndentPreprocessor(md), "clubsite_list_indent", 29)


def _new_markdown() -> markdown.Markdown:
    # A fresh instance per call: Markdown objects keep per-document state
    # (footnotes, heading ids) and are not thread-safe.
    return markdown.Markdown(
        extensions=[*_EXTENSIONS, _ListIndentExtension()],
        extension_configs=_EXTENSION_CONFIGS,
        output_format="html",
    )


_local = threading.local()


def _markdown() -> markdown.Markdown:
    """This thread's Markdown instance, reset: building one costs more than most conversions."""
    md = getattr(_local, "markdown", None)
    if md is None:
        md = _local.markdown = _new_markdown()
    return md.reset()


_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}

_TAGS = {
    *_HEADINGS,
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div",
    "dl", "dt", "em", "hr", "i", "img", "input", "ins", "kbd", "li", "ol", "p",
    "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}  # fmt: skip

# Removed together with their content, not unwrapped into visible text.
_CLEAN_CONTENT_TAGS = {
    "script", "style", "iframe", "noscript", "template", "textarea", "title",
    "object", "noembed", "noframes", "xmp",
}  # fmt: skip

_ATTRIBUTES = {
    **{heading: {"id"} for heading in _HEADINGS},
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "li": {"id"},  # footnotes
    "sup": {"id"},  # footnote references
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "input": {"checked"},
}

_TAG_ATTRIBUTE_VALUES = {
    "input": {"type": {"checkbox"}},
    "td": {"align": {"left", "center", "right"}},
    "th": {"align": {"left", "center", "right"}},
}

# Every <input> is read-only whatever the source said. Only one attribute is set
# here: nh3 appends these in hash order, which differs between processes, and the
# stored HTML must be the same for the same Markdown.
_SET_TAG_ATTRIBUTE_VALUES = {"input": {"disabled": ""}}

_PYGMENTS_CLASSES = {name for name in STANDARD_TYPES.values() if name}
_PYGMENTS_LAYOUT_CLASSES = {"hll", "filename", "normal", "special", "linenos"}

_ALLOWED_CLASSES = {
    "a": {"headerlink", "footnote-ref", "footnote-backref"},
    "div": {"highlight", "arithmatex", "footnote", "toc", "linenodiv"},
    "span": {"arithmatex", *_PYGMENTS_CLASSES, *_PYGMENTS_LAYOUT_CLASSES},
    "ul": {"task-list"},
    "ol": {"task-list"},
    "li": {"task-list-item"},
    "table": {"highlighttable"},
    "th": {"filename"},
    "td": {"linenos", "code"},
}

_URL_SCHEMES = {"http", "https", "mailto"}


def _fragment_filter(prefix: str):
    def prefix_fragment_links(tag: str, attribute: str, value: str) -> str | None:
        # nh3's id_prefix renames ids; in-document links must follow them.
        fragment = attribute == "href" and value.startswith("#") and len(value) > 1
        if fragment and not value[1:].startswith(prefix):
            return "#" + prefix + value[1:]
        return value

    return prefix_fragment_links


@functools.cache
def _cleaner(prefix: str) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags=_CLEAN_CONTENT_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_fragment_filter(prefix),
        tag_attribute_values=_TAG_ATTRIBUTE_VALUES,
        set_tag_attribute_values=_SET_TAG_ATTRIBUTE_VALUES,
        allowed_classes=_ALLOWED_CLASSES,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        id_prefix=prefix,
    )


# Bounded work per request (issue 13). Python-Markdown's time grows with the square of some
# patterns' counts (199,000 "[" took 31 s; 2,000 nested list levels overflowed the stack), so a
# text is measured before it is rendered, in one linear pass, and refused with a message when it
# is beyond what minutes ever hold. The figures are benchmarks/markdown_adversarial.py's.
MAX_LENGTH = 100_000  # characters; settings.MARKDOWN_MAX_LENGTH, set at start-up (meetings/apps.py)
MAX_NESTING = 20  # levels of lists and quotes
# Each non-blank line costs one unit per level it is nested at (each level parses it once more),
# a table row four (its cells are parsed one by one). 100,000 characters of real minutes use 1,700.
MAX_LINE_UNITS = 3_000
# An inline run (a paragraph, list item or table row): its length times its markup characters,
# each of which may start a pattern that searches the rest of the run.
MAX_INLINE_WORK = 2_000_000
MAX_TOTAL_INLINE_WORK = 6_000_000
# Characters a "[" (link text) or "](" (link target) scans before its closing bracket.
MAX_BRACKET_SCAN = 100_000

_FENCE_LINE = re.compile(r"^ *(?:> *)*(`{3,}|~{3,})")
_QUOTES = re.compile(r"^[ >]*")
_BLOCK_START = re.compile(r"^ *(?:[*+-]|\d+\.|#{1,6}) |.*\|")
_MARKUP = re.compile(r"[\[\]()*_&<>\\$~`!^:]")
_BRACKETS = re.compile(r"[\[\]()]")


class MarkdownRefused(ValueError):
    """The text is beyond what rendering is bounded to; the message says what and where."""


def _nesting(line: str) -> int:
    lead = _QUOTES.match(line)[0]
    quotes = lead.count(">")
    rest = line[len(lead) :] if quotes else line
    indent = len(rest) - len(rest.lstrip(" "))
    return quotes + indent // 2


def _bracket_scan(run: str) -> int:
    """What the link patterns read: from each "[" and each "](" to its match or the run's end."""
    work = 0
    squares: list[int] = []
    rounds: list[tuple[int, bool]] = []
    for match in _BRACKETS.finditer(run):
        char, at = match[0], match.start()
        if char == "[":
            squares.append(at)
        elif char == "]" and squares:
            work += at - squares.pop()
        elif char == "(":
            rounds.append((at, at > 0 and run[at - 1] == "]"))
        elif char == ")" and rounds:
            start, after_link = rounds.pop()
            work += (at - start) if after_link else 0
    end = len(run)
    work += sum(end - at for at in squares)
    work += sum(end - at for at, after_link in rounds if after_link)
    return work


def markdown_problem(text: str, *, max_length: int | None = None) -> str | None:
    """Why `text` will not be rendered (a sentence for the person who wrote it), or None."""
    limit = MAX_LENGTH if max_length is None else max_length
    if len(text) > limit:
        return f"Markdown is limited to {limit:,} characters per field; this text has {len(text):,}."
    units = 0
    total_inline = 0
    scan = 0
    run: list[str] = []
    fence = ""

    def close_run() -> str | None:
        nonlocal total_inline, scan
        if not run:
            return None
        joined = "\n".join(run)
        work = len(joined) * len(_MARKUP.findall(joined))
        run.clear()
        if work > MAX_INLINE_WORK:
            return (
                "A paragraph has too much markup to render quickly "
                f"(it starts “{joined[:40].strip()}…”); split it into shorter paragraphs."
            )
        total_inline += work
        scan += _bracket_scan(joined)
        return None

    for number, line in enumerate(text.expandtabs(4).splitlines(), start=1):
        depth = _nesting(line)
        if depth > MAX_NESTING:
            return (
                f"Lists and quotes may be nested at most {MAX_NESTING} levels deep; "
                f"line {number:,} is {depth:,} levels deep."
            )
        if line.strip():
            units += (1 + depth) * (4 if "|" in line else 1)
        if units > MAX_LINE_UNITS:
            return (
                f"This text has too many lines to render quickly (line {number:,}); "
                "split it into several documents."
            )
        opening = _FENCE_LINE.match(line)
        if fence:
            if opening and opening[1].startswith(fence):
                fence = ""
            continue
        if opening:
            fence = opening[1]
            problem = close_run()
            if problem:
                return problem
            continue
        if not line.strip() or _BLOCK_START.match(line):
            problem = close_run()
            if problem:
                return problem
        if line.strip():
            run.append(line)
    problem = close_run()
    if problem:
        return problem
    if total_inline > MAX_TOTAL_INLINE_WORK:
        return "This text has too much markup to render quickly; split it into several documents."
    if scan > MAX_BRACKET_SCAN:
        return "This text has too many unclosed brackets to render quickly; close or remove them."
    return None


def render_markdown(text: str, *, id_prefix: str = ID_PREFIX) -> str:
    """Render club Markdown (tables, code, math, task lists...) to sanitised HTML.

    Documents shown on one page (minutes and recap) pass different id prefixes so
    their footnote and heading ids never collide. A text beyond the bounds above raises
    MarkdownRefused (forms, the API and the importer check first, with markdown_problem).
    """
    if not id_prefix.startswith(ID_PREFIX):
        id_prefix = ID_PREFIX + id_prefix
    text = text or ""
    problem = markdown_problem(text)
    if problem:
        raise MarkdownRefused(problem)
    try:
        html = _markdown().convert(text)
    except RecursionError:
        _local.markdown = None  # its state is half-way through a document: start afresh next time
        raise MarkdownRefused("This text is nested too deeply to render.") from None
    return _label_task_boxes(_CONTROL.sub("", _cleaner(id_prefix).clean(html)))


# Python-Markdown's placeholders (STX ... ETX) can survive into the output, e.g. the footnotes'
# non-breaking-space marker when a footnote ends in a link whose address swallows it. XML feeds
# cannot carry them (a 500), and they mean nothing: removed from the sanitised HTML, where a
# removed character can never form markup (every "<" of the text is already "&lt;").
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# A task list's read-only checkbox needs an accessible name; it says what it shows. Added after
# sanitising, to the exact markup nh3 writes, so no attribute from the text can get through.
_TASK_BOX = re.compile(r'<input type="checkbox"( checked="")? disabled="">')


def _label_task_boxes(html: str) -> str:
    return _TASK_BOX.sub(
        lambda m: (
            f'<input type="checkbox"{m[1] or ""} disabled="" aria-label="{"done" if m[1] else "not done"}">'
        ),
        html,
    )


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self._seen: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        href = dict(attrs).get("href") or ""
        if href.lower().startswith(("http://", "https://")) and href not in self._seen:
            self._seen.add(href)
            self.links.append(href)


def links_in_html(html: str) -> list[str]:
    """Return the http(s) links of already rendered HTML, in document order, without repeats."""
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    return collector.links


def extract_links(text: str) -> list[str]:
    """Return the http(s) links of rendered Markdown, in document order, without repeats."""
    return links_in_html(render_markdown(text))
