"""The research-item line syntax, read in one place for the research form, the editor and the importer.

One line is one item: a list bullet (``-``, ``*``, ``1.``, ``o``, ``•``) and a box (``[ ]``, ``[x]``)
are not part of its text; ``[x]`` ticks it, ``~~item~~ reason`` drops it with the reason, and
``@username`` names whom it is assigned to. Pure: no database, so callers decide what an
unknown ``@name`` means.
"""

import re
from dataclasses import dataclass, field

OPEN, DONE, DROPPED = "open", "done", "dropped"  # ResearchItem.Status values

BULLET = re.compile(r"^(?P<indent>\s*)(?P<marker>[-*+•◦▪]|o|\d+[.)])(?:\s+|$)")
BOX = re.compile(r"^\[(?P<mark>[ xX])\]\s*")
STRUCK = re.compile(r"^~~(?P<text>.+?)~~\s*(?P<reason>.*)$")
MENTION = re.compile(r"(?<![\w@])@(?P<username>[\w.+-]+)")
REASON_STRUCK = "Struck through."
MAX_TEXT = 1000
MAX_REASON = 500


@dataclass
class ResearchLine:
    text: str  # the item's words, mentions kept (see without_mentions)
    status: str = OPEN
    reason: str = ""
    usernames: list[str] = field(default_factory=list)
    boxed: bool = False  # written with a [ ] or [x] box: a checklist line

    def without_mentions(self) -> str:
        """The text with its @usernames taken out (once they are known to name members)."""
        return re.sub(r"\s{2,}", " ", MENTION.sub("", self.text)).strip()


def research_line_read(raw: str) -> ResearchLine | None:
    """Read one line of the syntax; None for a blank line or a bare bullet (a bare box has empty text)."""
    text = BULLET.sub("", raw.strip(), count=1).strip()
    if not text:
        return None
    status, reason, boxed = OPEN, "", False
    if box := BOX.match(text):
        text, boxed = text[box.end() :].strip(), True
        if box["mark"] in "xX":
            status = DONE
    if struck := STRUCK.match(text):
        text = struck["text"].strip()
        reason = struck["reason"].strip(" -:\u2013\u2014") or REASON_STRUCK
        status = DROPPED
    text = re.sub(r"\s+", " ", text).strip()
    usernames = [match["username"].rstrip(".") for match in MENTION.finditer(text)]
    return ResearchLine(
        text=text, status=status, reason=reason[:MAX_REASON], usernames=usernames, boxed=boxed
    )


def research_line_write(*, text: str, status: str, reason: str = "", username: str = "") -> str:
    """The line that reads back as this item (the exporter's and the editor's form of it)."""
    words = f"{text} @{username}" if username else text
    if status == DROPPED:
        return f"- ~~{words}~~ {reason}".rstrip()
    return f"- [{'x' if status == DONE else ' '}] {words}"
