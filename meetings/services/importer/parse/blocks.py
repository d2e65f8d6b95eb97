"""Lines and blocks of Markdown: headings, rules, fences, bullets, front matter."""

import re

import yaml

ATX = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
SETEXT = re.compile(r"^ {0,3}(?P<char>=+|-+)[ \t]*$")
RULE = re.compile(r"^ {0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$|^\s*<hr\s*/?>\s*$", re.I)
FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")
O_BULLET = re.compile(r"^(?P<indent>\s*)[o•◦▪](?=\s+\S)")
BOLD_LINE = re.compile(r"^\s*(?:\*\*|__)(?P<text>[^*_]+?)(?:\*\*|__)\s*:?\s*$")
BR = re.compile(r"<br\s*/?>", re.I)
CANCELLED = re.compile(r"^\W*(?:cancell?ed|postponed)\b", re.I)
COMMENT_OPEN, COMMENT_CLOSE = "<!--", "-->"


def heading_text(text: str) -> str:
    text = BR.sub(" ", text or "")
    text = re.sub(r"\s+", " ", text).strip()
    # Emphasis around the whole heading ("## **Minutes:**") is decoration.
    while len(text) > 4 and text[:2] in ("**", "__") and text[-2:] == text[:2]:
        text = text[2:-2].strip()
    return text


def heading_words(text: str) -> str:
    """A heading's words for classifying: lower case, no markup, no trailing colon."""
    text = re.sub(r"[*_`]", "", heading_text(text)).strip().lower()
    return text.rstrip(":").strip()


def is_rule(line: str) -> bool:
    return bool(RULE.match(line))


def o_bullet(line: str) -> str:
    # "o item" and "• item" (from Word and Google Docs) are list items in the club's Markdown.
    return O_BULLET.sub(lambda m: m["indent"] + "-", line, count=1)


def trim_block(lines: list[str]) -> str:
    """Join lines, dropping blank lines and rules at either end (rules only separate meetings)."""
    lines = list(lines)
    while lines and (not lines[0].strip() or is_rule(lines[0])):
        lines.pop(0)
    while lines and (not lines[-1].strip() or is_rule(lines[-1])):
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def front_matter(reader) -> tuple[int, dict, list[str]]:
    """(index of the first body line, the front matter's data, its lines as written)."""
    if not reader.lines or reader.lines[0].strip() != "---":
        return 0, {}, []
    for index in range(1, len(reader.lines)):
        if reader.lines[index].strip() in ("---", "..."):
            raw = "\n".join(reader.lines[1:index])
            try:
                data = yaml.safe_load(raw) if raw.strip() else {}
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                line = (mark.line + 2) if mark is not None else 1
                problem = getattr(error, "problem", None) or "not valid YAML"
                reader.fail(line, f"the front matter is not valid YAML ({problem})")
            if data is None:
                data = {}
            if not isinstance(data, dict):
                reader.fail(2, "the front matter must be “key: value” lines")
            return index + 1, data, reader.lines[: index + 1]
    reader.fail(1, "the front matter opened on line 1 is never closed with “---”")
    return 0, {}, []  # unreachable


_BODY_HEADING = re.compile(r"^(?P<hashes>#{1,6})(?=\s)", re.M)


def promote_headings(body: str, *, to: int = 3) -> str:
    """Headings inside a section's text start at level 3, however deep the document had them.

    An export writes them one level below its own "###" sections; reading them back this way
    gives the text the import stored. Fenced code is left alone.
    """
    lines, fence, levels = body.split("\n"), None, []
    for line in lines:
        if fence is None and (match := _BODY_HEADING.match(line)):
            levels.append(len(match["hashes"]))
        elif match := FENCE.match(line):
            fence = None if fence else match["fence"]
    if not levels or min(levels) <= to:
        return body
    shift, out, fence = min(levels) - to, [], None
    for line in lines:
        if fence is None and (match := _BODY_HEADING.match(line)):
            line = line[shift:]
        elif match := FENCE.match(line):
            fence = None if fence else match["fence"]
        out.append(line)
    return "\n".join(out)
