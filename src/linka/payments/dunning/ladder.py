"""The dunning ladder as data: steps by days overdue, one ladder per customer segment.

The ladder is a YAML file (the packaged ``ladder.yaml`` unless ``LINKA_DUNNING_LADDER``
names another), validated completely before anything is dunned: every problem is
reported with the file, the line, the field and what was expected. See docs/dunning.md.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from linka.catalog.errors import CatalogIssue
from linka.catalog.source import load_yaml
from linka.engagement.model import MessageChannel
from linka.kernel.money import check_currency
from linka.payments.dunning.errors import DunningLadderError

DEFAULT_LADDER = Path(__file__).with_name("ladder.yaml")
SEGMENTS = ("consumer", "business")
CLEARED = "cleared"  # the step id that marks an episode as ended (reserved)
_STEP_ID = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


class LineAction(StrEnum):
    """What a step does to the account's lines."""

    NONE = "none"
    SUSPEND = "suspend"  # active → suspended (outgoing service stopped)
    BAR = "bar"  # active or suspended → barred (all service stopped)
    TERMINATE = "terminate"  # live → terminated, and the debt goes to collections


class StepAction(StrEnum):
    """A step's main action, as recorded in ``dunning_steps.action``."""

    REMINDER = "reminder"
    FEE = "fee"
    SUSPEND = "suspend"
    BAR = "bar"
    TERMINATE = "terminate"


Amounts = dict[str, Decimal]


def _amounts(value: Amounts, *, positive: bool) -> Amounts:
    checked: Amounts = {}
    for currency, amount in value.items():
        code = check_currency(currency)  # ValueError naming the code
        if amount < 0 or (positive and amount == 0):
            raise ValueError(f"{currency}: the amount must be {'> 0' if positive else '≥ 0'}")
        if amount != amount.quantize(Decimal("0.01")):
            raise ValueError(f"{currency}: at most two decimal places")
        checked[code] = amount
    if not checked:
        raise ValueError("give at least one currency, e.g. {CZK: 50.00}")
    return checked


class LadderStep(BaseModel):
    """One rung: taken ``day`` days after the episode began (and no sooner than the gap
    to the previous rung after that one was taken)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    day: Annotated[int, Field(ge=1, le=3650)]
    notify: tuple[MessageChannel, ...] = ()
    fee: Amounts | None = None
    lines: LineAction = LineAction.NONE

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _STEP_ID.match(value):
            raise ValueError("lower-case letters, digits and '-', starting with a letter, ≤ 40")
        if value == CLEARED:
            raise ValueError(f"{CLEARED!r} is reserved (it marks an ended episode)")
        return value

    @field_validator("notify")
    @classmethod
    def _notify(cls, value: tuple[MessageChannel, ...]) -> tuple[MessageChannel, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a channel is named twice")
        return value

    @field_validator("fee")
    @classmethod
    def _fee(cls, value: Amounts | None) -> Amounts | None:
        return None if value is None else _amounts(value, positive=True)

    @property
    def action(self) -> StepAction:
        if self.lines is not LineAction.NONE:
            return StepAction(self.lines.value)
        return StepAction.FEE if self.fee else StepAction.REMINDER


class SegmentLadder(BaseModel):
    """The ladder of one customer segment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_amount: Amounts
    restore_notify: tuple[MessageChannel, ...] = (MessageChannel.SMS, MessageChannel.EMAIL)
    steps: tuple[LadderStep, ...]

    @field_validator("min_amount")
    @classmethod
    def _min(cls, value: Amounts) -> Amounts:
        return _amounts(value, positive=False)

    @model_validator(mode="after")
    def _order(self) -> SegmentLadder:
        if not self.steps:
            raise ValueError("steps: a ladder needs at least one step")
        ids = [step.id for step in self.steps]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"steps: step id(s) {', '.join(twice)} used more than once")
        days = [step.day for step in self.steps]
        if days != sorted(set(days)):
            raise ValueError("steps: days must grow strictly from one step to the next")
        for step in self.steps:
            missing = sorted(set(self.min_amount) - set(step.fee or self.min_amount))
            if missing:
                raise ValueError(
                    f"step {step.id}: fee names no amount in {', '.join(missing)} "
                    "(every currency of min_amount needs one)"
                )
        return self

    def step(self, step_id: str) -> LadderStep | None:
        return next((step for step in self.steps if step.id == step_id), None)


class Segments(BaseModel):
    """One ladder per customer segment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    consumer: SegmentLadder
    business: SegmentLadder


class Ladder(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segments: Segments

    def for_segment(self, segment: str) -> SegmentLadder:
        ladder: SegmentLadder = getattr(self.segments, segment)
        return ladder

    def by_segment(self) -> dict[str, SegmentLadder]:
        return {name: self.for_segment(name) for name in SEGMENTS}


def load_ladder(path: Path | None = None) -> Ladder:
    """Read and validate a ladder file (the packaged default when ``path`` is None)."""
    file = path or DEFAULT_LADDER
    issues: list[CatalogIssue] = []
    if not file.is_file():
        raise DunningLadderError([CatalogIssue(str(file), None, "", "no such file")])
    document = load_yaml(file.parent, file.name, issues)
    if document is not None:
        document.relative = str(file)
        ladder = document.parse(Ladder, issues)
        if ladder is not None and not issues:
            return ladder
    raise DunningLadderError(
        [
            replace(i, message=i.message.replace("docs/catalog.md", "docs/dunning.md"))
            for i in issues
        ]
    )
