"""Each record is decoded once: the pages fold the bus's events without reading the journal, a network follower parses each message once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from runofshow.clock import FakeClock
from runofshow.domain.derive import derive
from runofshow.domain.events import Event
from runofshow.session.bus import Delivery
from runofshow.session.controller import Controller
from runofshow.session.replay import Replayer, replay
from runofshow.sync import web as web_module
from runofshow.sync.remote import RemoteFollower
from runofshow.sync.server import JournalServer
from runofshow.sync.web import COHOST, STAGE, WebViews
from tests.kit.follow import SCRIPT, TIMEOUT_S, Driven, assert_same_state, play

OpenController = Callable[..., Controller]


def counting(calls: list[Any], real: Callable[..., Any]) -> Callable[..., Any]:
    """`real`, noting the arguments of every call in `calls`."""

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    return counted


class Page:
    """Stands for a connected page: nothing buffered, so every snapshot is sent to it."""

    transport = None


async def test_the_pages_fold_each_record_from_the_bus_and_never_read_the_journal_again(
    open_controller: OpenController, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    controller = open_controller()
    for step in SCRIPT[:3]:  # on disk before serving starts: read once, by `load`
        play(controller, clock, step)
    views = WebViews(controller.path, "cohost-key", "stage-key", clock)
    loop = asyncio.get_running_loop()
    views.load(loop)
    controller.bus.records.subscribe(views.take, deliver=Delivery.loop(loop))
    views._viewers[Page()] = COHOST  # type: ignore[index]
    views._viewers[Page()] = STAGE  # type: ignore[index]
    feeds: list[Any] = []
    monkeypatch.setattr(Replayer, "feed", counting(feeds, Replayer.feed))
    decodes: list[Any] = []
    monkeypatch.setattr(Event, "from_json", counting(decodes, Event.from_json))
    derived: list[Any] = []
    monkeypatch.setattr(web_module, "derive", counting(derived, derive))
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(web_module, "_send_to_all", lambda pages, text: sent.append(json.loads(text)))
    for step in SCRIPT[3:]:
        recorded = play(controller, clock, step)  # waits for each record: this loop's subscribers have it
        await asyncio.sleep(0)  # the snapshot is sent once the burst is folded
        assert len(derived) == 1, "one View for the records of one step, however many"
        assert {page["role"] for page in sent} == {STAGE, COHOST} and len(sent) == 2
        assert {page["view"]["seq"] for page in sent} == {controller.engine.seq}
        assert recorded and sent[0]["view"]["seq"] == recorded[-1].seq
        derived.clear()
        sent.clear()
    assert feeds == [] and decodes == []  # no read of the journal, no second decode
    assert views._engine is not None
    assert_same_state(views._engine, controller, clock.read())
    assert views._engine.snapshot() == replay(controller.path).engine.snapshot()


async def test_a_network_follower_parses_each_message_once(
    open_controller: OpenController,
    clock: FakeClock,
    serve: Callable[..., Awaitable[JournalServer]],
    remote: Callable[..., RemoteFollower],
    drive: Callable[..., Driven],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    controller = open_controller()
    play(controller, clock, SCRIPT[0])  # one record for the catch-up, the rest live
    server = await serve(controller)
    feeds: list[Any] = []
    monkeypatch.setattr(Replayer, "feed", counting(feeds, Replayer.feed))
    loads: list[Any] = []
    monkeypatch.setattr(json, "loads", counting(loads, json.loads))
    decodes: list[Any] = []
    monkeypatch.setattr(Event, "from_json", counting(decodes, Event.from_json))
    follower = remote(server)
    await follower.first_contact(timeout=TIMEOUT_S)
    driven = drive(follower)
    for step in SCRIPT[1:]:
        play(controller, clock, step)
        await driven.reach(controller.engine.seq)
    assert_same_state(follower, controller, clock.read())
    assert feeds == []  # never the bytes again through `feed`
    assert len(decodes) == controller.engine.seq  # each record's event decoded once
    records = [text for (text,) in loads if b"heartbeat" not in text]
    assert len(records) == 1 + controller.engine.seq  # the header and each record, parsed once
