"""Every main page, as visitor, member and organiser: axe-core finds no serious or critical
violation in the light and the dark theme, and at 360 and 390 px no page is wider than the screen."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.club import build_club

pytestmark = pytest.mark.e2e

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
PHONE_WIDTHS = (360, 390)

# axe's findings of the impacts the issue forbids, with where they are, for the failure message.
AXE_RUN = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.slice(0, 4).map((n) =>
        n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n").slice(0, 2).join(" ")),
    }));
}"""

# What makes the page wider than the screen, if anything.
OVERFLOW = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.right > root.clientWidth + 1 && el.offsetParent !== null) {
      const classes = typeof el.className === "string" && el.className.trim()
        ? "." + el.className.trim().split(/\\s+/).join(".") : "";
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + classes;
      wide.push(name + " right=" + Math.round(box.right));
    }
  }
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, widest: wide.slice(-6)};
}"""

SETTLED = """() => document.readyState === "complete"
  && !document.querySelector(".arithmatex:not([data-math-rendered])")
  && (!document.querySelector(".arithmatex") || document.documentElement.hasAttribute("data-math-done"))"""


def settle(page):
    page.wait_for_load_state("load")
    page.wait_for_function(SETTLED)


def axe_violations(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(AXE_RUN)


@pytest.fixture
def club(transactional_db):
    return build_club()


@pytest.mark.parametrize("role", ["visitor", "member", "organiser"])
def test_every_main_page_passes_axe_in_both_themes_and_fits_phones(role, club, new_context, sign_in):
    context = new_context()
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    if role != "visitor":
        sign_in(page, club.member if role == "member" else club.organiser)
    findings, overflows, visited = {}, {}, []

    for name, url in club.pages().items():
        page.emulate_media(color_scheme="light")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(url)
        settle(page)
        visited.append(f"{name} → {page.url.split('://', 1)[1].split('/', 1)[1]}")
        for theme in ("light", "dark"):
            page.emulate_media(color_scheme=theme)
            expect(page.locator("body")).to_be_visible()
            if found := axe_violations(page):
                findings[(name, theme)] = found
        for width in PHONE_WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.evaluate(
                "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
            )
            if wide := page.evaluate(OVERFLOW):
                overflows[(name, width)] = wide

    report = "\n".join(
        f"{page_name} [{theme}] {v['impact']} {v['id']}: {'; '.join(v['nodes'])}"
        for (page_name, theme), found in findings.items()
        for v in found
    )
    assert not findings, f"axe as {role}:\n{report}"
    assert not overflows, f"wider than the screen as {role}: {overflows}"
    assert len(visited) == 17, visited
