"""One `run --serve --osc` in a pseudo-terminal for a whole module: starting one costs seconds."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kit.control import Live
from tests.kit.web import free_port, serve_session


def _free_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The moderator's `run --serve --osc` on the two-segment web agenda, in rehearsal, not started."""
    folder = tmp_path_factory.mktemp("live")
    osc_port = _free_udp_port()
    served = serve_session(folder, port=free_port(), extra=("--osc", f"127.0.0.1:{osc_port}"))
    token = served.journal.with_name(served.journal.name + ".control-token").read_text().strip()
    session = Live(served, token, osc_port)
    try:
        yield session
    finally:
        session.close()
        served.stop()
