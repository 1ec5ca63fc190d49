#!/usr/bin/env bash
# Mutation testing of the domain's derivation and decision modules (domain/derive.py, domain/decide.py)
# against the tests of the domain, the journal and the session, with mutmut. Slow, so not in CI. Prints the score.
#
#   bench/mutation.sh             every mutant
#   bench/mutation.sh 150         a random sample of 150 (SEED=... to choose the sample)
#   MACHINE=1 bench/mutation.sh   also run the Hypothesis state machine (much slower)
#
# It works on a copy of the checkout in a temporary folder, so the tree is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python=${PYTHON:-$root/.venv/bin/python}
mutmut=${MUTMUT:-$root/.venv/bin/mutmut}
sample=${1:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/runofshow-mutation.XXXXXX")
trap 'rm -rf "$work"' EXIT

tar -cf - src tests agendas pyproject.toml | tar -xf - -C "$work"
cd "$work"
# mutmut reads pyproject.toml's [tool.mutmut] before setup.cfg; keep the settings here, in the copy only.
deselect=""
if [ "${MACHINE:-0}" != 1 ]; then deselect="--deselect=tests/domain/test_engine_machine.py"; fi
cat > setup.cfg <<CFG
[mutmut]
source_paths=src/
only_mutate=
    src/runofshow/domain/derive.py
    src/runofshow/domain/decide.py
also_copy=
    agendas/
pytest_add_cli_args_test_selection=
    tests/domain/
    tests/journal/
    tests/session/
    tests/test_status.py
pytest_add_cli_args=
    -p
    no:cacheprovider
    -q
    $deselect
CFG

names=()
if [ -n "$sample" ]; then
    # Generate the mutants without running any, then pick the sample by name.
    "$mutmut" run "no.such.mutant" >/dev/null 2>&1 || true
    mapfile -t names < <("$python" - "$sample" "${SEED:-13}" <<'PY'
import json
import random
import sys
from pathlib import Path

names = []
for path in sorted(Path("mutants/src").rglob("*.py.meta")):
    names += list(json.loads(path.read_text())["exit_code_by_key"])
random.Random(int(sys.argv[2])).shuffle(names)
print("\n".join(sorted(names[: int(sys.argv[1])])))
PY
)
fi
"$mutmut" run "${names[@]}" > mutmut.log 2>&1 || { echo "mutmut run failed:" >&2; tail -20 mutmut.log >&2; }
"$mutmut" results --all true > results.txt 2>/dev/null || true
"$python" - "${names[*]:-}" <<'PY'
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

wanted = set(sys.argv[1].split()) if sys.argv[1] else None
outcome: Counter[str] = Counter()
survivors = []
for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
    for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
        if wanted is not None and name not in wanted:
            continue
        status = status_by_exit_code[code]
        outcome[status] += 1
        if status in ("survived", "no tests"):
            survivors.append(name)
killed = outcome["killed"] + outcome["timeout"] + outcome["caught by type check"]
counted = killed + outcome["survived"] + outcome["no tests"]
print(f"mutants: {dict(outcome)}")
print(f"mutation score: {100 * killed / counted if counted else 0:.1f} % ({killed} of {counted} killed)")
for name in survivors:
    print(f"survived: {name}")
PY
