"""The dunning ladder as data and the pure step decisions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from linka.payments.dunning.decisions import (
    AccountState,
    Episode,
    Hold,
    Verdict,
    decide,
    due_step,
    overdue_amount,
)
from linka.payments.dunning.errors import DunningLadderError
from linka.payments.dunning.ladder import DEFAULT_LADDER, LineAction, StepAction, load_ladder
from linka.payments.model import OpenItem

D = Decimal
DUE = date(2026, 4, 15)
LADDER = load_ladder()
CONSUMER = LADDER.for_segment("consumer")
STEPS = CONSUMER.steps


def day(n: int) -> date:
    return DUE + timedelta(days=n)


def invoice(open_: str, due: date = DUE, invoice_id: int = 1) -> OpenItem:
    return OpenItem(invoice_id, 7, f"FA2026{invoice_id:06d}", due, D(open_))


def fee(open_: str, booked: date) -> OpenItem:
    return OpenItem(None, 7, "dunning-fee:7", booked, D(open_), entry_id=99)


def state(*items: OpenItem, **extra: object) -> AccountState:
    return AccountState(7, "CZK", list(items), **extra)  # type: ignore[arg-type]


def test_the_default_ladder_is_packaged_and_reads_as_the_issue_describes() -> None:
    assert DEFAULT_LADDER.is_file()
    assert set(LADDER.by_segment()) == {"consumer", "business"}
    assert [(s.day, s.action) for s in STEPS] == [
        (3, StepAction.REMINDER),
        (14, StepAction.FEE),
        (21, StepAction.SUSPEND),
        (45, StepAction.BAR),
        (60, StepAction.TERMINATE),
    ]
    assert STEPS[1].fee == {"CZK": D("50.00"), "EUR": D("2.00")}
    assert STEPS[2].lines is LineAction.SUSPEND
    assert [c.value for c in STEPS[0].notify] == ["email", "sms"]


def test_due_step_follows_the_days_and_keeps_the_gaps() -> None:
    assert due_step(STEPS, {}, DUE, day(2)) is None
    assert due_step(STEPS, {}, DUE, day(3)) == STEPS[0]
    taken = {"reminder": day(3)}
    assert due_step(STEPS, taken, DUE, day(13)) is None
    assert due_step(STEPS, taken, DUE, day(14)) == STEPS[1]
    # one step per run: a late first run takes the reminder, and the next rung waits its gap
    assert due_step(STEPS, {}, DUE, day(30)) == STEPS[0]
    late = {"reminder": day(30)}
    assert due_step(STEPS, late, DUE, day(40)) is None
    assert due_step(STEPS, late, DUE, day(41)) == STEPS[1]
    everything = {step.id: day(step.day) for step in STEPS}
    assert due_step(STEPS, everything, DUE, day(100)) is None


def test_an_episode_needs_an_overdue_invoice_of_at_least_min_amount() -> None:
    assert decide(state(invoice("646.00")), CONSUMER, DUE).verdict is Verdict.NOT_OVERDUE
    assert decide(state(invoice("49.99")), CONSUMER, day(5)).verdict is Verdict.NOT_OVERDUE
    # a fee alone never starts an episode
    assert decide(state(fee("50.00", day(1))), CONSUMER, day(20)).verdict is Verdict.NOT_OVERDUE
    first = decide(state(invoice("646.00")), CONSUMER, day(3))
    assert (first.verdict, first.episode_start, first.days_overdue, first.overdue) == (
        Verdict.STEP,
        DUE,
        3,
        D("646.00"),
    )
    assert first.step == STEPS[0]
    waiting = decide(state(invoice("646.00")), CONSUMER, day(2))
    assert (waiting.verdict, waiting.episode_start) == (Verdict.WAITING, DUE)


def test_an_open_episode_keeps_its_start_until_the_debt_is_below_min_amount() -> None:
    episode = Episode(DUE, {"reminder": day(3), "second-reminder": day(14)})
    # the oldest invoice is paid, a newer one is overdue: same episode, next step on day 21
    newer = invoice("300.00", day(20), invoice_id=2)
    going = decide(state(newer, episode=episode), CONSUMER, day(21))
    assert (going.verdict, going.episode_start, going.step) == (Verdict.STEP, DUE, STEPS[2])
    # the unpaid fee keeps the episode going …
    left = decide(state(fee("50.00", day(14)), episode=episode), CONSUMER, day(21))
    assert left.verdict is Verdict.STEP
    # … and once what is overdue falls below min_amount, the episode is over
    small = decide(state(fee("10.00", day(14)), episode=episode), CONSUMER, day(21))
    assert (small.verdict, small.overdue) == (Verdict.CLEARED, D("10.00"))
    assert decide(state(episode=episode), CONSUMER, day(21)).verdict is Verdict.CLEARED
    # an invoice not yet due is not overdue
    assert overdue_amount([invoice("646.00", day(21))], day(21)) == 0


def test_a_new_episode_starts_after_the_last_one_ended() -> None:
    decision = decide(state(invoice("646.00"), last_cleared=day(10)), CONSUMER, day(14))
    assert (decision.episode_start, decision.days_overdue) == (day(11), 3)
    assert decision.step == STEPS[0]


def test_promises_and_exemptions_hold_the_ladder() -> None:
    promise = Hold(day(2), day(12), "promise to pay by 2026-04-27")
    held = decide(state(invoice("646.00"), promises=[promise]), CONSUMER, day(12))
    assert (held.verdict, held.hold) == (Verdict.PROMISED, promise)
    after = decide(state(invoice("646.00"), promises=[promise]), CONSUMER, day(13))
    assert (after.verdict, after.step) == (Verdict.STEP, STEPS[0])
    exemption = Hold(day(0), None, "insolvency proceedings")
    exempt = decide(state(invoice("646.00"), exemptions=[exemption]), CONSUMER, day(30))
    assert exempt.verdict is Verdict.EXEMPT
    ended = Hold(day(0), day(5), "agreed instalments")
    assert decide(state(invoice("646.00"), exemptions=[ended]), CONSUMER, day(6)).step
    # holding never stops a paid account from being restored
    paid = state(episode=Episode(DUE, {"reminder": day(3)}), exemptions=[exemption])
    assert decide(paid, CONSUMER, day(30)).verdict is Verdict.CLEARED


def test_a_currency_without_amounts_is_reported_and_a_finished_ladder_is_done() -> None:
    usd = AccountState(7, "USD", [invoice("100.00")])
    assert decide(usd, CONSUMER, day(5)).verdict is Verdict.NO_LADDER
    everything = Episode(DUE, {step.id: day(step.day) for step in STEPS})
    assert decide(state(invoice("646.00"), episode=everything), CONSUMER, day(90)).verdict is (
        Verdict.DONE
    )


BROKEN = """\
segments:
  consumer:
    min_amount: {CZK: 50.00}
    steps:
      - id: reminder
        day: 3
        notify: [email, fax]
      - id: second
        day: 3
        fee: {CZK: -5}
      - id: cleared
        day: 9
        lines: disconnect
  business:
    min_amount: {CZK: 100.00, XYZ: 1}
    steps:
      - {id: reminder, day: 3, colour: red}
