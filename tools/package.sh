#!/bin/bash
# Builds the Debian packages from a clean tree and checks them with lintian.
#
#   tools/package.sh [--worktree] [--version=VERSION] [--out=DIR] [--reuse]
#
# The tree is HEAD's committed files (git archive), as a fresh clone has them; --worktree takes
# the working tree's tracked files instead (uncommitted edits included, untracked files not).
# --version=VERSION builds with a debian/changelog entry VERSION on top (an upgrade test's
# "newer" package; it must start with meson's project version). The source and binary packages
# land in DIR (default build/deb/); lintian's output is DIR/lintian.txt. Exits non-zero when the
# build fails or lintian reports any error or warning (overrides only in debian/*lintian-overrides,
# each with its reason). --reuse keeps DIR's packages when they were built from the same files
# with the same arguments (the tests' way to build once), repeating lintian's verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

tree=head
version=
out=$top/build/deb
reuse=0
for arg in "$@"; do
        case $arg in
        --worktree) tree=worktree ;;
        --version=*) version=${arg#--version=} ;;
        --out=*) out=$(realpath -m "${arg#--out=}") ;;
        --reuse) reuse=1 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "package.sh: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
        esac
done

need=""
for tool in dpkg-buildpackage dh lintian fakeroot git; do
        command -v "$tool" >/dev/null || need="$need $tool"
done
if [ -n "$need" ]; then
        echo "package.sh: missing$need: sudo apt-get install -y --no-install-recommends" \
             "dpkg-dev debhelper lintian fakeroot git" >&2
        exit 1
fi

# What the packages are built from: the tree's identity, the version and the flags.
tree_id() {
        if [ "$tree" = head ]; then
                git rev-parse 'HEAD^{tree}'
        else
                # tests/package/ (the tests that call this) does not change what is built.
                git ls-files -z -- . ':!tests/package' | xargs -0 -r stat -c '%a %n' 2>/dev/null
                git ls-files -z -- . ':!tests/package' | xargs -0 -r sha256sum 2>/dev/null
        fi
        echo "version=$version DEB_CFLAGS_APPEND=${DEB_CFLAGS_APPEND:-}"
}
id=$(tree_id | sha256sum | cut -d' ' -f1)
if [ "$reuse" = 1 ] && [ -f "$out/tree-id" ] && [ "$(cat "$out/tree-id")" = "$id" ] &&
        [ -f "$out/lintian.status" ]; then
        echo "== reusing the packages in $out (built from the same tree)"
        cat "$out/lintian.txt"
        [ "$(cat "$out/lintian.status")" = 0 ] || {
                echo "package.sh: lintian reports errors or warnings (above)" >&2
                exit 1
        }
        exit 0
fi

rm -rf "$out"
mkdir -p "$out/src"
if [ "$tree" = head ]; then
        git archive --format=tar HEAD | tar -x -C "$out/src"
else
        git ls-files -z | while IFS= read -r -d '' f; do
                [ -e "$f" ] || continue          # deleted in the working tree
                mkdir -p "$out/src/$(dirname "$f")"
                cp -a "$f" "$out/src/$f"
        done
fi

cd "$out/src"
if [ -n "$version" ]; then
        # A changelog entry on top (dch is in devscripts, which the build does not need).
        {
                echo "axpert ($version) unstable; urgency=medium"
                echo
                echo "  * Rebuilt as $version by tools/package.sh --version."
                echo
                echo " -- $(dpkg-parsechangelog -S Maintainer)  $(date -R)"
                echo
                cat debian/changelog
        } >debian/changelog.new
        mv debian/changelog.new debian/changelog
fi

# dpkg-dev checks the build dependencies itself; say what to install when one is missing.
if ! dpkg-checkbuilddeps 2>"$out/builddeps.txt"; then
        cat "$out/builddeps.txt" >&2
        echo "package.sh: install the build dependencies above (apt-get build-dep ./ works too)" >&2
        exit 1
fi

# The build as Debian's buildds run it (dpkg-buildflags: hardening, -D_FORTIFY_SOURCE=2, …),
# plus -Werror: the code must stay free of warnings under those flags too.
export DEB_CFLAGS_APPEND="${DEB_CFLAGS_APPEND:-} -Werror"
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$(nproc)}"
echo "== dpkg-buildpackage in $out/src (log: $out/build.log)"
if ! dpkg-buildpackage -us -uc >"$out/build.log" 2>&1; then
        grep -E -B2 -A8 "error|FAILED|warning:" "$out/build.log" | tail -n 60 >&2
        echo "package.sh: dpkg-buildpackage failed (full log: $out/build.log)" >&2
        exit 1
fi
cd "$out"
rm -rf src

changes=$(ls "$out"/axpert_*.changes)
echo "== lintian $(basename "$changes")"
status=0
lintian --fail-on error,warning --display-info "$changes" >"$out/lintian.txt" 2>&1 || status=$?
cat "$out/lintian.txt"
echo "$status" >"$out/lintian.status"
echo "$id" >"$out/tree-id"
for deb in "$out"/*.deb; do
        printf '%-40s %6s KiB\n' "$(basename "$deb")" "$(dpkg-deb -f "$deb" Installed-Size)"
done
if [ "$status" -ne 0 ]; then
        echo "package.sh: lintian reports errors or warnings (above)" >&2
        exit 1
fi
echo "package.sh: lintian-clean packages in $out"
