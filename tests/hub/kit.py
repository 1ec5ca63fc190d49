"""Helpers for the hub's tests: a journal written by a controller, and lines published by hand."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from runofshow.sync.hub.names import message_id, stream_name, stream_seq, subject
from runofshow.sync.hub.reader import header_session

#: Generous: a loaded machine may be slow, and a pass never waits this long.
TIMEOUT_S = 20.0


def journal_lines(path: Path) -> list[bytes]:
    """A journal's lines, without their newlines: the header first."""
    return path.read_bytes().splitlines()


async def publish_by_hand(url: str, room: str, lines: list[bytes], *, first: int = 0, replicas: int = 3) -> None:
    """Put `lines` (header first) into the room's stream as a controller would, from line `first` on."""
    from nats.js.api import StreamConfig

    from runofshow.sync.hub.connect import connect

    client = await connect(url)
    js = client.jetstream(timeout=5)
    try:
        if first == 0:
            await js.add_stream(StreamConfig(name=stream_name(room), subjects=[subject(room)], num_replicas=replicas))
        session = header_session(lines[0]) or ""
        for index in range(first, len(lines)):
            headers = {"Nats-Msg-Id": message_id(session, index), "Nats-Expected-Last-Sequence": str(index)}
            async with asyncio.timeout(TIMEOUT_S):
                while True:  # a new leader may be being elected: the same message id is stored once
                    try:
                        ack = await js.publish(subject(room), lines[index], headers=dict(headers))
                        break
                    except Exception as error:
                        if "wrong last sequence" in str(error):
                            raise
                        await asyncio.sleep(0.1)
            assert ack.seq == stream_seq(index)
    finally:
        await client.close()


async def collect(lines: AsyncIterator[bytes], count: int, timeout: float = TIMEOUT_S) -> list[bytes]:
    """The first `count` lines an iterator yields, within `timeout` seconds."""
    got: list[bytes] = []

    async def take() -> None:
        async for line in lines:
            got.append(line)
            if len(got) == count:
                return

    await asyncio.wait_for(take(), timeout)
    return got
