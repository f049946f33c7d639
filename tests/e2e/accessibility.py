"""The accessibility check of the browser tests: axe-core, from the axe-playwright-python package's own
copy of axe.min.js (read from the installed package and injected into the page; nothing is fetched)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
# label-content-name-mismatch is one of axe's experimental rules: turned on, because a control whose
# accessible name differs from its visible label cannot be used by voice ("click Clone …").
OPTIONS = {"resultTypes": ["violations"], "rules": {"label-content-name-mismatch": {"enabled": True}}}

_axe = Axe()


def blocking_violations(page) -> list[str]:
    """Serious and critical axe violations of the page as it is now: 'rule (impact): target, …'."""
    results = _axe.run(page, options=OPTIONS).response
    return [f"{v['id']} ({v['impact']}): {', '.join(str(n['target']) for n in v['nodes'][:5])}"
            for v in results["violations"] if v["impact"] in BLOCKING]


def assert_accessible(page) -> None:
    found = blocking_violations(page)
    assert found == [], f"axe found serious or critical violations on {page.url}: {found}"


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing scrolls the page sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def wide_elements(page) -> list[str]:
    """The elements that reach past the window's right edge (outside a scroll area), to say what overflows."""
    return page.evaluate("""() => {
      const out = [];
      for (const el of document.querySelectorAll("body *")) {
        const right = el.getBoundingClientRect().right;
        if (right > window.innerWidth + 1 && !el.closest(".table-scroll")) {
          out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.className} → ${Math.round(right)}px`);
        }
      }
      return out.slice(0, 10);
    }""")
