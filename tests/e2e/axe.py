"""axe-core in the browser (vendored from npm under tests/e2e/vendor/, with its licence)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
BLOCKING = ("serious", "critical")


def serious_violations(page: Any) -> list[str]:
    """The serious and critical accessibility violations on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['impact']}: {v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'])})"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
