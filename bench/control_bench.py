"""From a control click to the speaker's screen: how long an HTTP command takes to be acknowledged and shown.

    .venv/bin/python bench/control_bench.py [--rounds 20]

A real `runofshow run --serve` runs in a pseudo-terminal; headless Chromium
opens its stage link. Each round, this process sends a message to the speaker
as Companion's HTTP button would (`POST /api/v1/message`, the control token),
and measures, on this machine's one wall clock:

- ack: from sending the request to its answer, which comes after the record
  is fsynced;
- stage: from sending it to the stage page painting the new text (a
  MutationObserver stamps the change, and the stamp is taken again at the next
  animation frame, with the page's `performance.timeOrigin + performance.now()`).

Browser, server and controller share the machine, so their clocks agree to
well under a millisecond. The machine is shared: the load average is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.kit.web import launch_chromium, serve_session, wait_for  # noqa: E402

WATCH = """
window.painted = {};
new MutationObserver(() => {
  const text = document.getElementById("message").textContent;
  requestAnimationFrame(() => { window.painted[text] = performance.timeOrigin + performance.now(); });
}).observe(document.getElementById("message"), {childList: true, characterData: true, subtree: true});
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        session = serve_session(Path(folder))
        chrome = launch_chromium(Path(folder) / "profile", 1280, 720)
        try:
            session.press(b" ")
            session.wait_seq(1)
            chrome.get(session.stage_link)
            wait_for(lambda: chrome.execute_script("return document.body.classList.contains('waiting')") is False)
            chrome.execute_script(WATCH)
            acks, shown = [], []
            for round_ in range(args.rounds):
                text = f"bench {round_}"
                request = urllib.request.Request(
                    f"{session.base}/api/v1/message",
                    data=json.dumps({"text": text}).encode(),
                    headers={"Authorization": f"Bearer {session.control_token}", "Content-Type": "application/json"},
                )
                sent = time.time() * 1000
                with urllib.request.urlopen(request, timeout=10) as answer:
                    assert json.loads(answer.read())["ok"] is True
                acks.append(time.time() * 1000 - sent)
                painted = wait_for(lambda text=text: chrome.execute_script("return window.painted[arguments[0]]", text))
                shown.append(float(painted) - sent)
                time.sleep(0.2)
        finally:
            chrome.quit()
            session.stop()
    for name, values in (("ack (fsynced)", acks), ("stage page painted", shown)):
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"{name:>20}: median {statistics.median(values):6.1f} ms  p95 {p95:6.1f} ms  max {max(values):6.1f} ms"
            f"  ({len(values)} rounds)"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
