#!/usr/bin/env bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# bench/soak.sh -- soak test of udproxy: steady load on one route for the
# whole run, bursts of short-lived sessions on two others, and a SIGHUP every
# few seconds cycling through a good, another good and a broken
# configuration.  Checks that the steady route loses nothing and keeps its
# sessions across every reload, that the reload counters match, that RSS does
# not creep, and that descriptors and sessions come back to the baseline.
# Prints a PASS/FAIL table; exits 0 if every check passed, 1 otherwise.
# See the "Soak test" section of bench/README.md.
#
# Knobs (environment):
#   SOAK_SECONDS=180  total run time, about (minimum 40)
#   UDPROXY=path      udproxy binary (default ../src/udproxy relative to bench/)
#   WRAPPER='...'     prefixed to the daemon command, e.g.
#                     WRAPPER='valgrind --error-exitcode=99 --leak-check=full'
#   STEADY_CLIENTS=50 sessions of the steady load (window 1 each)
#   STEADY_TIMEOUT_MS=5000  udpload -T for the steady load (a reply later
#                     than this counts as lost)
#   BURST_SESSIONS=300  distinct clients per burst (one burst per route)
#   BURST_EVERY=3     seconds between bursts on churn and temp
#   BURST_TIMEOUT_MS=500  udpload -T for the bursts (3 tries per client)
#   RELOAD_EVERY=2    seconds between SIGHUPs
#   SAMPLE_EVERY=5    seconds between samples (RSS, fds, SIGUSR1 stats)
#   CHURN_IDLE=2      idle_timeout of churn and temp, seconds
#   IDLE_WAIT=        quiet time before the final check (default
#                     2 x CHURN_IDLE + 2 s)
#   RSS_TOL_PCT=20 RSS_TOL_KB=2048   last RSS sample may exceed the one at
#                     25 % of the load phase by the larger of these
#   START_WAIT=60 STOP_WAIT=60 RELOAD_WAIT=20   seconds to wait for the
#                     daemon to start, to exit after SIGTERM, to log a reload
#   RSS_CHECK=1       0: show the RSS trend without checking it (default 0 for
#                     an ASan build, whose allocator grows RSS by itself)
#   SOAK_CPUS=N       taskset CPU list for every process started (default: the
#                     last CPU, so the soak takes at most one core); none = no pin
#   KEEP=1            keep the temporary directory (configs, logs, samples)
# Every loop has a count and a time limit; every process started here is
# ended by its PID on exit (trap EXIT).  Everything runs on 127.0.0.1 / ::1.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
UDPROXY=${UDPROXY:-../src/udproxy}
WRAPPER=${WRAPPER:-}
SOAK_SECONDS=${SOAK_SECONDS:-180}
STEADY_CLIENTS=${STEADY_CLIENTS:-50}
STEADY_TIMEOUT_MS=${STEADY_TIMEOUT_MS:-5000}
BURST_SESSIONS=${BURST_SESSIONS:-300}
BURST_EVERY=${BURST_EVERY:-3}
BURST_TIMEOUT_MS=${BURST_TIMEOUT_MS:-500}
RELOAD_EVERY=${RELOAD_EVERY:-2}
SAMPLE_EVERY=${SAMPLE_EVERY:-5}
CHURN_IDLE=${CHURN_IDLE:-2}
IDLE_WAIT=${IDLE_WAIT:-$((2 * ${CHURN_IDLE%.*} + 2))}
RSS_TOL_PCT=${RSS_TOL_PCT:-20}
RSS_TOL_KB=${RSS_TOL_KB:-2048}
START_WAIT=${START_WAIT:-60}
STOP_WAIT=${STOP_WAIT:-60}
RELOAD_WAIT=${RELOAD_WAIT:-20}
SOAK_CPUS=${SOAK_CPUS:-$(($(nproc) - 1))}
KEEP=${KEEP:-0}
STEADY_IDLE=60

((SOAK_SECONDS >= 40)) || { echo "soak.sh: SOAK_SECONDS must be >= 40" >&2; exit 2; }
# Steady load runs for LOAD_SECONDS; the rest is set-up and the idle window.
LOAD_SECONDS=$((SOAK_SECONDS - IDLE_WAIT - 6))
((LOAD_SECONDS >= 20)) || LOAD_SECONDS=20
LIFE=$((SOAK_SECONDS + STOP_WAIT + 300))	# hard cap for the echo servers