"""


def test_ladder_errors_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "ladder.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(DunningLadderError) as caught:
        load_ladder(path)
    text = str(caught.value)
    assert f"{path}:7: segments.consumer.steps[0].notify[1]: Input should be 'email' or 'sms'" in (
        text
    )
    assert f"{path}:10: segments.consumer.steps[1].fee: CZK: the amount must be > 0" in text
    assert f"{path}:11: segments.consumer.steps[2].id: 'cleared' is reserved" in text
    assert "segments.consumer.steps[2].lines: Input should be 'none', 'suspend'" in text
    assert "segments.business.min_amount: unknown currency 'XYZ'" in text
    assert f"{path}:17: segments.business.steps[0].colour: unknown field" in text
    assert "docs/dunning.md" in text
    assert "at least 1 item" not in text


def test_ladder_order_and_segments_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "ladder.yaml"
    path.write_text(
        "segments:\n"
        "  consumer:\n"
        "    min_amount: {CZK: 50, EUR: 2}\n"
        "    steps:\n"
        "      - {id: a, day: 14, fee: {CZK: 50}}\n"
        "      - {id: a, day: 3}\n"
        "  retail:\n"
        "    min_amount: {CZK: 1}\n"
        "    steps: [{id: a, day: 1}]\n",
        encoding="utf-8",
    )
    with pytest.raises(DunningLadderError) as caught:
        load_ladder(path)
    text = str(caught.value)
    assert "step id(s) a used more than once" in text
    assert f"{path}:7: segments.retail: unknown field" in text
    assert "segments.business: required field is missing" in text
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(DunningLadderError, match=r"nowhere\.yaml: no such file"):
        load_ladder(missing)
    path.write_text("segments: [\n", encoding="utf-8")
    with pytest.raises(DunningLadderError, match="not valid YAML"):
        load_ladder(path)
