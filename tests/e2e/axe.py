"""axe-core in the browser (vendored from npm under tests/e2e/vendor/, with its licence)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
BLOCKING = ("serious", "critical")


def serious_violations(page: Any) -> list[str]:
    """The serious and critical accessibility violations on the page, one line each."""
    # Evaluated by the browser's tooling rather than added as a <script>: the pages that show
    # messages forbid every script of their own (Content-Security-Policy).
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['impact']}: {v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
