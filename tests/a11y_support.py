"""Measuring a page in the browser for tests/test_browser_a11y.py: sideways scrolling and axe-core.

Two checks, each returning the problems it finds as sentences (an empty list is a pass):
- `sideways(page)`: the page itself must not scroll sideways (`scrollWidth <= clientWidth` of the document).
  A wide table may scroll inside its own container (overflow-x: auto); that is allowed. When the page does
  scroll, the innermost elements that reach past the right edge outside any scrolling container are named.
- `axe_violations(page)`: axe-core (tests/vendor/axe-core, vendored; never served by the site) run on the page;
  every violation of impact "serious" or "critical", with its rule and the selectors of the elements.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = {"serious", "critical"}

# The elements that stick out past the right edge of the viewport and are not inside a container that scrolls
# or clips sideways — only the innermost of them (the culprits), at most eight.
OFFENDERS_JS = """() => {
  const root = document.documentElement, width = root.clientWidth;
  const result = {scroll: root.scrollWidth, client: width, offenders: []};
  if (root.scrollWidth <= width) return result;
  const contained = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if ((o === 'auto' || o === 'scroll' || o === 'hidden' || o === 'clip') &&
          p.getBoundingClientRect().right <= width + 0.5) return true;  // a container that itself fits
    }
    return false;
  };
  const sticks = (el) => el.getBoundingClientRect().right > width + 0.5 && !contained(el);
  const all = Array.from(document.body.querySelectorAll('*')).filter(sticks);
  const inner = all.filter((el) => !Array.from(el.children).some(sticks));
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (el.classList.length ? '.' + Array.from(el.classList).join('.') : '');
  const path = (el) => { const parts = []; for (let e = el; e && e !== document.body && parts.length < 4;
                                                   e = e.parentElement) parts.unshift(name(e)); return parts.join(' > '); };
  result.offenders = inner.slice(0, 8).map((el) =>
    path(el) + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + ' px: "' +
    (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 30) + '")');
  return result;
}"""


@cache
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def sideways(page: Page) -> list[str]:
    """Does the page scroll sideways at its current viewport? One sentence naming the culprits, or nothing."""
    found: dict[str, Any] = page.evaluate(OFFENDERS_JS)
    if found["scroll"] <= found["client"]:
        return []
    return [f"scrolls sideways: {found['scroll']} px of content in {found['client']} px; "
            f"sticking out: {'; '.join(found['offenders']) or '(nothing found outside a container)'}"]


def inject_axe(page: Page) -> None:
    """Put axe-core into the page. Evaluated through the DevTools protocol, which the site's Content Security
    Policy (script-src 'self') does not govern; a <script> tag would be refused, and rightly."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source())


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one sentence each."""
    inject_axe(page)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map((v) => ({
             id: v.id, impact: v.impact, help: v.help,
             targets: v.nodes.slice(0, 6).map((n) => n.target.join(' ')), count: v.nodes.length}))""")
    return [f"axe {v['impact']} {v['id']} ({v['help']}) on {v['count']} element(s): {', '.join(v['targets'])}"
            for v in found if v["impact"] in FAILING_IMPACTS]
