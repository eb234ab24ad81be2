#!/bin/sh
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# LOG_COMPILER for "make check-valgrind": unit tests run unforked under
# valgrind (Check's forks confuse leak reports); integration tests run
# as they are, with the daemon they start wrapped by UDPROXY_WRAPPER.
case "$1" in
*check_forward|*check_pools|*check_reload|*check_daemon|*check_daemon_root|*check_proxy|*check_transparent|*.sh)
	exec "$@" ;;
esac
CK_FORK=no exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --suppressions="$(dirname "$0")/valgrind.supp" "$@"
