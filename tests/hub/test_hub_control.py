"""The control API in hub mode: `serve --hub` carries a command to the room's controller over NATS."""

from __future__ import annotations

import asyncio
import contextlib
import json
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect as ws_connect

from runofshow.clock import FakeClock, SystemClock
from runofshow.secrets import Token, token
from runofshow.session.controller import Controller
from runofshow.session.inbound import Answers, Inbound
from runofshow.sync.hub.connect import connect
from runofshow.sync.hub.mirror import mirror_controller
from runofshow.sync.hub.tier import NO_CONTROLLER, TOKENS_BUCKET, HubTier
from runofshow.sync.listen import bind
from tests.hub.kit import TIMEOUT_S
from tests.kit.nats import single_server

pytestmark = [pytest.mark.network]


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One nats-server with JetStream; its URL."""
    with single_server(tmp_path_factory.mktemp("control")) as url:
        yield url


@contextlib.asynccontextmanager
async def tier(url: str) -> AsyncIterator[int]:
    served = HubTier(url, bind("127.0.0.1", 0), SystemClock())
    ready = asyncio.Event()
    task = asyncio.create_task(served.serve_forever(ready.set))
    await asyncio.wait_for(ready.wait(), TIMEOUT_S)
    try:
        yield served.sock.getsockname()[1]
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def keys_in_bucket(url: str, room: str) -> None:
    """Wait until the room's controller has put its keys' hashes in the bucket (once it has claimed the room)."""
    client = await connect(url)
    try:
        async with asyncio.timeout(TIMEOUT_S):
            while True:
                try:
                    bucket = await client.jetstream(timeout=2).key_value(TOKENS_BUCKET)
                    await bucket.get(room)
                    return
                except Exception:
                    await asyncio.sleep(0.05)
    finally:
        await client.close()


def _get(url: str | urllib.request.Request) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def get(url: str) -> tuple[int, dict[str, Any]]:
    return await asyncio.to_thread(_get, url)


async def post(url: str, key: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, json.dumps(body).encode(), headers, method="POST")
    return await asyncio.to_thread(_get, request)


async def test_a_command_through_the_hub_tier_lands_in_the_controllers_journal(
    hub: str, open_controller: Callable[..., Controller], clock: FakeClock
) -> None:
    controller = open_controller()
    controller.command("start")
    room = "control-api"
    mirror = mirror_controller(controller, hub, room, commands=True)
    # What the moderator's screen does: carry out each inbound command as a key, answer it once on disk.
    answers = Answers(controller.bus, controller.durable_seq, lambda: controller.engine.seq)

    def carry_out(inbound: Inbound) -> None:
        answers.carry_out(controller.command, inbound)

    answers.listen(carry_out, asyncio.get_running_loop())
    control, stage = token(controller.path, Token.CONTROL), token(controller.path, Token.STAGE)
    try:
        await keys_in_bucket(hub, room)  # a tier reads a room's keys again only after a few seconds
        async with tier(hub) as port:
            api = f"http://127.0.0.1:{port}/r/{room}/api/v1"
            code, status = await get(f"{api}/status?token={control}")
            assert code == 200 and status["seq"] <= controller.engine.seq, status  # as far as the stream has come

            code, reply = await get(f"{api}/next?token={control}&as=Deck")
            assert code == 200, reply
            last = json.loads(controller.path.read_bytes().splitlines()[-1])
            assert reply["seq"] == last["seq"] == controller.engine.seq
            assert last["actor"] == "api:Deck"
            assert controller.engine.current == 1
            assert reply["status"]["seq"] == reply["seq"]  # the tier's fold has the command's record

            code, refused = await get(f"{api}/next?token=wrong")
            assert code == 401 and refused["status"] is None  # nothing of the room without its key
            assert (await get(f"{api}/next?token={stage}"))[0] == 403
            assert controller.engine.seq == reply["seq"]

            code, said = await post(f"{api}/message", control, {"text": "Please wrap up", "as": "stage manager"})
            assert code == 200 and said["seq"] == reply["seq"] + 1, said
            last = json.loads(controller.path.read_bytes().splitlines()[-1])
            assert last["actor"] == "api:stage manager" and said["status"]["message"] == "Please wrap up"
            assert (await get(f"{api}/end?token={control}"))[0] == 405

            # The control page's stream: the control key, from the tier's own origin, gets the control role.
            view_url = f"ws://127.0.0.1:{port}/r/{room}/view?token={control}&page=cohost"
            async with ws_connect(view_url, origin=f"http://127.0.0.1:{port}") as page:  # type: ignore[arg-type]
                snapshot = json.loads(await asyncio.wait_for(page.recv(), TIMEOUT_S))
            assert snapshot["role"] == "control"

            # The control WebSocket, as a script opens it (a header, no Origin).
            socket_url = f"ws://127.0.0.1:{port}/r/{room}/api/v1/ws?as=deck"
            async with ws_connect(socket_url, additional_headers={"Authorization": f"Bearer {control}"}) as ws:
                await ws.send(json.dumps({"id": 7, "command": "extend", "seconds": 60, "if_seq": said["seq"]}))
                answer = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT_S))
            assert answer["id"] == 7 and answer["code"] == 200 and answer["seq"] == said["seq"] + 1, answer
            assert json.loads(controller.path.read_bytes().splitlines()[-1])["actor"] == "api:deck"

            mirror.close(timeout=0.1)  # the controller gone: nobody answers on the room's subject
            code, refused = await get(f"{api}/next?token={control}")
            assert code == 503 and refused["error"] == NO_CONTROLLER
    finally:
        mirror.close(timeout=0.1)
        controller.close()
