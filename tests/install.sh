#!/bin/bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# "make install" into a DESTDIR: exactly which files land where, substituted
# paths in the man pages and service files, a modified udproxy.conf that
# survives a reinstall and an uninstall. Then the installed init script,
# end to end: start, status, reload, restart and upgrade (good, broken and
# port-in-use configs), stop.
#
# Exit 0 pass, 1 fail, 77 skip (the init script part needs socat, flock and
# start-stop-daemon). Every wait is bounded; only processes started here
# are ended here, by pid.
# Functions run through check() look unreachable to shellcheck.
# shellcheck disable=SC2317
set -u

B=${UDPROXY_BUILDDIR:-$(cd "$(dirname "$0")/.." && pwd)}
MAKE=${MAKE:-make}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/udproxy-install.XXXXXX") || exit 1
dest=$tmp/dest
failures=0
bg_pids=()

say() { printf '%s\n' "$*"; }
pass() { say "ok:   $*"; }
fail() { say "FAIL: $*"; failures=$((failures + 1)); }
# check DESCRIPTION COMMAND...: runs the command, reports the verdict.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
die() {
	fail "$*"
	exit 1
}

# The daemon the init script started for us, if it still runs.
our_daemon() {
	local pid exe
	[ -r "$tmp/udproxy.pid" ] || return 1
	read -r pid <"$tmp/udproxy.pid" 2>/dev/null || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
	[ "$exe" = "$dest$sbindir/udproxy" ] || return 1
	echo "$pid"
}

cleanup() {
	local pid
	if pid=$(our_daemon); then
		kill -TERM "$pid" 2>/dev/null
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	fi
	for pid in "${bg_pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A make variable of the configured tree, fully expanded.
mkvar() {
	# shellcheck disable=SC2016
	printf 'udproxy-print-var:\n\t@echo $(%s)\n' "$1" |
	    MAKEFLAGS= MAKELEVEL= $MAKE -s --no-print-directory -C "$B" -f Makefile -f - \
	    udproxy-print-var
}

# ------------------------------------------------------------------ install
prefix=$(mkvar prefix)
sbindir=$(mkvar sbindir)
sysconfdir=$(mkvar sysconfdir)
mandir=$(mkvar mandir)
runstatedir=$(mkvar runstatedir)
initddir=$(mkvar initddir)
unitdir=$(mkvar systemdsystemunitdir)
if [ -z "$prefix" ] || [ -z "$sbindir" ] || [ -z "$sysconfdir" ] ||
    [ -z "$mandir" ]; then
	die "cannot read the install directories from $B/Makefile"
fi
say "build dir $B: prefix=$prefix sysconfdir=$sysconfdir sbindir=$sbindir"
say "  mandir=$mandir initddir=${initddir:-(none)} systemdsystemunitdir=${unitdir:-(none)}"

say "--- make install DESTDIR=$dest"
$MAKE -C "$B" install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; die "make install failed"; }

expected() {
	{
		echo "$sbindir/udproxy"
		echo "$mandir/man8/udproxy.8"
		echo "$mandir/man5/udproxy.conf.5"
		echo "$sysconfdir/udproxy/udproxy.conf"
		echo "$sysconfdir/logrotate.d/udproxy"
		[ -z "$initddir" ] || echo "$initddir/udproxy"
		[ -z "$unitdir" ] || echo "$unitdir/udproxy.service"
	} | sort
}
installed() {
	(cd "$1" && find . -type f | sed 's|^\.||' | sort)
}
expected >"$tmp/want"
installed "$dest" >"$tmp/got"
if cmp -s "$tmp/want" "$tmp/got"; then
	pass "installed files are exactly:"
	sed 's/^/        /' "$tmp/want"
else
	fail "installed files differ (- expected, + installed):"
	diff -u "$tmp/want" "$tmp/got" | sed -n '3,$p'
fi

