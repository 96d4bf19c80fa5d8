"""Real Chromium for the browser tests: Debian's /usr/bin/chromium driven by Playwright (never a
downloaded browser), and axe-core injected into pages to assert zero accessibility violations."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("HUB_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()


def launch(playwright):
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)"
        if os.environ.get("CI") or os.environ.get("HUB_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated over the DevTools protocol: the page's CSP (no inline scripts) stays on.
        page.evaluate(AXE)
    result = page.evaluate("async () => { const r = await axe.run(document); "
                           "return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, "
                           "nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }")
    return result


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{page.url}:\n" + json.dumps(violations, indent=1, ensure_ascii=False)
