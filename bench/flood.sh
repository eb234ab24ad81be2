#!/usr/bin/env bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# bench/flood.sh -- a bounded flood of distinct spoofed-looking sources
# against one udproxy route with abuse control, while one legitimate client
# sends a request every 10 ms.  Reports the legitimate client's loss and
# p99 before and during the flood, the daemon's peak RSS and descriptor
# count during it, how long SIGHUP and SIGTERM take to act in the middle of
# it, and the route's counters.  See the "Flood test" section of
# bench/README.md.
#
# Knobs (environment):
#   UDPROXY=path      udproxy binary (default ../src/udproxy); an ASan build
#                     works too (its RSS is larger by itself)
#   SOURCES=50000     distinct sources, 127.1.0.0 upwards
#   EACH=3            datagrams per source
#   RATE=20000        flood datagrams per second (the run is SOURCES x EACH
#                     datagrams, so about 7.5 s by default)
#   BEFORE=3          seconds of the legitimate client alone
#   MAX_SESSIONS=2000 SESSIONS=2 CLIENT_RATE=200 TABLE=8192 IDLE=5 PREFIX4=32
#                     the route's max_sessions, per_client.sessions,
#                     per_client.rate (burst 2x), table_size, idle_timeout,
#                     per_client.prefix4 (16 makes the whole flood, from
#                     127.1.0.0/16, one source: rate limits and a block)
#   KEEP=1            keep the temporary directory
# Every process started here runs in its own process group and is ended
# by its PID on exit; every loop is bounded.  Loopback only.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
UDPROXY=${UDPROXY:-../src/udproxy}
SOURCES=${SOURCES:-50000}
EACH=${EACH:-3}
RATE=${RATE:-20000}
BEFORE=${BEFORE:-3}
MAX_SESSIONS=${MAX_SESSIONS:-2000}
SESSIONS=${SESSIONS:-2}
CLIENT_RATE=${CLIENT_RATE:-200}
TABLE=${TABLE:-8192}
IDLE=${IDLE:-5}
PREFIX4=${PREFIX4:-32}
KEEP=${KEEP:-0}