check "udproxy is executable and reports its version" \
    sh -c "'$dest$sbindir/udproxy' -V | grep -qx 'udproxy [0-9.]*'"
for f in "$mandir/man8/udproxy.8" "$mandir/man5/udproxy.conf.5"; do
	check "$f names $sysconfdir/udproxy/udproxy.conf" \
	    grep -qF "$sysconfdir/udproxy/udproxy.conf" "$dest$f"
done
check "logrotate snippet reopens with $sbindir/udproxy -s reopen" \
    grep -qF "$sbindir/udproxy -s reopen" "$dest$sysconfdir/logrotate.d/udproxy"
for f in "$mandir/man8/udproxy.8" "$mandir/man5/udproxy.conf.5" \
    "$sysconfdir/logrotate.d/udproxy" \
    ${initddir:+"$initddir/udproxy"} ${unitdir:+"$unitdir/udproxy.service"}; do
	if grep -nE '@[A-Za-z_]+@' "$dest$f" >"$tmp/placeholders"; then
		fail "$f still has @...@ placeholders:"
		cat "$tmp/placeholders"
	else
		pass "$f has no @...@ placeholders"
	fi
done
if [ -n "$initddir" ]; then
	check "init script is executable" test -x "$dest$initddir/udproxy"
	check "init script runs $sbindir/udproxy" \
	    grep -qx "DAEMON=$sbindir/udproxy" "$dest$initddir/udproxy"
	check "init script reads $sysconfdir/udproxy/udproxy.conf" \
	    grep -qx "CONFIG=$sysconfdir/udproxy/udproxy.conf" "$dest$initddir/udproxy"
	check "init script's pidfile is $runstatedir/udproxy.pid" \
	    grep -qx "PIDFILE=$runstatedir/udproxy.pid" "$dest$initddir/udproxy"
	check "init script passes sh -n" sh -n "$dest$initddir/udproxy"
fi
if [ -n "$unitdir" ]; then
	unit=$dest$unitdir/udproxy.service
	# Type=notify (in the foreground) with libsystemd, forking without.
	if grep -q '^#define HAVE_LIBSYSTEMD 1' "$B/autoconf.h"; then
		type=notify
		start="ExecStart=$sbindir/udproxy -f -c $sysconfdir/udproxy/udproxy.conf"
	else
		type=forking
		start="ExecStart=$sbindir/udproxy -c $sysconfdir/udproxy/udproxy.conf"
		check "unit (forking) has PIDFile=$runstatedir/udproxy.pid" \
		    grep -qxF "PIDFile=$runstatedir/udproxy.pid" "$unit"
	fi
	start="$start -p $runstatedir/udproxy.pid"
	check "unit has Type=$type" grep -qxF "Type=$type" "$unit"
	check "unit has one Type= line" test "$(grep -c '^Type=' "$unit")" -eq 1
	check "unit has $start" grep -qxF "$start" "$unit"
	check "unit has no unsubstituted @...@" sh -c "! grep -q '@[A-Za-z_]*@' '$unit'"
	reload="ExecReload=$sbindir/udproxy -s reload -c $sysconfdir/udproxy/udproxy.conf"
	check "unit has $reload" grep -qxF "$reload" "$unit"
	# Every directive known to this systemd (it need not be PID 1),
	# with the binary where DESTDIR put it.
	if command -v systemd-analyze >/dev/null; then
		sed "s|$sbindir/udproxy|$dest$sbindir/udproxy|g" \
		    "$dest$unitdir/udproxy.service" >"$tmp/udproxy.service"
		if systemd-analyze verify --man=no "$tmp/udproxy.service" \
		    >"$tmp/verify.out" 2>&1 && ! [ -s "$tmp/verify.out" ]; then
			pass "systemd-analyze verify: unit is clean"
		else
			fail "systemd-analyze verify:"
			cat "$tmp/verify.out"
		fi
	else
		say "note: no systemd-analyze; unit not verified"
	fi
