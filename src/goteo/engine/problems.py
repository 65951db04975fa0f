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
    """A campaign document was refused whole; ``problems`` names every reason."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.path))
        super().__init__("\n".join(str(p) for p in self.problems))
