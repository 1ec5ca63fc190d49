#!/usr/bin/env bash
# Mutation testing with mutmut, one target at a time, against the fast tests (`-m "not slow"`) of the domain,
# the journal and the session. Slow, so not in CI. Prints each target's score and its surviving mutants.
#
#   bench/mutation.sh                 the fold and the journal codec, every mutant
#   bench/mutation.sh 200             the same, a random sample of up to 200 mutants per target
#   bench/mutation.sh codec 200       one target, sampled (SEED=13 unless told: the same seed, the same sample)
#   DIFFS=1 bench/mutation.sh fold    also print each survivor's diff
#   SLOW=1 bench/mutation.sh ...      also run the slow tests, the Hypothesis state machine among them (much slower)
#
# The targets:
#   fold    the fold and its bookkeeping: domain/fold.py, domain/progress.py, domain/spans.py
#   codec   the journal codec: journal/codec.py, session/replay.py, domain/events.py, domain/header.py
#   derive  the derivation and decisions: domain/derive.py, domain/decide.py (with tests/test_status.py)
#
# mutmut (3.x) is not among the test extras: `.venv/bin/pip install mutmut` first. Running every mutant of
# one target takes 2 to 8 minutes on two busy cores; a sample is for a quicker look. The scores and the
# equivalent mutants are in docs/mutation.md.
# Hypothesis runs derandomized (its "ci" profile), so a mutant is killed or not the same way on every run.
# Each target works on its own copy of the checkout in a temporary folder, so the tree is left as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python=${PYTHON:-$root/.venv/bin/python}
mutmut=${MUTMUT:-$root/.venv/bin/mutmut}
seed=${SEED:-13}
export HYPOTHESIS_PROFILE=ci

sample=""
targets=()
for arg in "$@"; do
    case $arg in
        fold | codec | derive) targets+=("$arg") ;;
        *[!0-9]* | "") echo "usage: bench/mutation.sh [fold|codec|derive ...] [sample size]" >&2; exit 2 ;;
        *) sample=$arg ;;
    esac
done
[ ${#targets[@]} -gt 0 ] || targets=(fold codec)

files_of() {
    case $1 in
        fold) printf '%s\n' src/runofshow/domain/fold.py src/runofshow/domain/progress.py \
            src/runofshow/domain/spans.py ;;
        codec) printf '%s\n' src/runofshow/journal/codec.py src/runofshow/session/replay.py \
            src/runofshow/domain/events.py src/runofshow/domain/header.py ;;
        derive) printf '%s\n' src/runofshow/domain/derive.py src/runofshow/domain/decide.py ;;
    esac
}

summary=()
for target in "${targets[@]}"; do
    work=$(mktemp -d "${TMPDIR:-/tmp}/runofshow-mutation-$target.XXXXXX")
    tar -cf - src tests agendas pyproject.toml | tar -xf - -C "$work"
    (
        cd "$work"
        trap 'rm -rf "$work"' EXIT
        marks="not slow"
        if [ "${SLOW:-0}" = 1 ]; then marks="slow or not slow"; fi
        extra=""
        if [ "$target" = derive ]; then extra="    tests/test_status.py"; fi
        # mutmut reads pyproject.toml's [tool.mutmut] before setup.cfg; keep the settings here, in the copy only.
        {
            echo "[mutmut]"
            echo "source_paths=src/"
            echo "only_mutate="
            files_of "$target" | sed 's/^/    /'
            echo "also_copy="
            echo "    agendas/"
            echo "pytest_add_cli_args_test_selection="
            printf '    %s\n' tests/domain/ tests/journal/ tests/session/
            [ -z "$extra" ] || echo "$extra"
            echo "pytest_add_cli_args="
            printf '    %s\n' -p no:cacheprovider -q -m "$marks"
        } > setup.cfg

        started=$(date +%s)
        names=()
        if [ -n "$sample" ]; then
            # Generate the mutants (and the map of which tests run which function) without running any,
            # then pick the sample by name.
            "$mutmut" run "no.such.mutant" > generate.log 2>&1 || true
            mapfile -t names < <("$python" - "$sample" "$seed" <<'PY'
import json
import random
import sys
from pathlib import Path

names = []
for path in sorted(Path("mutants/src").rglob("*.py.meta")):
    names += list(json.loads(path.read_text())["exit_code_by_key"])
names.sort()
random.Random(int(sys.argv[2])).shuffle(names)
print("\n".join(sorted(names[: int(sys.argv[1])])))
PY
)
        fi
        "$mutmut" run "${names[@]}" > mutmut.log 2>&1 || { echo "mutmut run failed:" >&2; tail -20 mutmut.log >&2; }
        took=$(($(date +%s) - started))
        "$python" - "$target" "$took" "${sample:+$sample by seed $seed}" "${names[*]:-}" <<'PY'
import json
import os
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

target, took, sampled, wanted_names = sys.argv[1:5]
wanted = set(wanted_names.split()) if wanted_names else None
outcome: Counter[str] = Counter()
survivors: list[tuple[str, str, str]] = []
generated = 0
for meta in sorted(Path("mutants/src").rglob("*.py.meta")):
    for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
        generated += 1
        if wanted is not None and name not in wanted:
            continue
        status = status_by_exit_code[code]
        outcome[status] += 1
        if status in ("survived", "no tests"):
            survivors.append((name, status, str(meta.relative_to("mutants"))[: -len(".meta")]))
killed = outcome["killed"] + outcome["timeout"] + outcome["caught by type check"]
counted = killed + outcome["survived"] + outcome["no tests"]
score = 100 * killed / counted if counted else 0
how = f"a sample of {sampled}, of {generated}" if sampled else f"all {generated} mutants"
print(f"== {target}: {score:.1f} % ({killed} of {counted} killed; {how}; {took} s)")
print(f"   outcomes: {dict(sorted(outcome.items()))}")
for name, status, _ in survivors:
    print(f"   {status}: {name}")
if os.environ.get("DIFFS") == "1":
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    for name, _, path in survivors:
        print(f"\n# {name}\n{get_diff_for_mutant(name, path=path)}")
Path("score.txt").write_text(f"{target}: {score:.1f} % ({killed} of {counted} killed; {how}; {took} s)\n")
PY
        cp score.txt "$work.score"
    )
    summary+=("$(cat "$work.score")")
    rm -f "$work.score"
done
echo
printf '%s\n' "${summary[@]}"
