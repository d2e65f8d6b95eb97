"""Adversarial Markdown at the length limit: how long each input takes to render or be refused.

Prints, for each input, its length, the median time of its runs and the outcome (rendered, or
refused with the message members see); it measures and asserts nothing.

    .venv/bin/python benchmarks/markdown_adversarial.py             # 100,000 characters, 3 runs
    .venv/bin/python benchmarks/markdown_adversarial.py --runs 1 --only brackets emphasis

Every input is as long as meetings.markdown.MAX_LENGTH allows (the default setting), made of one
pattern repeated: the ones Python-Markdown once took seconds to hours over (brackets, unclosed
links and images, nested lists and quotes, emphasis, footnotes, tables, math, entities, raw HTML),
and for comparison ordinary minutes (the demo minutes repeated) at the same length.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from meetings.markdown import (  # noqa: E402 (after sys.path)
    MAX_LENGTH,
    MarkdownRefused,
    markdown_problem,
    render_markdown,
)


def _fill(unit: str, limit: int) -> str:
    return (unit * (limit // len(unit) + 1))[:limit]


def _nested(marker: str, depth: int, limit: int) -> str:
    block = "".join(" " * (2 * level) + marker + " x\n" for level in range(depth))
    return _fill(block + "\n", limit)


def _largest(make, high: int) -> int:
    """The largest n <= high for which make(n) is accepted (0 if none is)."""
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if markdown_problem(make(middle)) is None:
            low = middle
        else:
            high = middle - 1
    return low


def repeated(block: str, limit: int, *, head: str = "") -> str:
    """`head` and `block` repeated as often as is accepted."""
    return head + block * _largest(lambda n: head + block * n, max(1, limit // len(block)))


def at_the_bounds(unit: str, limit: int) -> str:
    """As many paragraphs of `unit` repeated as are accepted, each as long as is accepted."""
    repeats = _largest(lambda n: unit * n, limit // len(unit))
    paragraph = unit * repeats + "\n\n"
    count = _largest(lambda n: paragraph * n, max(1, limit // len(paragraph)))
    return paragraph * count


def inputs(limit: int) -> dict[str, str]:
    minutes = (ROOT / "meetings" / "demo" / "ml-club-minutes.md").read_text()
    return {
        "ordinary minutes": _fill(minutes + "\n\n", limit),
        "brackets [[[": "[" * limit,
        "brackets [][]": "[]" * (limit // 2),
        "images ![![": _fill("![", limit),
        "unclosed links [a](": _fill("[a](", limit),
        "nested lists, 2,000 levels": "".join("  " * level + "- x\n" for level in range(2000))[:limit],
        "nested lists, 20 levels": _nested("-", 20, limit),
        "nested quotes >>>": ">" * limit,
        "nested quotes, 20 levels": _fill(">" * 20 + " x\n\n", limit),
        "emphasis *a*a": _fill("*a", limit),
        "emphasis *_*_": _fill("*_", limit),
        "emphasis _a_a": _fill("_a", limit),
        "footnote references": "".join(f"[^{n}]" for n in range(limit))[:limit],
        "footnote definitions": "".join(f"[^{n}]: x\n" for n in range(limit))[:limit],
        "table pipes |||": "|" * limit,
        "table rows": ("a|b\n-|-\n" + "a|b\n" * limit)[:limit],
        "math $$$": "$" * limit,
        "math \\(\\(": _fill("\\(", limit),
        "autolinks": _fill("http://a.b ", limit),
        "backticks ```": "`" * limit,
        "raw HTML <div>": _fill("<div>", limit),
        "entities &amp;": _fill("&amp;", limit),
        "strikethrough ~~": _fill("~~", limit),
        "reference links [a][b]": _fill("[a][b]", limit),
        "short lines a\\n\\n": _fill("a\n\n", limit),
        # Just inside the bounds: the slowest each pattern can be and still be rendered.
        "at the bounds: [[[": at_the_bounds("[", limit),
        "at the bounds: [a](": at_the_bounds("[a](", limit),
        "at the bounds: *_*_": at_the_bounds("*_", limit),
        "at the bounds: \\(\\(": at_the_bounds("\\(", limit),
        "at the bounds: &amp;": at_the_bounds("&amp;", limit),
        "at the bounds: <div>": at_the_bounds("<div>", limit),
        "at the bounds: lists 20 deep": repeated(_nested("-", 20, 10_000).split("\n\n")[0] + "\n\n", limit),
        "at the bounds: quotes 20 deep": repeated(">" * 20 + " x\n\n", limit),
        "at the bounds: short lines": repeated("a\n\n", limit),
        "at the bounds: table rows": repeated("a|b\n", limit, head="a|b\n-|-\n"),
    }


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each input (3)")
    parser.add_argument("--limit", type=int, default=MAX_LENGTH, help=f"characters ({MAX_LENGTH})")
    parser.add_argument("--only", nargs="*", default=[], help="inputs whose name contains one of these")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    print(f"{'input':30} {'chars':>8} {'median':>9}  outcome")
    for name, text in inputs(args.limit).items():
        if args.only and not any(word in name for word in args.only):
            continue
        times, outcome = [], ""
        for _ in range(args.runs):
            started = time.perf_counter()
            try:
                render_markdown(text)
                outcome = "rendered"
            except MarkdownRefused as refused:
                outcome = f"refused: {refused}"
            times.append(time.perf_counter() - started)
        print(
            f"{name:30} {len(text):8,} {statistics.median(times) * 1000:7.0f} ms  {outcome[:90]}", flush=True
        )


if __name__ == "__main__":
    main()
