"""A takeover record: a new epoch, folded with no change to any figure, and refused out of order."""

from __future__ import annotations

from dataclasses import replace

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.events import ReplayError, Takeover
from tests.kit.show import Show, state_of


def test_a_takeover_starts_a_new_epoch_and_changes_no_figure(live: Show, clock: FakeClock) -> None:
    live.command("start")
    clock.advance(95)
    live.command("next")
    clock.advance(30)
    before = live.view()
    assert live.engine.epoch == 1 and live.engine.holder is None
    event = live.stamp(Takeover(epoch=2, by="ana@booth", from_="kim@stage", after=live.engine.seq, silent_s=11.0))
    after = live.view()
    assert after.seq == before.seq + 1 and after.last_event_us == event.wall_us
    assert replace(after, seq=before.seq, last_event_us=before.last_event_us) == before  # every figure as it was
    assert live.engine.epoch == 2 and live.engine.holder == "ana@booth"
    assert live.engine.takeovers == [(event.seq, event.wall_us, event.payload)]
    clock.advance(60)
    live.stamp(Takeover(epoch=3, by="kim@stage", from_="ana@booth", after=live.engine.seq, silent_s=10.5))
    assert live.engine.epoch == 3 and live.engine.holder == "kim@stage"
    assert state_of(live.replayed()) == state_of(live.engine)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (Takeover(epoch=3, by="a", from_="b", after=1, silent_s=1.0), "epoch 3 does not follow epoch 1"),
        (Takeover(epoch=2, by="a", from_="b", after=2, silent_s=1.0), "after must be a record before this one"),
    ],
)
def test_a_takeover_out_of_order_is_refused(live: Show, payload: Takeover, message: str) -> None:
    live.command("start")
    with pytest.raises(ReplayError, match=message):
        live.stamp(payload)