PIDS=()
TMP=$(mktemp -d /tmp/udproxy-soak.XXXXXX)
LOG=$TMP/udproxy.log
T_START=${EPOCHREALTIME/./}	# microseconds
COMMIT=$(git -C "$HERE/.." rev-parse --short HEAD 2>/dev/null || echo none)

log() { printf 'soak.sh: %s\n' "$*" >&2; }
die() { log "$*"; [[ -f $LOG ]] && tail -n 20 "$LOG" >&2; exit 1; }
elapsed() { echo $(((${EPOCHREALTIME/./} - T_START) / 1000000)); }

drop_pid() {
	local p keep=()
	for p in "${PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

cleanup() {
	local pid i
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	if [[ $KEEP == 1 ]]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

jget() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" | wc -l; }

# --- tools, ports, configurations -------------------------------------------
CFLAGS="-std=c11 -O2 -Wall -Wextra"
gcc $CFLAGS -o "$TMP/udpecho" udpecho.c || die "cannot build udpecho"
gcc $CFLAGS -o "$TMP/udpload" udpload.c || die "cannot build udpload"
LOAD=$TMP/udpload
[[ -x $UDPROXY ]] || die "no udproxy binary at $UDPROXY (cd .. && make)"
read -r -a WRAP <<<"$WRAPPER"
# ASan's allocator (quarantine, stack depot) grows RSS on its own for
# minutes, so under ASan the RSS trend is shown but not checked (LSan at exit
# checks leaks instead); RSS_CHECK=1 forces the check, 0 turns it off.
if [[ -z ${RSS_CHECK:-} ]]; then
	RSS_CHECK=1
	if grep -q __asan_init "$UDPROXY" 2>/dev/null; then
		RSS_CHECK=0 RSS_WHY="ASan build"
	fi
fi
RSS_WHY=${RSS_WHY:-RSS_CHECK=$RSS_CHECK}
BIN_DATE=$(date -u -r "$UDPROXY" '+%H:%M UTC' 2>/dev/null || echo -)

PIN=()
if [[ $SOAK_CPUS != none ]] && command -v taskset >/dev/null; then
	PIN=(taskset -c "$SOAK_CPUS")
fi

# start_echo NAME ADDR: an echo upstream; sets EPORT[NAME].
declare -A EPORT
start_echo() {
	local i p=
	"${PIN[@]}" "$TMP/udpecho" -t "$LIFE" "$2" >"$TMP/echo-$1.out" &
	PIDS+=($!)
	for ((i = 0; i < 50; i++)); do
		p=$(jget port "$(head -n 1 "$TMP/echo-$1.out")")
		[[ -n $p ]] && break
		sleep 0.1
	done
	[[ -n $p ]] || die "udpecho $1 did not start"
	EPORT[$1]=$p
}
start_echo e1 127.0.0.1:0		# steady's upstream
start_echo e2 127.0.0.1:0		# churn (config A) and temp
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then
	start_echo e3 '[::1]:0'		# churn (config B)
	E3=[::1]:${EPORT[e3]} L6=[::1]
else
	start_echo e3 127.0.0.1:0
	E3=127.0.0.1:${EPORT[e3]} L6=127.0.0.1
fi
mapfile -t PORTS < <("$LOAD" -P 3)
((${#PORTS[@]} == 3)) || die "no free ports"
P_STEADY=${PORTS[0]} P_CHURN=${PORTS[1]} P_TEMP=${PORTS[2]}
A_STEADY=127.0.0.1:$P_STEADY A_CHURN=127.0.0.1:$P_CHURN A_TEMP=$L6:$P_TEMP

# conf NAME CHURN_UPSTREAM WITH_TEMP: write $TMP/conf.NAME.
route_steady() {
	printf '  { name = "steady"; listen = "%s"; upstream = "127.0.0.1:%s"; idle_timeout = %s; }' \
	    "$A_STEADY" "${EPORT[e1]}" "$STEADY_IDLE"
}
conf() {
	{
		echo "# written by bench/soak.sh: config $1"
		echo 'log_level = "notice";'
		echo 'routes = ('
		route_steady
		echo ','
		printf '  { name = "churn"; listen = "%s"; upstream = "%s"; idle_timeout = %s; }' \
		    "$A_CHURN" "$2" "$CHURN_IDLE"
		if [[ $3 == 1 ]]; then
			echo ','
			printf '  { name = "temp"; listen = "%s"; upstream = "127.0.0.1:%s"; idle_timeout = %s; }' \
			    "$A_TEMP" "${EPORT[e2]}" "$CHURN_IDLE"
		fi
		echo
		echo ');'
	} >"$TMP/conf.$1"
}
conf A "127.0.0.1:${EPORT[e2]}" 1
conf B "$E3" 0
# C: config A with a syntax error on line 3.
sed '2a x = ;' "$TMP/conf.A" >"$TMP/conf.C"
for c in A B; do
	"$UDPROXY" -t -c "$TMP/conf.$c" >"$TMP/t.$c" 2>&1 ||
	    { cat "$TMP/t.$c" >&2; die "config $c rejected by udproxy -t"; }
done
if "$UDPROXY" -t -c "$TMP/conf.C" >"$TMP/t.C" 2>&1; then
	die "config C should be invalid but udproxy -t accepts it"
fi
CONF=$TMP/udproxy.conf
install_conf() {	# atomic rename into place
	cp "$TMP/conf.$1" "$CONF.tmp"
	mv -f "$CONF.tmp" "$CONF"
}
install_conf A
RUNNING=A

# --- daemon ------------------------------------------------------------------
"${PIN[@]}" "${WRAP[@]}" "$UDPROXY" -f -c "$CONF" 2>"$LOG" &
UPID=$!
PIDS+=($UPID)
for ((i = 0; i < START_WAIT * 10; i++)); do
	grep -q ': udproxy .* started, ' "$LOG" && break
	kill -0 "$UPID" 2>/dev/null || die "udproxy exited at start-up"
	sleep 0.1
done
grep -q ': udproxy .* started, ' "$LOG" || die "udproxy did not start in ${START_WAIT}s"

# stats: SIGUSR1, wait for the whole answer (summary + one line per route),
# parse it into S[key] and R[route.key]; also RSS and fds of the daemon.
declare -A S R
n_summary() { grep -c ': stats: routes=' "$LOG" || true; }
stats() {
	local before i blk line name kv nroutes have
	kill -0 "$UPID" 2>/dev/null || die "udproxy (pid $UPID) is gone"
	before=$(n_summary)
	kill -USR1 "$UPID"
	for ((i = 0; i < RELOAD_WAIT * 10; i++)); do
		if (($(n_summary) > before)); then
			blk=$(awk '/: stats: routes=/ { b = $0 "\n"; next }
			    /: route [^ ]+: stats rx_datagrams=/ { b = b $0 "\n" }
			    END { printf "%s", b }' "$LOG")
			nroutes=$(sed -n '1s/.*stats: routes=\([0-9]*\).*/\1/p' <<<"$blk")
			have=$(($(wc -l <<<"$blk") - 1))
			[[ -n $nroutes ]] && ((have >= nroutes)) && break
		fi
		sleep 0.1
	done
	((i < RELOAD_WAIT * 10)) || die "no answer to SIGUSR1 in ${RELOAD_WAIT}s"
	S=() R=()
	while IFS= read -r line; do
		if [[ $line == *": stats: routes="* ]]; then
			for kv in ${line#*stats: }; do
				S[${kv%%=*}]=${kv#*=}
			done
		else
			name=${line#*: route }
			name=${name%%: stats *}
			for kv in ${line#*: stats }; do
				R[$name.${kv%%=*}]=${kv#*=}
			done
		fi
	done <<<"$blk"
	S[rss]=$(rss_kb "$UPID")
	S[fds]=$(nfds "$UPID")
}

stats
BASE_RSS=${S[rss]} BASE_FDS=${S[fds]} BASE_SESSIONS=${S[sessions]}
BASE_MAX=${S[max_sessions]}
log "udproxy pid $UPID${WRAPPER:+ (under $WRAPPER)}, routes steady $A_STEADY," \
    "churn $A_CHURN, temp $A_TEMP; baseline RSS $BASE_RSS kB, fds $BASE_FDS," \
    "sessions $BASE_SESSIONS; load ${LOAD_SECONDS}s, pin ${PIN[*]:-none}"

# probe ADDR: one round trip, retried (bounded).
probe() {
	local i
	for ((i = 0; i < 20; i++)); do
		"$LOAD" -n 1 -w 1 -W 0 -d 2 -m 1 -T 1000 "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
probe "$A_CHURN" || die "route churn does not answer"
probe "$A_TEMP" || die "route temp does not answer"

# --- steady load ---------------------------------------------------------------
stats
ST0_CREATED=${R[steady.sessions_created]} ST0_RX=${R[steady.rx_datagrams]}
ST0_TX=${R[steady.tx_datagrams]} ST0_EXPIRED=${R[steady.sessions_expired]}
ST0_CLOSED=${R[steady.sessions_closed]}
"${PIN[@]}" timeout -k 2 $((LOAD_SECONDS + 60)) "$LOAD" -n "$STEADY_CLIENTS" \
    -w 1 -W 0 -d "$LOAD_SECONDS" -T "$STEADY_TIMEOUT_MS" -l steady \
    "$A_STEADY" >"$TMP/steady.out" 2>"$TMP/steady.err" &
STEADY_PID=$!
PIDS+=($STEADY_PID)
T_LOAD=${EPOCHREALTIME/./}

SAMPLES=$TMP/samples.tsv
echo -e "t_s\trss_kb\tfds\tsessions\tsteady\tchurn\ttemp\treloads\tfailures" >"$SAMPLES"
sample() {
	stats
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
	    $(((${EPOCHREALTIME/./} - T_LOAD) / 1000000)) "${S[rss]}" "${S[fds]}" \
	    "${S[sessions]}" "${R[steady.sessions_active]:-0}" \
	    "${R[churn.sessions_active]:-0}" "${R[temp.sessions_active]:-0}" \
	    "${S[reloads]}" "${S[reload_failures]}" >>"$SAMPLES"
}

# reload NAME: install config NAME, SIGHUP, wait until the daemon logged the
# outcome (one "reloaded" or "reload failed" line more).
EXP_OK=0 EXP_FAIL=0 RELOAD_TIMEOUTS=0
n_reload_lines() { grep -c -e ': reloaded ' -e ': reload failed: ' "$LOG" || true; }
reload() {
	local before i
	kill -0 "$UPID" 2>/dev/null || die "udproxy (pid $UPID) is gone"
	install_conf "$1"
	before=$(n_reload_lines)
	kill -HUP "$UPID"
	if [[ $1 == C ]]; then
		EXP_FAIL=$((EXP_FAIL + 1))
	else
		EXP_OK=$((EXP_OK + 1))
		RUNNING=$1
	fi
	for ((i = 0; i < RELOAD_WAIT * 20; i++)); do
		(($(n_reload_lines) > before)) && return 0
		sleep 0.05
	done
	RELOAD_TIMEOUTS=$((RELOAD_TIMEOUTS + 1))
	log "no reload line within ${RELOAD_WAIT}s after SIGHUP ($1)"
}

# burst ROUTE ADDR: BURST_SESSIONS new clients, one round trip each, held 1 s.
declare -A BURST_PID
BURSTS=0 BURSTS_SKIPPED=0
burst() {
	local p=${BURST_PID[$1]:-}
	if [[ -n $p ]]; then
		if kill -0 "$p" 2>/dev/null; then
			BURSTS_SKIPPED=$((BURSTS_SKIPPED + 1))
			return 0
		fi
		wait "$p" 2>/dev/null || true
		drop_pid "$p"
	fi
	BURSTS=$((BURSTS + 1))
	"${PIN[@]}" timeout -k 2 20 "$LOAD" -S "$BURST_SESSIONS" -w 64 -d 10 -H 1 \
	    -T "$BURST_TIMEOUT_MS" -l "$1" "$2" >>"$TMP/burst-$1.out" 2>/dev/null &
	BURST_PID[$1]=$!
	PIDS+=($!)
}

# --- main loop: one tick per second, bounded by count and by time -------------
CYCLE=(B C A)
NRELOAD=0
TICKS=$((LOAD_SECONDS - 4))
for ((tick = 1; tick <= TICKS; tick++)); do
	# Sleep until this tick's deadline (no sleep when behind).
	now=${EPOCHREALTIME/./}
	due=$((T_LOAD + tick * 1000000))
	if ((due > now)); then
		sleep "$(printf '%d.%06d' $(((due - now) / 1000000)) $(((due - now) % 1000000)))"
	fi
	(($(elapsed) < SOAK_SECONDS + 120)) || { log "time limit hit in the main loop"; break; }
	kill -0 "$STEADY_PID" 2>/dev/null || { log "steady load ended early"; break; }
	if ((tick % RELOAD_EVERY == 0)); then
		reload "${CYCLE[NRELOAD % 3]}"
		NRELOAD=$((NRELOAD + 1))
	fi
	if ((tick % BURST_EVERY == 0)); then
		burst churn "$A_CHURN"
		burst temp "$A_TEMP"
	fi
	if ((tick % SAMPLE_EVERY == 0)); then
		sample
	fi
done
# Leave config A running (same listeners as at the baseline), still under load.
[[ $RUNNING == A ]] || reload A
for r in churn temp; do		# let the last bursts finish (bounded by timeout)
	p=${BURST_PID[$r]:-}
	[[ -n $p ]] || continue
	wait "$p" 2>/dev/null || true
	drop_pid "$p"
done
sample
LAST_LOAD_SAMPLE=$(tail -n 1 "$SAMPLES")
wait "$STEADY_PID" || log "steady udpload exited with status $?"
drop_pid "$STEADY_PID"

# --- idle window, final check ------------------------------------------------
sleep "$IDLE_WAIT"
stats
END_RSS=${S[rss]} END_FDS=${S[fds]} END_SESSIONS=${S[sessions]}
END_STEADY_ACTIVE=${R[steady.sessions_active]:-0}
END_CHURN_ACTIVE=${R[churn.sessions_active]:-x}
END_TEMP_ACTIVE=${R[temp.sessions_active]:-x}
END_RELOADS=${S[reloads]} END_RFAIL=${S[reload_failures]}
declare -A FINAL
for k in "${!R[@]}"; do FINAL[$k]=${R[$k]}; done
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "end" "$END_RSS" "$END_FDS" \
    "$END_SESSIONS" "$END_STEADY_ACTIVE" "$END_CHURN_ACTIVE" "$END_TEMP_ACTIVE" \
    "$END_RELOADS" "$END_RFAIL" >>"$SAMPLES"

kill -TERM "$UPID"
UEXIT=timeout
for ((i = 0; i < STOP_WAIT * 10; i++)); do
	kill -0 "$UPID" 2>/dev/null || break
	sleep 0.1
done
if ! kill -0 "$UPID" 2>/dev/null; then
	UEXIT=0
	wait "$UPID" || UEXIT=$?
	drop_pid "$UPID"
fi

# --- checks ------------------------------------------------------------------
out=$(cat "$TMP/steady.out")
SENT=$(jget sent "$out") RECV=$(jget received "$out")
LOST=$(jget lost "$out") LATE=$(jget late "$out") BAD=$(jget bad "$out")
P99=$(jget p99_us "$out") MAXUS=$(jget max_us "$out")
SENT=${SENT:-0} RECV=${RECV:-0} LOST=${LOST:-x} LATE=${LATE:-x} BAD=${BAD:-x}
LOG_OK=$(grep -c ': reloaded ' "$LOG" || true)
LOG_FAIL=$(grep -c ': reload failed: ' "$LOG" || true)
ST_CREATED=$((${FINAL[steady.sessions_created]} - ST0_CREATED))
ST_RX=$((${FINAL[steady.rx_datagrams]} - ST0_RX))
ST_TX=$((${FINAL[steady.tx_datagrams]} - ST0_TX))
ST_EXPIRED=$((${FINAL[steady.sessions_expired]} - ST0_EXPIRED))
ST_CLOSED=$((${FINAL[steady.sessions_closed]} - ST0_CLOSED))
ST_DROPS=0
for k in drop_oversize drop_truncated drop_session_limit drop_socket_error \
    drop_upstream_send drop_client_send upstream_refused rx_errors drop_rcvbuf; do
	ST_DROPS=$((ST_DROPS + ${FINAL[steady.$k]}))
done
# RSS: the sample at 25 % of the load phase against the last one under load.
RSS25=$(awk -F '\t' -v q=$((LOAD_SECONDS / 4)) \
    'NR > 1 && $1 != "end" && $1 >= q { print $2; exit }' "$SAMPLES")
RSS25=${RSS25:-$BASE_RSS}
RSS_LAST=$(cut -f 2 <<<"$LAST_LOAD_SAMPLE")
RSS_LIMIT=$(awk -v a="$RSS25" -v p="$RSS_TOL_PCT" -v k="$RSS_TOL_KB" \
    'BEGIN { x = a * (100 + p) / 100; y = a + k; printf "%d\n", (x > y) ? x : y }')
RSS_MAX=$(awk -F '\t' 'NR > 1 && $2 > m { m = $2 } END { print m + 0 }' "$SAMPLES")
UNEXPECTED=$(grep -E ': (error|warning): ' "$LOG" | grep -vc ': error: reload failed: ' || true)
SANITIZER=$(grep -c 'Sanitizer' "$LOG" || true)
VG_ERRORS=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$LOG" | tail -n 1)
sumburst() {	# sumburst ROUTE KEY
	[[ -f $TMP/burst-$1.out ]] || { echo 0; return; }
	awk -v k="\"$2\":" '{ i = index($0, k); if (i) s += substr($0, i + length(k)) + 0 }
	    END { print s + 0 }' "$TMP/burst-$1.out" 2>/dev/null || echo 0
}

FAILS=0 NCHECKS=0
RESULTS=()
check() {	# check NAME OK(0/1) DETAIL
	local v=PASS
	NCHECKS=$((NCHECKS + 1))
	if [[ $2 != 1 ]]; then
		v=FAIL
		FAILS=$((FAILS + 1))
	fi
	RESULTS+=("$(printf '| %-44s | %-4s | %s' "$1" "$v" "$3")")
}
b() { if eval "$1"; then echo 1; else echo 0; fi; }

check "steady: no datagram lost (lost+late+bad)" \
    "$(b "[[ $LOST$LATE$BAD == 000 ]] && ((SENT > 0))")" \
    "sent $SENT, received $RECV, lost $LOST, late $LATE, bad $BAD, p99 ${P99} us, max ${MAXUS} us"
check "steady: proxy counters = client's" \
    "$(b "((ST_RX == SENT && ST_TX == RECV))")" \
    "rx $ST_RX tx $ST_TX (client sent $SENT received $RECV)"
check "steady: sessions survived every reload" \
    "$(b "((ST_CREATED == STEADY_CLIENTS && ST_CLOSED == 0 && ST_EXPIRED == 0))")" \
    "created $ST_CREATED (clients $STEADY_CLIENTS), closed $ST_CLOSED, expired $ST_EXPIRED"
check "steady: no drops" "$(b "((ST_DROPS == 0))")" "sum of drop_*, upstream_refused, rx_errors: $ST_DROPS"
check "reloads: log lines = expected" \
    "$(b "((LOG_OK == EXP_OK && LOG_FAIL == EXP_FAIL && RELOAD_TIMEOUTS == 0))")" \
    "reloaded $LOG_OK/$EXP_OK, failed $LOG_FAIL/$EXP_FAIL, unanswered $RELOAD_TIMEOUTS"
KEPT_BAD=$(grep ': reloaded ' "$LOG" | grep -vc "; sessions $STEADY_CLIENTS kept, " || true)
FAIL_OTHER=$(grep ': reload failed: ' "$LOG" | grep -vc ':3: syntax error$' || true)
check "reloads: each kept steady's sessions" "$(b "((KEPT_BAD == 0 && FAIL_OTHER == 0))")" \
    "reloaded lines without 'sessions $STEADY_CLIENTS kept': $KEPT_BAD; failures other than the syntax error: $FAIL_OTHER"
check "reloads: stats counters = expected" \
    "$(b "[[ $END_RELOADS == $EXP_OK && $END_RFAIL == $EXP_FAIL ]]")" \
    "reloads=$END_RELOADS reload_failures=$END_RFAIL"
RSS_DETAIL="start $BASE_RSS kB, 25% $RSS25 kB, last under load $RSS_LAST kB (limit $RSS_LIMIT), max $RSS_MAX, end $END_RSS"
if [[ $RSS_CHECK == 1 ]]; then
	check "RSS does not creep" "$(b "((RSS_LAST <= RSS_LIMIT))")" "$RSS_DETAIL"
else
	RESULTS+=("$(printf '| %-44s | %-4s | %s' "RSS does not creep (not checked: $RSS_WHY)" INFO "$RSS_DETAIL")")
fi
check "sessions back to baseline + steady" \
    "$(b "((END_SESSIONS == BASE_SESSIONS + STEADY_CLIENTS && END_STEADY_ACTIVE == STEADY_CLIENTS)) && [[ $END_CHURN_ACTIVE$END_TEMP_ACTIVE == 00 ]]")" \
    "sessions $END_SESSIONS (baseline $BASE_SESSIONS + steady $END_STEADY_ACTIVE), churn $END_CHURN_ACTIVE, temp $END_TEMP_ACTIVE"
check "fds back to baseline + steady sessions" \
    "$(b "((END_FDS == BASE_FDS + END_SESSIONS - BASE_SESSIONS))")" \
    "baseline $BASE_FDS, end $END_FDS (expected $((BASE_FDS + END_SESSIONS - BASE_SESSIONS)))"
check "daemon exits 0 on SIGTERM" "$(b "[[ $UEXIT == 0 ]]")" "exit status $UEXIT"
check "no Sanitizer report, no valgrind error" \
    "$(b "((SANITIZER == 0)) && [[ ${VG_ERRORS:-0} == 0 ]]")" \
    "Sanitizer lines $SANITIZER${VG_ERRORS:+, valgrind ERROR SUMMARY $VG_ERRORS}"
check "no unexpected warning/error log lines" "$(b "((UNEXPECTED == 0))")" \
    "$UNEXPECTED lines"

{
	echo
	echo "udproxy soak $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT," \
	    "$("$UDPROXY" -V 2>/dev/null || echo udproxy) (binary of $BIN_DATE)${WRAPPER:+, under $WRAPPER}," \
	    "$(nproc) CPUs, pin ${PIN[*]:-none}, $(elapsed) s"
	echo "load ${LOAD_SECONDS}s: steady $STEADY_CLIENTS x window 1;" \
	    "bursts of $BURST_SESSIONS every ${BURST_EVERY}s on churn and temp" \
	    "($BURSTS started, $BURSTS_SKIPPED skipped; churn ok $(sumburst churn ok)" \
	    "failed $(sumburst churn failed), temp ok $(sumburst temp ok)" \
	    "failed $(sumburst temp failed));" \
	    "SIGHUP every ${RELOAD_EVERY}s (B, C, A, ...): $EXP_OK ok, $EXP_FAIL failed"
	echo "churn: created ${FINAL[churn.sessions_created]}, expired ${FINAL[churn.sessions_expired]}," \
	    "closed ${FINAL[churn.sessions_closed]}, rx ${FINAL[churn.rx_datagrams]}," \
	    "tx ${FINAL[churn.tx_datagrams]} (temp's counters restart whenever it is re-added)"
	echo "samples (t_s rss_kb fds sessions):" $(awk -F '\t' 'NR > 1 { printf "%s/%s/%s/%s ", $1, $2, $3, $4 }' "$SAMPLES")
	echo
	printf '| %-44s | %-4s | %s\n' check "" detail
	printf '|%s|%s|%s\n' "----------------------------------------------" "------" "--------"
	printf '%s\n' "${RESULTS[@]}"
	echo
	if ((FAILS == 0)); then
		echo "soak: PASS ($NCHECKS checks)"
	else
		echo "soak: FAIL ($FAILS of $NCHECKS checks failed)"
	fi
} | tee "$TMP/report.txt"
((FAILS == 0)) || { log "udproxy log tail:"; tail -n 15 "$LOG" >&2; exit 1; }
exit 0
