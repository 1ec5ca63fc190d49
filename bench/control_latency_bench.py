"""Control from anywhere: how long an HTTP `next` takes to its ack, and to the stage page.

    .venv/bin/python bench/control_latency_bench.py [--presses 40]

A real `run --serve` in a pty (rehearsal, the two-segment web agenda with
long segments), a stage page's `/view` stream (the stage token, the server's
Origin), and `--presses` HTTP commands with the control token, alternating
`next` and `previous` so the show stays on its first two segments. For each:
the time from sending the request to its reply (which comes once the record
is fsynced at the moderator's), and from sending it to the first stage
snapshot with the record's seq or a later one. Times are CLOCK_MONOTONIC;
the machine is shared, so the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from websockets.sync.client import connect  # noqa: E402

from tests.kit.control import Live, request  # noqa: E402
from tests.kit.web import AGENDA, free_port, serve_session  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--presses", type=int, default=40)
    args = parser.parse_args()
    agenda = AGENDA.replace('duration = "20s"', 'duration = "30m"')
    with tempfile.TemporaryDirectory() as folder:
        served = serve_session(Path(folder), agenda, port=free_port())
        token = served.journal.with_name(served.journal.name + ".control-token").read_text().strip()
        live = Live(served, token, 0)
        try:
            request(served.base, "/api/v1/start", token=token)
            seen: dict[int, float] = {}
            done = threading.Event()

            def stage() -> None:
                origin = {"Origin": served.base}
                with connect(
                    f"ws://127.0.0.1:{served.port}/view?token={served.stage_token}&page=stage",
                    additional_headers=origin,
                ) as page:
                    while not done.is_set():
                        try:
                            message = json.loads(page.recv(timeout=0.5))
                        except TimeoutError:
                            continue
                        if message.get("type") == "view":
                            seen.setdefault(message["view"]["seq"], time.monotonic())

            reader = threading.Thread(target=stage, daemon=True)
            reader.start()
            time.sleep(1.0)
            acks, pages = [], []
            for press in range(args.presses):
                command = "next" if press % 2 == 0 else "previous"
                began = time.monotonic()
                code, reply = request(served.base, f"/api/v1/{command}", token=token)
                acks.append(time.monotonic() - began)
                assert code == 200, reply
                seq = reply["seq"]
                deadline = time.monotonic() + 5
                while not any(s >= seq for s in seen) and time.monotonic() < deadline:
                    time.sleep(0.001)
                arrived = min((t for s, t in seen.items() if s >= seq), default=None)
                if arrived is not None:
                    pages.append(arrived - began)
                time.sleep(0.1)
            done.set()
        finally:
            live.close()
            served.stop()

    def figures(name: str, values: list[float]) -> None:
        ms = sorted(v * 1000 for v in values)
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(f"{name}: n={len(ms)} median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms")

    print(f"load average {os.getloadavg()[0]:.2f}")
    figures("HTTP next/previous to its ack (record fsynced)", acks)
    figures("HTTP next/previous to the stage page's snapshot", pages)


if __name__ == "__main__":
    main()
