"""The terminal, `status --json` and the co-host page show the same figures for every row, at every instant.

The scenario is the one a co-host saw go wrong on the seed workshop (live, KST):
start on time, stay 15 minutes in segment 2, then go to 6. Segments 3–5 are
then behind the show, so `next` will not reach them and nothing is expected of
them; the rows after 6 are expected by the flexible plan (docs/figures.md),
not by "planned start + lateness".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pendulum

from runofshow.clock import FakeClock
from runofshow.commands.status import status_lines
from runofshow.domain.derive import View, status_json
from runofshow.domain.instants import to_us
from runofshow.session.controller import Controller
from runofshow.sync.snapshots import cohost_snapshot, stage_snapshot
from runofshow.tui.models import agenda_model, countdown_model, row_cells, status_model
from runofshow.words.display import ended_text
from runofshow.words.timefmt import describe_offset, format_length, minute_clock

ZONE = "Asia/Seoul"


def hhmm(iso: str | None) -> str | None:
    """An instant of the JSON as the screens show it: HH:MM in the session's zone, to the nearest minute."""
    return None if iso is None else minute_clock(to_us(pendulum.parse(iso)), ZONE)  # type: ignore[arg-type]


def terminal(view: View) -> dict[str, Any]:
    """What the moderator's screen shows: the agenda table's cells and the status line's figures."""
    rows = []
    for row in agenda_model(view, ZONE).rows:
        cells = row_cells(row, ZONE)
        rows.append(
            {
                "planned": cells.planned,
                "start": cells.start,
                "expected": None if row.expected_us is None else minute_clock(row.expected_us, ZONE),
                "took": cells.took,
                "delta": cells.delta,
                "past": row.past,
            }
        )
    line = status_model(view, ZONE, (), pendulum.timezone("UTC"), (True, ""), muted=False, serving=None)
    return {
        "rows": rows,
        "label": countdown_model(view).label,
        "offset": line.offset,
        "ends": minute_clock(line.projected_end_us, ZONE),
        "planned_end": minute_clock(line.planned_end_us, ZONE),
        "flex": "".join(line.advice),  # the status line draws the three parts one after the other
    }


def flex_of_json(status: dict[str, Any]) -> str:
    """The shrink advice the figures of `status --json` call for, in the screens' words."""
    if not status["flex"]:
        return ""
    text = "To end on time, shrink " + ", ".join(
        f"#{f['segment']} to {format_length(f['shrink_to_s'])}" for f in status["flex"]
    )
    if status["unrecoverable_s"] >= 1:
        text += f"; {format_length(status['unrecoverable_s'])} can't be recovered"
    return text


def assert_same_figures(view: View) -> dict[str, Any]:
    """Every row and headline figure of the terminal, `status --json` and the co-host page agree; return the terminal's."""
    screen = terminal(view)
    status = status_json(view)
    page = cohost_snapshot(view, "Workshop", "kim@host")
    assert len(screen["rows"]) == len(status["segments"]) == len(page["rows"]) == 10
    for number, (cells, segment, row) in enumerate(zip(screen["rows"], status["segments"], page["rows"]), 1):
        where = f"row {number}"
        assert segment["segment"] == row["segment"] == number, where
        assert row["status"] == segment["status"], where
        assert cells["past"] == (segment["status"] in ("done", "skipped")), where
        assert cells["planned"] == row["planned"], where
        assert cells["planned"].split("–")[0] == hhmm(segment["planned_start"]), where
        assert cells["expected"] == hhmm(segment["expected_start"]) == row["expected"], where
        assert cells["start"] == row["start"], where
        assert (cells["took"], cells["delta"]) == (row["took"], row["delta"]), where
    worded = describe_offset(status["offset_s"], ended=status["ended"])
    assert worded == page["offset_text"]
    # Once ended, the terminal says when and how far off in one phrase: "ended 19:23, 7:30 early (plan 19:30)".
    assert screen["offset"] == (ended_text(view, ZONE) if status["ended"] else worded)
    assert screen["ends"] == hhmm(status["projected_end"]) == page["projected_end_text"]
    assert screen["planned_end"] == hhmm(status["planned_end"]) == page["planned_end_text"]
    assert screen["flex"] == flex_of_json(status) == page["flex_text"]
    # The label over the number: one wording per state, the page's without the terminal's key and capitals.
    assert page["label"] == stage_snapshot(view)["label"]
    screen["labels"] = (screen["label"], page["label"])
    screen["statuses"] = [segment["status"] for segment in json.loads(json.dumps(status))["segments"]]
    said = [line for line in status_lines(view, "Workshop", ZONE) if line.startswith("To end on time")]
    assert said == ([screen["flex"]] if screen["flex"] else [])  # `runofshow status`, in the same words
    return screen


def starts(screen: dict[str, Any]) -> list[str]:
    return [row["start"] for row in screen["rows"]]


def test_after_a_goto_forward_every_front_end_shows_the_same_figures(
    open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller("live")
    before = assert_same_figures(controller.view())  # 17:55, five minutes before the start
    assert starts(before)[:3] == ["~18:00", "~18:01", "~18:06"]
    assert before["labels"] == ("starts in", "starts in")

    clock.set_wall("2021-10-08T09:00:00Z")  # 18:00 KST
    controller.command("start")
    clock.advance(60)
    controller.command("next")
    clock.advance(15 * 60)  # 15 minutes in the moderator's introduction, planned for 5
    controller.command("goto", to=6)
    jumped = assert_same_figures(controller.view())  # 18:16
    # 3–5 are behind the show: `next` will not come back to them, so nothing is expected of them.
    assert starts(jumped) == ["18:00", "18:01", "", "", "", "18:16", "~18:26", "~18:36", "~19:00", "~19:10"]
    assert jumped["statuses"] == ["done"] * 2 + ["pending"] * 3 + ["current"] + ["pending"] * 4  # plain JSON strings
    assert jumped["offset"] == "15:00 ahead" and jumped["ends"] == "19:15" and jumped["flex"] == ""

    clock.advance(32 * 60)  # 18:48: Bernard 22 minutes over, the show 7 minutes behind
    over = assert_same_figures(controller.view())
    assert over["offset"] == "7:00 behind" and over["ends"] == "19:37"
    assert over["labels"] == ("TIME'S UP · over by", "time's up · over by")
    assert over["flex"] == "To end on time, shrink #8 to 19m04s, #9 to 7m56s"

    controller.command("next")
    clock.advance(10 * 60)
    controller.command("next")  # 18:58: the discussion, seven minutes late
    discussion = assert_same_figures(controller.view())
    assert starts(discussion)[7:] == ["18:58", "~19:17", "~19:25"]

    clock.advance(5 * 60 + 30)
    controller.command("pause")
    clock.advance(12 * 60)  # a sound problem: 19 minutes behind, more than the discussion and Q&A can give
    paused = assert_same_figures(controller.view())
    assert paused["offset"] == "19:00 behind" and paused["labels"] == ("PAUSED · left", "paused")
    assert paused["flex"] == "To end on time, shrink #8 to 12m, #9 to 5m; 2m can't be recovered"
    controller.command("resume")
    clock.advance(60)
    controller.command("skip")  # the Q&A cut: the closing remarks are next
    assert_same_figures(controller.view())
    clock.advance(6 * 60)
    controller.command("end")
    ended = assert_same_figures(controller.view())
    assert "~" not in "".join(starts(ended))  # once ended, nothing is expected
    assert ended["labels"] == ("session ended · total", "session ended")
    controller.close()
