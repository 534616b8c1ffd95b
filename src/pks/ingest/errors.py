"""User-facing import problems in the form ``FILE:ROW:COLUMN: what is wrong (what was expected)``.

An import collects every problem of every file (up to a cap per file) before it gives up,
so a planner can fix a whole extract in one go. Nothing here ever carries a value from a
personal-identity column: callers must not put such values into a message.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_ISSUES_PER_FILE = 50
NO_COLUMN = "-"


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """One problem at one place. ``row`` is the line number (header = 1), as text so that
    Excel positions can be written ``SHEET!ROW``."""

    file: str
    row: str
    column: str
    problem: str
    expected: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.problem} ({self.expected})"


@dataclass
class IssueList:
    """Issues of one file, capped at ``MAX_ISSUES_PER_FILE`` with a count of the rest."""

    file: str
    sheet: str | None = None
    issues: list[ImportIssue] = field(default_factory=list)
    suppressed: int = 0

    def add(self, row: int | str, column: str, problem: str, expected: str) -> None:
        """Record a problem at a line (header = 1) and column."""
        if len(self.issues) >= MAX_ISSUES_PER_FILE:
            self.suppressed += 1
            return
        where = f"{self.sheet}!{row}" if self.sheet else str(row)
        self.issues.append(ImportIssue(self.file, where, column, problem, expected))

    def __bool__(self) -> bool:
        return bool(self.issues)

    def lines(self) -> list[str]:
        """Printable lines, with a last line saying how many more were left out."""
        out = [str(issue) for issue in self.issues]
        if self.suppressed:
            out.append(
                f"{self.file}:-:-: {self.suppressed} more problems not shown "
                f"(fix the ones above and import again)"
            )
        return out


class ImportRejected(Exception):
    """The import was refused because of user errors; the database is unchanged."""

    def __init__(self, issues: list[IssueList]) -> None:
        self.issue_lists = [i for i in issues if i]
        super().__init__(f"{sum(len(i.issues) + i.suppressed for i in self.issue_lists)} problems")

    def lines(self) -> list[str]:
        """Every problem line of every file."""
        return [line for issues in self.issue_lists for line in issues.lines()]
