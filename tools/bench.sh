#!/bin/bash
# The benchmarks of the daemon and the publisher, run side by side on the simulator at 2400 baud,
# with their figures in one table at the end. Not part of the test suite (no pass/fail).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
. tools/deps.sh
# shellcheck disable=SC2086
axpert_ensure_packages $AXPERT_BUILD_PACKAGES $AXPERT_RUN_PACKAGES $AXPERT_TEST_PACKAGES \
        $AXPERT_BENCH_PACKAGES

build=build/bench
if [ -f "$build/build.ninja" ]; then
        meson setup --reconfigure "$build" >/dev/null
else
        meson setup "$build" --buildtype=release -Dtests=false >/dev/null
fi
ninja -C "$build" -j2 >/dev/null

figures=$(mktemp /tmp/axpert-bench.XXXXXX)
trap 'rm -f "$figures"' EXIT
export AXPERT_BENCH_FIGURES=$figures

echo "== axpertd (tests/bench/bench-daemon.py)"
/usr/bin/python3 tests/bench/bench-daemon.py --build="$top/$build" "$@"
echo
echo "== axpert-mqtt with the real daemon and simulator (tests/bench/bench-mqtt.py --real)"
/usr/bin/python3 tests/bench/bench-mqtt.py --build="$top/$build" --real --cycles=60
echo
echo "== axpert-mqtt with a mock daemon, 2 parallel units (tests/bench/bench-mqtt.py)"
/usr/bin/python3 tests/bench/bench-mqtt.py --build="$top/$build" --cycles=300
echo
echo "== axpert-history storage, one simulated year through the store (tests/bench/bench-history.py)"
/usr/bin/python3 tests/bench/bench-history.py --build="$top/$build"
echo
echo "== axpert-web with the real daemon and simulator (tests/bench/bench-web.py)"
/usr/bin/python3 tests/bench/bench-web.py --build="$top/$build"

/usr/bin/python3 - "$figures" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print()
print(f'{"figure":<64} {"value":>14} {"unit":<8} target')
print("-" * 104)
for r in rows:
    v = r['value']
    v = f'{v:.2f}' if isinstance(v, float) else str(v)
    print(f'{r["name"]:<64} {v:>14} {r.get("unit", ""):<8} {r.get("target", "")}')
PY
