"""The session's bus: each durable record once, in order, with its event; delivered where each subscriber said."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from pathlib import Path

from runofshow.clock import FakeClock
from runofshow.domain.events import Event
from runofshow.journal.writer import JournalHealth
from runofshow.session.bus import Bus, Delivery, DurableRecord
from runofshow.session.controller import Controller
from tests.kit.follow import SCRIPT, play

OpenController = Callable[..., Controller]


def test_every_record_is_published_once_in_order_with_its_line_and_the_event_applied(
    open_controller: OpenController, clock: FakeClock, journal: Path
) -> None:
    controller = open_controller()
    got: list[DurableRecord] = []
    threads: set[str] = set()

    def take(record: DurableRecord) -> None:
        got.append(record)
        threads.add(threading.current_thread().name)

    controller.bus.records.subscribe(take, deliver=Delivery.WRITER_THREAD)
    for step in SCRIPT:
        play(controller, clock, step)
    controller.close()
    lines = journal.read_bytes().splitlines(keepends=True)
    assert [record.seq for record in got] == list(range(1, len(lines)))  # every record after the header, once
    assert [record.line for record in got] == lines[1:]  # the line exactly as written
    for record in got:
        assert record.event.seq == record.seq
        assert Event.from_json(json.loads(record.line)) == record.event  # the same event, not decoded again
    assert threads == {"runofshow-journal"}  # on the writer's thread, as the subscriber asked


def test_the_event_published_is_the_one_the_controller_applied(
    open_controller: OpenController, clock: FakeClock
) -> None:
    controller = open_controller()
    got: list[DurableRecord] = []
    controller.bus.records.subscribe(got.append, deliver=Delivery.WRITER_THREAD)
    ack = controller.command("start")
    assert got[-1].event is ack.event


async def test_a_loop_subscriber_is_called_in_its_loop_and_a_waiting_command_serves_it_first(
    open_controller: OpenController, clock: FakeClock
) -> None:
    """With wait=True (scripts, tests), the command returns after this loop's subscribers have the record."""
    controller = open_controller()
    loop = asyncio.get_running_loop()
    here = threading.current_thread()
    got: list[tuple[int, bool]] = []
    controller.bus.records.subscribe(
        lambda record: got.append((record.seq, threading.current_thread() is here)), deliver=Delivery.loop(loop)
    )
    controller.command("start")
    assert got == [(1, True)]
    clock.advance(10)
    controller.command("pause")
    assert got == [(1, True), (2, True)]


def test_delivery_in_another_loop_goes_there_in_order() -> None:
    bus = Bus()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        seen: list[tuple[int, str]] = []
        done = threading.Event()

        def take(health: JournalHealth) -> None:
            seen.append((health.durable_seq, threading.current_thread().name))
            if health.durable_seq == 99:
                done.set()

        bus.health.subscribe(take, deliver=Delivery.loop(loop))
        for seq in range(100):
            bus.health.publish(JournalHealth(seq, 0, 0.0, None, None, None))
        assert done.wait(5)
        assert [seq for seq, _ in seen] == list(range(100))
        assert {name for _, name in seen} == {thread.name}
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def test_a_cancelled_subscriber_gets_nothing_more_not_even_what_was_on_its_way() -> None:
    bus = Bus()
    loop = asyncio.new_event_loop()
    try:
        got: list[JournalHealth] = []
        subscription = bus.health.subscribe(got.append, deliver=Delivery.loop(loop))
        bus.health.publish(JournalHealth(1, 0, 0.0, None, None, None))
        subscription.cancel()
        bus.health.publish(JournalHealth(2, 0, 0.0, None, None, None))
        loop.run_until_complete(asyncio.sleep(0))
        assert got == []
        other: list[JournalHealth] = []
        bus.health.subscribe(other.append, deliver=Delivery.WRITER_THREAD)
        bus.health.unsubscribe(other.append)
        bus.health.publish(JournalHealth(3, 0, 0.0, None, None, None))
        assert other == []
    finally:
        loop.close()


def test_a_closed_loop_ends_its_subscription_and_a_failing_subscriber_stops_no_one() -> None:
    bus = Bus()
    loop = asyncio.new_event_loop()
    loop.close()
    closed: list[JournalHealth] = []
    bus.health.subscribe(closed.append, deliver=Delivery.loop(loop))

    def fail(_: JournalHealth) -> None:
        raise RuntimeError("a screen that has gone")

    after: list[JournalHealth] = []
    bus.health.subscribe(fail, deliver=Delivery.WRITER_THREAD)
    bus.health.subscribe(after.append, deliver=Delivery.WRITER_THREAD)
    health = JournalHealth(1, 0, 0.0, None, None, None)
    bus.health.publish(health)
    bus.health.publish(health)
    assert closed == [] and after == [health, health]


def test_health_changes_reach_a_watch(open_controller: OpenController, clock: FakeClock) -> None:
    controller = open_controller()
    changed = threading.Event()
    controller.watch(changed.set)
    controller.command("start")
    assert changed.wait(5)
