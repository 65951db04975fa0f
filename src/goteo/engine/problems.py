"""Problems found in a campaign document, each named by its path and line."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        subject = f"{self.path}: " if self.path else ""
        return f"{where}{subject}{self.message}"


class CampaignInvalid(ValueError):
    """A campaign document was refused whole; ``problems`` names every reason, ``warnings``
    what else may be wrong (printed after the problems)."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | None = None) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        self.warnings = sorted(warnings or [], key=lambda p: (p.line or 0, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))