TMP=$(mktemp -d /tmp/udproxy-flood.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM -- "-$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	if [[ $KEEP == 1 ]]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
die() { echo "flood.sh: $*" >&2; exit 1; }
ms() { date +%s%3N; }

[[ -x $UDPROXY ]] || die "no udproxy binary at $UDPROXY (build first)"
gcc -O2 -Wall -o "$TMP/flood" flood.c || die "cannot build flood"
gcc -O2 -Wall -o "$TMP/udpecho" udpecho.c || die "cannot build udpecho"

setsid "$TMP/udpecho" -t 120 127.0.0.1:0 >"$TMP/echo.out" &
PIDS+=($!)
for _ in $(seq 100); do
	EPORT=$(sed -n 's/.*"port":\([0-9]*\).*/\1/p' "$TMP/echo.out")
	[[ -n $EPORT ]] && break
	sleep 0.05
done
[[ -n ${EPORT:-} ]] || die "udpecho did not start"
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

conf() {
	cat >"$TMP/udproxy.conf" <<CONF
log_level = "notice";
per_client = { sessions = $SESSIONS; rate = $CLIENT_RATE; burst = $((2 * CLIENT_RATE));
               table_size = $TABLE; prefix4 = $PREFIX4; };
block = { threshold = 10; seconds = 10; };
max_reply_ratio = $1;
routes = ( { name = "pub"; listen = "127.0.0.1:$PORT";
             upstream = "127.0.0.1:$EPORT"; idle_timeout = $IDLE;
             max_sessions = $MAX_SESSIONS; } );
CONF
}
conf 3.0
setsid "$UDPROXY" -f -c "$TMP/udproxy.conf" 2>"$TMP/udproxy.log" &
UPID=$!
PIDS+=($UPID)
for _ in $(seq 200); do
	grep -q ' started, ' "$TMP/udproxy.log" && break
	sleep 0.05
done
grep -q ' started, ' "$TMP/udproxy.log" || die "udproxy did not start: $(cat "$TMP/udproxy.log")"

rss() { awk '/^VmRSS/ {print $2}' "/proc/$UPID/status" 2>/dev/null || echo 0; }
fds() { ls "/proc/$UPID/fd" 2>/dev/null | wc -l; }
count() { grep -c -- "$1" "$TMP/udproxy.log" || true; }
# Waits (bounded) until the log holds more than $2 lines matching $1;
# prints the milliseconds it took.
wait_log() {
	local t0 i
	t0=$(ms)
	for i in $(seq 2000); do
		(( $(count "$1") > $2 )) && { echo $(( $(ms) - t0 )); return 0; }
		sleep 0.005
	done
	echo "timeout"
}

RSS0=$(rss); FDS0=$(fds)
echo "== before: legitimate client alone for $BEFORE s"
"$TMP/flood" probe -d "127.0.0.1:$PORT" -t "$BEFORE" -i 10 | tee "$TMP/before.json"

FLOOD_S=$(( SOURCES * EACH / RATE + 1 ))
echo "== during: $SOURCES sources x $EACH datagrams at $RATE/s (~$FLOOD_S s)"
setsid "$TMP/flood" spray -d "127.0.0.1:$PORT" -n "$SOURCES" -k "$EACH" -r "$RATE" >"$TMP/spray.json" &
SPID=$!
PIDS+=($SPID)
setsid "$TMP/flood" probe -d "127.0.0.1:$PORT" -t "$(( FLOOD_S > 4 ? FLOOD_S - 3 : 1 ))" -i 10 >"$TMP/during.json" &
PPID_=$!
PIDS+=($PPID_)
PEAK_RSS=0; PEAK_FDS=0; HUP_MS=; T0=$(ms)
for _ in $(seq $(( FLOOD_S * 20 + 100 ))); do
	r=$(rss); f=$(fds)
	(( r > PEAK_RSS )) && PEAK_RSS=$r
	(( f > PEAK_FDS )) && PEAK_FDS=$f
	if [[ -z $HUP_MS ]] && (( $(ms) - T0 > 1500 )); then
		# A reload in the middle of the flood, with a new ratio.
		n=$(count ': reloaded ')
		conf 4.0
		kill -HUP "$UPID"
		HUP_MS=$(wait_log ': reloaded ' "$n")
	fi
	kill -0 "$PPID_" 2>/dev/null || break
	sleep 0.05
done
wait "$PPID_" || true
n=$(count 'route pub: stats ')
kill -USR1 "$UPID"
wait_log 'route pub: stats ' "$n" >/dev/null
STATS=$(grep 'route pub: stats ' "$TMP/udproxy.log" | tail -1 | sed 's/.*: stats //')
TABLE_LINE=$(grep 'per_client table' "$TMP/udproxy.log" | tail -1 | sed 's/.*route pub: //')
# SIGTERM while the flood is still running, if it is.
FLOODING=no; kill -0 "$SPID" 2>/dev/null && FLOODING=yes
T1=$(ms)
kill -TERM "$UPID"
for _ in $(seq 2000); do
	kill -0 "$UPID" 2>/dev/null || break
	sleep 0.005
done
TERM_MS=$(( $(ms) - T1 ))
wait "$UPID"; URC=$?
wait "$SPID" || true

stat() { tr ' ' '\n' <<<"$STATS" | sed -n "s/^$1=//p"; }
echo "== during:"; cat "$TMP/during.json"; cat "$TMP/spray.json"
echo
echo "| | sent | lost | p50 us | p99 us | max us |"
echo "|---|---|---|---|---|---|"
for ph in before during; do
	python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["probe"]; print("| %s | %d | %d | %d | %d | %d |" % (sys.argv[2], p["sent"], p["lost"], p["p50_us"], p["p99_us"], p["max_us"]))' "$TMP/$ph.json" "$ph"
done
echo
echo "daemon RSS: ${RSS0} kB idle, ${PEAK_RSS} kB peak during the flood"
echo "daemon fds: ${FDS0} idle, ${PEAK_FDS} peak (max_sessions $MAX_SESSIONS)"
echo "SIGHUP in the flood: reloaded after ${HUP_MS} ms"
echo "SIGTERM (flood still running: $FLOODING): exited after ${TERM_MS} ms, status $URC"
echo "$TABLE_LINE"
for c in rx_datagrams tx_datagrams sessions_created drop_session_limit drop_client_sessions drop_client_rate drop_blocked blocks drop_reply_ratio drop_rcvbuf; do
	printf '%s=%s ' "$c" "$(stat $c)"
done
echo
echo "log lines: $(wc -l <"$TMP/udproxy.log") in all; warnings and errors:"
grep -E '^udproxy: (error|warning):' "$TMP/udproxy.log" | sed 's/([0-9]* suppressed)//' | sort | uniq -c | head -5 || true
grep -E 'blocking' "$TMP/udproxy.log" | head -3 || true
