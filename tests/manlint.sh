#!/bin/sh
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# The man pages as installed (placeholders substituted) must be clean
# under groff's and mandoc's warnings. Skips when neither tool is there.
set -u
B=${UDPROXY_BUILDDIR:-.}
status=77
for page in "$B/man/udproxy.8" "$B/man/udproxy.conf.5"; do
	if [ ! -f "$page" ]; then
		echo "FAIL: $page not built"
		exit 1
	fi
	if grep -n '@[a-z]*@' "$page"; then
		echo "FAIL: $page has unsubstituted placeholders"
		exit 1
	fi
	if command -v groff >/dev/null 2>&1; then
		out=$(groff -man -ww -z "$page" 2>&1)
		if [ -n "$out" ]; then
			printf 'FAIL: groff on %s:\n%s\n' "$page" "$out"
			exit 1
		fi
		echo "ok: groff -man -ww -z $page"
		status=0
	fi
	if command -v mandoc >/dev/null 2>&1; then
		out=$(mandoc -Tlint "$page" 2>&1)
		if [ -n "$out" ]; then
			printf 'FAIL: mandoc on %s:\n%s\n' "$page" "$out"
			exit 1
		fi
		echo "ok: mandoc -Tlint $page"
		status=0
	fi
done
exit $status