fi
check "installed example config passes udproxy -t" \
    sh -c "'$dest$sbindir/udproxy' -t \
    -c '$dest$sysconfdir/udproxy/udproxy.conf' 2>/dev/null"

# A site's edits survive a reinstall and an uninstall.
conf=$dest$sysconfdir/udproxy/udproxy.conf
echo "# edited by the site" >>"$conf"
cp "$conf" "$tmp/edited.conf"
say "--- make install again over an edited udproxy.conf"
$MAKE -C "$B" install DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; die "second make install failed"; }
check "second install keeps the edited udproxy.conf" cmp -s "$conf" "$tmp/edited.conf"
installed "$dest" >"$tmp/got"
check "second install installs the same files" cmp -s "$tmp/want" "$tmp/got"

# ------------------------------------------------------------- init script
# Stays installed until the end: the uninstall checks come last.
init_part() {
	local init=$dest$initddir/udproxy
	local pa pb ua ub pid pid2 s1 s2

	export UDPROXY_DAEMON=$dest$sbindir/udproxy
	export UDPROXY_CONFIG=$tmp/init.conf
	export UDPROXY_PIDFILE=$tmp/udproxy.pid
	export UDPROXY_DEFAULTS=/dev/null
	export SYSTEMCTL_SKIP_REDIRECT=1

	if ! { port_slot && next_port pa && next_port pb && next_port ua &&
	    next_port ub; }; then
		fail "no free UDP ports"
		return
	fi
	socat -T1 "UDP4-RECVFROM:$ua,bind=127.0.0.1,fork" EXEC:cat &
	bg_pids+=($!)
	socat -T1 "UDP4-RECVFROM:$ub,bind=127.0.0.1,fork" EXEC:cat &
	bg_pids+=($!)
	for _ in $(seq 50); do
		port_in_use "$ua" && port_in_use "$ub" && break
		sleep 0.1
	done

	write_conf() {
		{
			echo "control = \"$tmp/udproxy.sock\";"
			echo 'routes = ('
			# Sessions outlive the test: their count is compared.
			echo "  { name = \"a\"; listen = \"127.0.0.1:$pa\";"
			echo "    upstream = \"127.0.0.1:$ua\"; idle_timeout = 600; }"
			[ "$1" = two ] &&
			    echo "  , { name = \"b\"; listen = \"127.0.0.1:$pb\";" &&
			    echo "    upstream = \"127.0.0.1:$ub\"; idle_timeout = 600; }"
			[ "$1" = broken ] && echo '  { name = "b" }'
			# Valid (-t passes), but the port is the echo's.
			[ "$1" = taken ] &&
			    echo "  , { name = \"b\"; listen = \"127.0.0.1:$ub\";" &&
			    echo "    upstream = \"127.0.0.1:$ua\"; }"
			echo ');'
		} >"$tmp/init.conf.new" && mv "$tmp/init.conf.new" "$tmp/init.conf"
	}
	say "--- init script $init (config $UDPROXY_CONFIG, pidfile $UDPROXY_PIDFILE)"
	say "    route a 127.0.0.1:$pa -> echo 127.0.0.1:$ua;" \
	    "route b 127.0.0.1:$pb -> echo 127.0.0.1:$ub"
	write_conf one

	initd start
	check "start exits 0" test "$rc" -eq 0
	if ! pid=$(our_daemon); then
		fail "start: no running daemon in $UDPROXY_PIDFILE"
		return
	fi
	pass "start: pidfile names running pid $pid"
	check "start: route a forwards" rt "$pa" "hello a"
	check "start: route b not there yet" no_rt "$pb" "hello b"

	initd start
	check "start when running exits 0" test "$rc" -eq 0
	check "start when running keeps pid $pid" test "$(our_daemon)" = "$pid"

	initd status
	check "status exits 0 while running" test "$rc" -eq 0

	write_conf two
	initd reload
	check "reload (good config) exits 0" test "$rc" -eq 0
	check "reload: new route b forwards" rt_eventually "$pb" "hello b"
	check "reload: route a still forwards" rt "$pa" "hello a again"
	check "reload: same pid $pid" test "$(our_daemon)" = "$pid"

	write_conf broken
	initd reload
	check "reload (broken config) fails" test "$rc" -ne 0
	check "reload (broken config) prints FILE:LINE" \
	    grep -qF "udproxy: error: $tmp/init.conf:5: " "$tmp/out"
	check "reload (broken config): daemon runs on, same pid $pid" test "$(our_daemon)" = "$pid"
	check "reload (broken config): route a still forwards" rt "$pa" "a after bad reload"
	check "reload (broken config): route b still forwards" rt "$pb" "b after bad reload"

	# Passes -t, fails to bind: the daemon's own reason, and exit 1.
	write_conf taken
	initd reload
	check "reload (port in use) fails" test "$rc" -eq 1
	check "reload (port in use) prints the daemon's reason" \
	    grep -qF "udproxy: error: $tmp/init.conf:5: route 'b': cannot listen on 127.0.0.1:$ub" "$tmp/out"
	check "reload (port in use): daemon runs on, same pid $pid" test "$(our_daemon)" = "$pid"
	check "reload (port in use): route a still forwards" rt "$pa" "a after taken reload"
	write_conf broken

	initd restart
	check "restart (broken config) fails" test "$rc" -ne 0
	check "restart (broken config) leaves pid $pid running" test "$(our_daemon)" = "$pid"

	# Passes -t but cannot bind: restart is an upgrade in place, so the
	# new process fails and the old one keeps serving, with the reason.
	write_conf taken
	initd restart
	check "restart (port in use) fails" test "$rc" -eq 1
	check "restart (port in use) prints the reason" \
	    grep -qF "udproxy: error: new process: $tmp/init.conf:5: route 'b': cannot listen on 127.0.0.1:$ub" "$tmp/out"
	check "restart (port in use) leaves pid $pid running" test "$(our_daemon)" = "$pid"
	check "restart (port in use): route a still forwards" rt "$pa" "a after taken restart"

	write_conf two
	initd upgrade
	check "upgrade exits 0" test "$rc" -eq 0
	pid2=$(our_daemon)
	check "upgrade: a new daemon runs (pid ${pid2:-none})" \
	    test -n "$pid2" -a "$pid2" != "$pid"
	check "upgrade: old pid $pid is gone" gone "$pid"
	check "upgrade: route a forwards" rt "$pa" "a after upgrade"
	check "upgrade: route b forwards" rt "$pb" "b after upgrade"
	pid=$pid2

	# The same configuration: restart is an upgrade in place, so the new
	# process has every session of the old one.
	s1=$(sessions_now)
	initd restart
	check "restart (same config) exits 0" test "$rc" -eq 0
	pid2=$(our_daemon)
	check "restart (same config): a new daemon runs (pid ${pid2:-none})" \
	    test -n "$pid2" -a "$pid2" != "$pid"
	check "restart (same config): old pid $pid is gone" gone "$pid"
	s2=$(sessions_now)
	check "restart (same config) keeps every session (${s1:-?} before, ${s2:-?} after)" \
	    same_count "$s1" "$s2"
	check "restart (same config): route a forwards" rt "$pa" "a after same restart"
	pid=$pid2

	write_conf broken
	initd upgrade
	check "upgrade (broken config) fails" test "$rc" -eq 1
	check "upgrade (broken config) prints FILE:LINE" \
	    grep -qF "udproxy: error: new process: $tmp/init.conf:5: " "$tmp/out"
	check "upgrade (broken config) leaves pid $pid running" test "$(our_daemon)" = "$pid"
	check "upgrade (broken config): route b still forwards" rt "$pb" "b after bad upgrade"

	write_conf one
	initd restart
	check "restart (good config) exits 0" test "$rc" -eq 0
	pid2=$(our_daemon)
	check "restart: a new daemon runs (pid ${pid2:-none})" \
	    test -n "$pid2" -a "$pid2" != "$pid"
	check "restart: old pid $pid is gone" gone "$pid"
	check "restart: route a forwards" rt "$pa" "hello after restart"
	check "restart: route b is gone" no_rt "$pb" "b after restart"

	# No control socket answers (it was removed): restart cannot upgrade
	# in place, and must not stop the daemon to start another.
	mv "$tmp/udproxy.sock" "$tmp/udproxy.sock.away"
	initd restart
	check "restart (no control socket) fails" test "$rc" -eq 1
	check "restart (no control socket) says why" grep -qF \
	    "no control socket answers, so it cannot be restarted in place; it runs on (use stop, then start)" \
	    "$tmp/out"
	check "restart (no control socket) leaves pid $pid2 running" test "$(our_daemon)" = "$pid2"
	check "restart (no control socket): route a still forwards" rt "$pa" "a after restart without control"
	mv "$tmp/udproxy.sock.away" "$tmp/udproxy.sock"

	initd stop
	check "stop exits 0" test "$rc" -eq 0
	check "stop: pid $pid2 is gone" gone "$pid2"
	check "stop: pidfile removed" test ! -e "$UDPROXY_PIDFILE"
	check "stop: route a no longer answers" no_rt "$pa" "after stop"

	initd status
	check "status exits 3 when stopped" test "$rc" -eq 3
	initd stop
	check "stop when stopped exits 0" test "$rc" -eq 0

	initd restart
	check "restart when stopped exits 0" test "$rc" -eq 0
	pid=$(our_daemon)
	check "restart when stopped starts the daemon (pid ${pid:-none})" test -n "$pid"
	check "restart when stopped: route a forwards" rt "$pa" "a after restart from stopped"
	initd stop
	check "stop (after restart from stopped) exits 0" test "$rc" -eq 0
	check "stop: pid ${pid:-none} is gone" gone "$pid"
}

