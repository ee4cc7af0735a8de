#!/bin/bash
# The full test suite, exactly as CI runs it: installs what it needs (as root; otherwise prints
# the apt-get line and stops), builds twice — gcc, then clang with AddressSanitizer and
# UndefinedBehaviorSanitizer plus the libFuzzer harness — runs every test of both builds and
# ends with the runner's summary and a plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
. tools/deps.sh
# shellcheck disable=SC2086
axpert_ensure_packages $AXPERT_BUILD_PACKAGES $AXPERT_RUN_PACKAGES $AXPERT_TEST_PACKAGES $AXPERT_SYSTEM_PACKAGES

builds=("build/test-gcc" "build/test-clang-asan")
setup() {
        local dir=$1
        shift
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
}

status=0
echo "== build 1/2: gcc, -Dwerror=true"
CC=gcc setup "${builds[0]}" --prefix=/usr -Dwerror=true
ninja -C "${builds[0]}" -j2
echo "== build 2/2: clang, -Db_sanitize=address,undefined, libFuzzer"
CC=clang setup "${builds[1]}" --prefix=/usr -Dwerror=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dfuzz=enabled
ninja -C "${builds[1]}" -j2

for dir in "${builds[@]}"; do
        echo "== meson test -C $dir"
        if ! meson test -C "$dir" --print-errorlogs --num-processes 2; then
                status=1
        fi
done

# One summary over both builds, from meson's own machine-readable log. A skipped test is not a
# passed one.
/usr/bin/python3 - "${builds[@]/#/$top/}" <<'PY'
import json, sys
passed = failed = skipped = 0
for d in sys.argv[1:]:
    p = f = s = 0
    with open(f'{d}/meson-logs/testlog.json') as log:
        for line in log:
            r = json.loads(line)['result']
            if r in ('OK', 'EXPECTEDFAIL'):
                p += 1
            elif r == 'SKIP':
                s += 1
            else:
                f += 1
    print(f'{d.split("/")[-1]}: {p} passed, {f} failed, {s} skipped')
    passed, failed, skipped = passed + p, failed + f, skipped + s
print(f'{passed} passed, {failed} failed, {skipped} skipped')
sys.exit(1 if failed else 0)
PY
py=$?
[ $py -ne 0 ] && status=1
exit $status
