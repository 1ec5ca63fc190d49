"""The engine's Hypothesis state machine, run long and at random: a search, not a timed test.

    .venv/bin/python bench/engine_explore.py [--examples 5000] [--seed N] [--steps 30] [--no-shrink]

CI runs tests/core/test_engine_machine.py derandomized, on the same few
dozen examples every time (tests/conftest.py), so a red run is never luck.
This runs the same machine with the same rules and invariants on a fresh
random seed, for as many examples as asked, to find what those do not reach.
It prints the seed, how many examples ran, how long it took and the result;
on a failure, also after how many examples and seconds it was found,
Hypothesis's shrunk steps and a blob for @reproduce_failure, and it exits 1.
`--seed` replays a search exactly; `--no-shrink` reports the first failing
example as found (shrinking a long one can take Hypothesis minutes).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

from hypothesis import Phase, seed, settings
from hypothesis.errors import HypothesisException
from hypothesis.stateful import run_state_machine_as_test

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.core import test_engine_machine as machine  # noqa: E402


class Session(machine.Session):
    """The test's machine, counted, noting when an example first failed (printed as `Session()` all the same)."""

    made = 0
    began = 0.0
    first_failure: tuple[int, float] | None = None  # (machines made so far, seconds)

    def __init__(self) -> None:
        Session.made += 1
        if Session.made % 500 == 0:  # a long search says it is alive
            print(
                f"  {Session.made} examples, {time.perf_counter() - Session.began:.0f} s", file=sys.stderr, flush=True
            )
        super().__init__()

    def teardown(self) -> None:
        # Called as the example's exception, if any, goes by: an overrun or a
        # rejected draw is Hypothesis's own business, anything else a failure.
        error = sys.exc_info()[1]
        failed = isinstance(error, Exception) and not isinstance(error, HypothesisException)
        if failed and Session.first_failure is None:
            Session.first_failure = (Session.made, time.perf_counter() - Session.began)
        super().teardown()


def main() -> int:
    """Run the search and print its figures; 0 if every example passed, 1 if one failed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=5000, help="examples to generate (default 5000)")
    parser.add_argument("--seed", type=int, default=None, help="the search's seed (default: a random one)")
    tested = machine.Session.TestCase.settings  # what the test runs with
    default_steps = tested.stateful_step_count
    parser.add_argument("--steps", type=int, default=default_steps, help=f"most steps per example ({default_steps})")
    parser.add_argument("--no-shrink", action="store_true", help="report the first failing example unshrunk")
    args = parser.parse_args()
    chosen = random.SystemRandom().getrandbits(64) if args.seed is None else args.seed
    phases = [phase for phase in Phase if not (args.no_shrink and phase in (Phase.shrink, Phase.explain))]

    seed(chosen)(Session)
    run_with = settings(
        tested,
        max_examples=args.examples,
        stateful_step_count=args.steps,
        derandomize=False,
        database=None,
        deadline=None,
        print_blob=True,
        phases=phases,
    )
    print(f"seed {chosen}: up to {args.examples} examples of up to {args.steps} steps", flush=True)
    Session.began = time.perf_counter()
    failure: BaseException | None = None
    try:
        run_state_machine_as_test(Session, settings=run_with)
    except Exception as error:  # a failing example, shrunk unless --no-shrink; its steps are in the notes
        failure = error
    took = time.perf_counter() - Session.began
    rate = Session.made / took if took else 0.0
    print(
        f"examples run: {Session.made} (every run Hypothesis made, overruns and shrinking included) in {took:.1f} s, {rate:.1f} a second"
    )
    if failure is None:
        print(f"result: passed, seed {chosen}")
        return 0
    if Session.first_failure is not None:
        found_at, found_after = Session.first_failure
        print(f"first failure: example {found_at}, after {found_after:.1f} s")
    traceback.print_exception(failure, file=sys.stdout)
    again = f"bench/engine_explore.py --seed {chosen} --examples {args.examples} --steps {args.steps}"
    print(f"result: FAILED, seed {chosen} (again: {again}{' --no-shrink' if args.no_shrink else ''})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
