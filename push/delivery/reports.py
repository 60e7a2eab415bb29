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


@dataclass
class DeliveryReport(Report):
    """What a delivery run did, notification by notification (the guide's summary keys)."""

    total: int = 0
    successful: int = 0
    failed: int = 0
    skipped: int = 0
    pending: int = 0
    devices: int = 0

    def headline(self) -> str:
        return (
            f"{self.total} notification(s): {self.successful} sent, {self.failed} failed, "
            f"{self.skipped} skipped, {self.pending} pending; {self.devices} device(s)"
        )

    def count(self, status: str, devices: int = 0) -> None:
        """Count one notification that ended in `status` after trying `devices` devices."""
        self.total += 1
        self.devices += devices
        name = _COUNTER_OF_STATUS.get(status, "pending")
        setattr(self, name, getattr(self, name) + 1)


_COUNTER_OF_STATUS = {"sent": "successful", "failed": "failed", "skipped": "skipped"}