# initd ACTION: runs the init script, output in $tmp/out, status in $rc.
initd() {
	timeout 30 "$dest$initddir/udproxy" "$1" >"$tmp/out" 2>&1
	rc=$?
	say "    \$ udproxy $1 -> exit $rc"
	sed 's/^/    | /' "$tmp/out"
}

port_in_use() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v h="$hex" 'FNR > 1 { split($2, a, ":"); if (a[2] == h) f = 1 }
	    END { exit !f }' /proc/net/udp /proc/net/udp6 2>/dev/null
}

# Ports as tests/harness.c (h_free_port) hands them out: a slot of 64
# outside the range the kernel picks ports from for port-0 sockets, held
# with flock(1) on the slot's file until this script and its children
# exit, so no other test process (of any tree's make check) is given them.
port_slot() {
	local elo ehi lo hi n dir
	read -r elo ehi </proc/sys/net/ipv4/ip_local_port_range || return 1
	if [ "$elo" -ge $((10000 + 16 * 64)) ]; then
		lo=10000 hi=$elo
	else
		lo=$((ehi + 1 > 1024 ? ehi + 1 : 1024)) hi=65536
	fi
	dir=/tmp/udproxy-test-ports.$(id -u)
	[ -d "$dir" ] || mkdir -m 0700 "$dir" || [ -d "$dir" ] || return 1
	for ((n = lo; n + 64 <= hi; n += 64)); do
		exec {port_fd}>>"$dir/$n" || continue
		if flock -n "$port_fd"; then
			port_next=$n port_end=$((n + 64))
			return 0
		fi
		exec {port_fd}>&-
	done
	return 1
}
# next_port VAR: the slot's next port that nothing is bound to, in VAR.
next_port() {
	local p
	while [ "$port_next" -lt "$port_end" ]; do
		p=$port_next
		port_next=$((port_next + 1))
		port_in_use "$p" && continue
		printf -v "$1" '%s' "$p"
		return 0
	done
	return 1
}

