"""Counters of a delivery or receipt run, for summaries, commands and tasks."""

from collections import Counter
from dataclasses import asdict, dataclass, field, fields


@dataclass
class Report:
    """Counts of one run; subclasses add their own and say them in `headline()`."""

    deactivated_tokens: int = 0
    errors: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        """Return the report as plain data (JSON answers, task results)."""
        report = asdict(self)
        report["errors"] = dict(self.errors)
        return report

    def add(self, other: "Report") -> None:
        """Add another run's counts to this one."""
        for counter in fields(self):
            if counter.name != "errors":
                setattr(
                    self, counter.name, getattr(self, counter.name) + getattr(other, counter.name)
                )
        self.errors.update(other.errors)

    def headline(self) -> str:
        """Return the run's main counts as a phrase."""
        raise NotImplementedError

    def summary(self) -> str:
        """Return one line for a command's output or a log."""
        text = self.headline()
        if self.deactivated_tokens:
            text += f", {self.deactivated_tokens} token(s) deactivated"
        if self.errors:
            text += "; errors: " + ", ".join(f"{code} x{n}" for code, n in self.errors.items())
        return text
