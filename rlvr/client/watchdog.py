"""The masking watchdog: training stops, with the reasons, when the reward service stops giving signal.

Masked items carry no gradient (TRL leaves them out), so a run whose items the service cannot judge
would finish "fine" with loss 0. Two rules, checked once per generation batch, for the whole batch
and (items routed by verifier) for each verifier's items alone:

- a batch in which the service could judge nothing (every item `error`, across two problems or more)
  stops at once: no retry judges a reference of the wrong kind or a missing sandbox;
- more than `max_masked_frac` of the items masked (any status, `timeout` included) for
  `max_masked_batches` batches in a row stops: a slow or failing verifier that does not recover.

>>> MaskWatchdog(max_masked_frac=0.5, max_masked_batches=3).max_masked_batches
3
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rlvr.client.errors import RewardServiceError
from rlvr.errors import ConfigError
from rlvr.services.protocol import ItemResult, Status

MAX_MASKED_FRAC = 0.5  # more than half a batch without a verdict is most of its signal gone
MAX_MASKED_BATCHES = 3  # one slow batch happens; three in a row is a verifier that does not recover
TOP_ERRORS = 3


@dataclass(frozen=True)
class Failure:
    """Why one item was masked: where it was sent and the result that came back."""

    where: str  # "<endpoint>" or "<endpoint>/<verifier>"
    result: ItemResult

    def label(self) -> str:
        return f"{self.where}: {self.result.status.value}: {(self.result.error or 'no reason given')[:200]}"


@dataclass
class MaskWatchdog:
    """Counts masked items per batch (and per verifier) and raises `RewardServiceError` per the rules above."""

    max_masked_frac: float = MAX_MASKED_FRAC
    max_masked_batches: int = MAX_MASKED_BATCHES
    endpoints: str = ""  # "gsm8k at http://...", named in the error
    _streaks: dict[str, int] = field(default_factory=dict, repr=False)
    _errors: dict[str, Counter[str]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not 0.0 <= self.max_masked_frac <= 1.0:
            raise ConfigError(f"max_masked_frac must be between 0 and 1, got {self.max_masked_frac}")
        if self.max_masked_batches < 0:
            raise ConfigError(
                f"max_masked_batches must be >= 0 (0 turns the watchdog off), got {self.max_masked_batches}"
            )

    def check(
        self,
        failures: Sequence[Failure | None],
        references: Sequence[str],
        slices: Mapping[str, Sequence[int]] | None = None,
    ) -> None:
        """One batch: `failures[i]` is why item i was masked (None: judged); `slices` names item subsets
        (one per verifier) watched on their own as well as the whole batch."""
        if self.max_masked_batches == 0 or not failures:
            return
        parts = {"": range(len(failures)), **(slices or {})}  # "": the whole batch (no verifier's name)
        for key, indices in parts.items():
            if indices:
                self._check_part(key, [failures[i] for i in indices], [references[i] for i in indices])

    def _check_part(self, key: str, failures: list[Failure | None], references: list[str]) -> None:
        masked = [(f, r) for f, r in zip(failures, references, strict=True) if f is not None]
        errors = self._errors.setdefault(key, Counter())
        errors.update(f.label() for f, _ in masked)
        judged_nothing = len(masked) == len(failures) and all(f.result.status == Status.ERROR for f, _ in masked)
        if judged_nothing and len({r for _, r in masked}) > 1:
            raise self._error(key, f"could judge none of the {len(failures)} items of this batch")
        if len(masked) / len(failures) <= self.max_masked_frac:
            self._streaks[key] = 0
            errors.clear()
            return
        self._streaks[key] = self._streaks.get(key, 0) + 1
        if self._streaks[key] >= self.max_masked_batches:
            raise self._error(
                key,
                f"masked more than {self.max_masked_frac:.0%} of the items (max_masked_frac) in "
                f"{self._streaks[key]} batches in a row (max_masked_batches={self.max_masked_batches}); "
                f"this batch: {len(masked)} of {len(failures)}",
            )

    def _error(self, key: str, what: str) -> RewardServiceError:
        scope = f" for the {key!r} items" if key else ""
        common = "; ".join(f"{n}x {label}" for label, n in self._errors[key].most_common(TOP_ERRORS))
        return RewardServiceError(
            f"no training signal: the reward service {what}{scope}. Endpoints: {self.endpoints or 'unnamed'}. "
            f"Most common item errors: {common}. Training stops here rather than going on with loss 0."
        )