# The daemon's session count (udproxy -s status), empty if it does not answer.
sessions_now() {
	"$UDPROXY_DAEMON" -s status -c "$UDPROXY_CONFIG" 2>/dev/null |
	    sed -n 's/^sessions //p'
}
# same_count A B: A is a count of at least 2, and B is the same.
same_count() {
	[ -n "$1" ] && [ "$1" -ge 2 ] && [ "$1" = "$2" ]
}

# rt PORT MSG: one datagram through the proxy; the echo must come back.
rt() {
	local got
	got=$(printf '%s\n' "$2" | timeout 5 socat -t0.5 -T3 - "UDP4:127.0.0.1:$1" 2>/dev/null)
	[ "$got" = "$2" ]
}
no_rt() {
	! rt "$@"
}
rt_eventually() {
	for _ in $(seq 10); do
		rt "$@" && return 0
	done
	return 1
}
# gone PID: exited within 10 s (a zombie nobody reaps counts as gone).
gone() {
	local state
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		state=$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) ||
		    return 0
		[ "$state" = Z ] && return 0
		sleep 0.1
	done
	return 1
}

skip_init=
if [ -z "$initddir" ]; then
	skip_init="configured without an init script"
elif ! command -v socat >/dev/null; then
	skip_init="no socat"
elif ! command -v start-stop-daemon >/dev/null; then
	skip_init="no start-stop-daemon"
