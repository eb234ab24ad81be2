#!/bin/sh
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# The README's quick start installs what CI installs to build and test
# (but valgrind, for check-valgrind, and systemd, for one optional check),
# so that its second command, make check, works on a fresh Debian 12; and
# it runs the example configuration with a round trip through it.
S=${UDPROXY_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
readme=$S/README
ci=$S/.ci/run
for f in "$readme" "$ci"; do
	[ -r "$f" ] || { echo "FAIL: cannot read $f"; exit 1; }
done
quick=$(grep -m1 '^    apt-get update && apt-get install' "$readme")
if [ -z "$quick" ]; then
	echo "FAIL: no quick start command in README"
	exit 1
fi
pkgs=$(sed -n '/apt-get install/,/^[^ ]*$/p' "$ci" |
    sed 's/apt-get install -y --no-install-recommends//; s/\\$//' | tr -s ' \t' '\n' |
    grep -v -e '^$' -e '^valgrind$' -e '^systemd$')
failures=0
for p in $pkgs; do
	case " $quick " in
	*" $p "*) ;;
	*) echo "FAIL: README's quick start does not install $p (.ci/run does)"
	   failures=$((failures + 1)) ;;
	esac
done
for want in './src/udproxy -f -c conf/udproxy.conf' 'nc -u -w1 127.0.0.1 10053'; do
	case $quick in
	*"$want"*) ;;
	*) echo "FAIL: README's quick start lacks: $want"
	   failures=$((failures + 1)) ;;
	esac
done
grep -qx '    make check' "$readme" ||
    { echo "FAIL: README lacks the make check command"; failures=$((failures + 1)); }
[ "$failures" -eq 0 ] && echo "ok: README's quick start installs: $(echo $pkgs)"
exit $((failures != 0))
