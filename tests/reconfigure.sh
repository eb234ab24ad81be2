#!/bin/bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# Reconfiguring a built tree rebuilds what uses the installation paths:
# after "./configure --sysconfdir=OTHER && make", the binary's default
# configuration file is OTHER/udproxy/udproxy.conf, not the old one (the
# path used to be a -D flag that no object depended on).
#
# Works on a copy of the built tree (objects and timestamps kept), so only
# what the new configuration changes is rebuilt. Exit 0 pass, 1 fail, 77
# skip (a VPATH build: the source and build trees cannot be copied as one).
set -u

B=${UDPROXY_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
S=${UDPROXY_SRCDIR:-$B}
MAKE=${MAKE:-make}

if [ "$(cd "$S" && pwd -P)" != "$(cd "$B" && pwd -P)" ]; then
	echo "SKIP: the build tree is not the source tree"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udproxy-reconf.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

tar -C "$B" --exclude=./.git --exclude='./tests/*.log' \
    --exclude='./tests/*.trs' -cf - . | tar -C "$tmp" -xpf - ||
    { echo "FAIL: cannot copy $B"; exit 1; }
cd "$tmp" || exit 1
# The tree's own configure arguments, then another sysconfdir.
eval "set -- $(./config.status --config)"
etc=$tmp/etc-other
echo "--- ./configure $* --sysconfdir=$etc"
if ! ./configure "$@" --sysconfdir="$etc" >configure.out 2>&1; then
	tail -20 configure.out
	echo "FAIL: configure failed"
	exit 1
fi
echo "--- make src/udproxy man/udproxy.8"
if ! MAKEFLAGS= MAKELEVEL= $MAKE src/udproxy man/udproxy.8 >make.out 2>&1; then
	tail -20 make.out
	echo "FAIL: make failed"
	exit 1
fi
failures=0
want="$etc/udproxy/udproxy.conf"
if ./src/udproxy -h | grep -qF "default $want)"; then
	echo "ok:   udproxy -h names $want"
else
	echo "FAIL: udproxy -h does not name $want:"
	./src/udproxy -h
	failures=$((failures + 1))
fi
# Without -c the binary reads the new default (which does not exist).
out=$(cd / && "$tmp/src/udproxy" -t 2>&1)
if [ "$out" = "udproxy: error: $want: No such file or directory" ]; then
	echo "ok:   udproxy -t reads $want"
else
	echo "FAIL: udproxy -t said: $out"
	failures=$((failures + 1))
fi
if grep -qF "$want" man/udproxy.8; then
	echo "ok:   man/udproxy.8 names $want"
else
	echo "FAIL: man/udproxy.8 does not name $want"
	failures=$((failures + 1))
fi
exit $((failures != 0))
