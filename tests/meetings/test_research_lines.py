"""One table for the research-item line syntax, read the same way by the research form and the importer."""

import pytest

from meetings.services.importer import markdown_parse
from meetings.services.research import research_lines_parse
from meetings.services.research_lines import research_line_read, research_line_write
from tests.factories import UserFactory

# (line as written, text, status, reason, usernames)
LINES = [
    ("Read the attention paper", "Read the attention paper", "open", "", []),
    ("- Read the attention paper", "Read the attention paper", "open", "", []),
    ("* [ ] Compare optimisers", "Compare optimisers", "open", "", []),
    ("1. [x] Ask about GPUs", "Ask about GPUs", "done", "", []),
    ("2) [X] Book the room", "Book the room", "done", "", []),
    ("o Check the dataset licence", "Check the dataset licence", "open", "", []),
    ("• Check the dataset licence", "Check the dataset licence", "open", "", []),
    ("- ~~Try JAX~~ we use PyTorch", "Try JAX", "dropped", "we use PyTorch", []),
    ("- ~~Try JAX~~ — duplicate", "Try JAX", "dropped", "duplicate", []),
    ("- ~~Try JAX~~", "Try JAX", "dropped", "Struck through.", []),
    (
        "- [ ] Review [it](https://arxiv.org/abs/1706.03762) @ada",
        "Review [it](https://arxiv.org/abs/1706.03762) @ada",
        "open",
        "",
        ["ada"],
    ),
    ("- [x] Reply to @bob.", "Reply to @bob.", "done", "", ["bob"]),
    ("- email me at ada@example.org", "email me at ada@example.org", "open", "", []),
    ("-   spaced    out   words  ", "spaced out words", "open", "", []),
]


@pytest.mark.parametrize(("line", "text", "status", "reason", "usernames"), LINES)
def test_research_line_read_table(line, text, status, reason, usernames):
    read = research_line_read(line)
    assert (read.text, read.status, read.reason, read.usernames) == (text, status, reason, usernames)


@pytest.mark.parametrize("line", ["", "   ", "-", "* ", "1."])
def test_research_line_read_blank_lines_hold_no_item(line):
    assert research_line_read(line) is None


@pytest.mark.parametrize(("line", "text", "status", "reason", "usernames"), LINES)
def test_research_line_write_reads_back(line, text, status, reason, usernames):
    written = research_line_write(text=text, status=status, reason=reason)
    read = research_line_read(written)
    assert (read.text, read.status) == (text, status)
    if status == "dropped" and reason != "Struck through.":
        assert read.reason == reason


@pytest.mark.django_db
@pytest.mark.parametrize(("line", "text", "status", "reason", "usernames"), LINES)
def test_research_form_and_importer_read_the_table_alike(line, text, status, reason, usernames):
    for name in usernames:
        UserFactory(username=name)
    (form_item,) = research_lines_parse(text=line)
    plan = markdown_parse(text=f"# Club\n\n## Meeting 1\n\n### To research\n\n{line}\n")
    (imported,) = plan.meetings[0].items
    # The form takes a known @member out of the text (it becomes the assignee); the importer
    # keeps it for the writer to resolve against the series' members.
    expected = text
    if usernames:
        expected = " ".join(word for word in text.split() if not word.startswith("@"))
    assert (form_item.text, form_item.status, form_item.reason) == (expected, status, reason)
    assert (imported.text, imported.status, imported.reason) == (text, status, reason)
    if usernames:
        assert form_item.assignee.username == usernames[-1]