elif ! command -v flock >/dev/null; then
	skip_init="no flock"
elif [ ! -r /proc/net/udp ]; then
	skip_init="no /proc/net/udp"
fi
if [ -n "$skip_init" ]; then
	say "SKIP: init script checks: $skip_init"
else
	init_part
fi

# ---------------------------------------------------------------- uninstall
say "--- make uninstall DESTDIR=$dest"
$MAKE -C "$B" uninstall DESTDIR="$dest" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; die "make uninstall failed"; }
if grep -nE 'Error|ignored' "$tmp/install.log" >"$tmp/errors"; then
	fail "make uninstall printed errors:"
	cat "$tmp/errors"
else
	pass "make uninstall printed no (ignored) error"
fi
installed "$dest" >"$tmp/got"
echo "$sysconfdir/udproxy/udproxy.conf" >"$tmp/want"
if cmp -s "$tmp/want" "$tmp/got"; then
	pass "uninstall leaves only the edited udproxy.conf"
else
	fail "after uninstall (- expected, + left):"
	diff -u "$tmp/want" "$tmp/got" | sed -n '3,$p'
fi
check "edited udproxy.conf intact after uninstall" cmp -s "$conf" "$tmp/edited.conf"

say "--- install and uninstall an untouched tree"
if ! { $MAKE -C "$B" install DESTDIR="$tmp/clean" &&
    $MAKE -C "$B" uninstall DESTDIR="$tmp/clean"; } >"$tmp/install.log" 2>&1; then
	cat "$tmp/install.log"
	die "make install/uninstall failed"
fi
if grep -nE 'Error|ignored' "$tmp/install.log" >"$tmp/errors"; then
	fail "make install/uninstall of an untouched tree printed errors:"
	cat "$tmp/errors"
else
	pass "make install/uninstall of an untouched tree printed no error"
fi
installed "$tmp/clean" >"$tmp/got"
if [ -s "$tmp/got" ]; then
	fail "uninstall of an untouched install left files:"
	cat "$tmp/got"
else
	pass "uninstall of an untouched install leaves no file"
fi

if [ "$failures" -ne 0 ]; then
	say "$failures check(s) failed"
	exit 1
fi
if [ -n "$skip_init" ]; then
	exit 77
fi
say "all checks passed"
exit 0
