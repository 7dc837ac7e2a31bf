#!/usr/bin/env bash
# Run the data-parallel tests N times in a row and count the failures: a crash at
# process exit shows only now and then, so one green run proves little.
#
# Usage (from the project's root): scripts/loop_distributed.sh [-n 30] [-l 0] [-- PYTEST-ARGS...]
#   -n N   runs (default 30)
#   -l K   busy processes beside each run, to add CPU load (default 0)
# PYTHON picks the interpreter (default .venv/bin/python, else python3); the pytest
# arguments default to tests/test_distributed.py. Each run's output is kept in
# ${TMPDIR:-/tmp}/loop_distributed/run-I.log; the last line is "F of N failed".
set -u
n=30
load=0
while getopts "n:l:" option; do
  case $option in
    n) n=$OPTARG ;;
    l) load=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || set -- tests/test_distributed.py
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
logs=${TMPDIR:-/tmp}/loop_distributed
mkdir -p "$logs"
hogs=()
for _ in $(seq 1 "$load"); do
  (while :; do :; done) &
  hogs+=($!)
done
trap 'for pid in "${hogs[@]}"; do kill "$pid" 2>/dev/null; done' EXIT
failed=0
for i in $(seq 1 "$n"); do
  start=$(date +%s)
  if "$python" -m pytest -q -p no:cacheprovider "$@" >"$logs/run-$i.log" 2>&1; then
    result=pass
  else
    result=FAIL
    failed=$((failed + 1))
  fi
  echo "run $i: $result ($(($(date +%s) - start)) s; $(tail -n 1 "$logs/run-$i.log"))"
done
echo "$failed of $n failed (logs in $logs)"
[ "$failed" -eq 0 ]
