#!/usr/bin/env bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# bench/run.sh -- udproxy against nginx's stream module, side by side, on the
# same loopback load in one run; prints medians per target and the ratio
# udproxy/nginx per metric.  See bench/README.md.
#
# Knobs (environment):
#   UDPROXY=path      udproxy binary (default ../src/udproxy relative to bench/)
#   NGINX=path        nginx binary (default /usr/sbin/nginx)
#   NGINX_STREAM_MODULE=path   (default /usr/lib/nginx/modules/ngx_stream_module.so)
#   ROUNDS=3          rounds; the order of the targets alternates per round
#   DURATION=5        seconds per throughput run (after WARMUP)
#   LAT_DURATION=3    seconds per latency run (after WARMUP)
#   WARMUP=0.5        seconds of load before measuring starts
#   CLIENTS=32 WINDOW=4     throughput profile: sessions x outstanding each
#   SIZE=100          payload bytes
#   SESSIONS=5000     sessions for the memory test
#   OVERLOAD=1        0 drops the "ovl" profile: OVL_CLIENTS=256 x OVL_WINDOW=64
#                     for LAT_DURATION s, more than a proxy can carry, so the
#                     kernel drops at the listener (shows overload behaviour)
#   NGINX_EXTRA='...' extra directives for nginx's stream server block
#   NO_NGINX=1        skip nginx;  NO_UDPROXY=1  skip udproxy
#   BUILD_UDPROXY=1   build udproxy (autogen/configure/make at the top) if
#                     the binary is missing; 0 = fail instead
#   KEEP=1            keep the temporary directory (configs, logs, raw data)
#   NOPIN=1           do not pin with taskset
#   OTHER_MAX=10      warn about runs where more than this % of CPU 0 went to
#                     anything but the proxy (other jobs, steal): noisy runs
# Every process this script starts is ended by its PID on exit.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
cd "$HERE"
UDPROXY=${UDPROXY:-../src/udproxy}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_STREAM_MODULE=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
LAT_DURATION=${LAT_DURATION:-3}
WARMUP=${WARMUP:-0.5}
CLIENTS=${CLIENTS:-32}
WINDOW=${WINDOW:-4}
SIZE=${SIZE:-100}
SESSIONS=${SESSIONS:-5000}
OVERLOAD=${OVERLOAD:-1}
OVL_CLIENTS=${OVL_CLIENTS:-256}
OVL_WINDOW=${OVL_WINDOW:-64}
NO_NGINX=${NO_NGINX:-0}
NGINX_EXTRA=${NGINX_EXTRA:-}
NO_UDPROXY=${NO_UDPROXY:-0}
BUILD_UDPROXY=${BUILD_UDPROXY:-1}
KEEP=${KEEP:-0}
NOPIN=${NOPIN:-0}
OTHER_MAX=${OTHER_MAX:-10}
IDLE=60				# session idle timeout of both proxies, s
LIFE=$((ROUNDS * 4 * (DURATION + LAT_DURATION + 5) + 300))	# hard cap

PIDS=()
TMP=$(mktemp -d /tmp/udproxy-bench.XXXXXX)

log() { printf '%s\n' "$*" >&2; }
die() { log "run.sh: $*"; exit 1; }

# drop_pid PID: forget a PID that has been reaped.
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
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		# Only wait for a PID that still exists (bash may have reaped
		# it already; waiting for such a PID can block).
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	if [[ $KEEP == 1 ]]; then
		log "run.sh: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# jget KEY JSONLINE: the value of a flat numeric/string key.
jget() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }

# CPU time (utime+stime, clock ticks) of a PID from /proc/PID/stat.
cputicks() {
	local line rest
	read -r line <"/proc/$1/stat"
	rest=${line##*) }	# comm may contain spaces; cut after it
	set -- $rest
	echo $((${12} + ${13}))
}
# alive TARGET: die with the target's log if its process has gone.
alive() {
	local pid=${PID[$1]} f
	kill -0 "$pid" 2>/dev/null && return 0
	log "run.sh: $1 (pid $pid) is gone"
	drop_pid "$pid"
	for f in "$TMP/$1.log" "$TMP/$1/error.log"; do
		[[ -f $f ]] && tail -n 20 "$f" >&2
	done
	die "$1 died during the benchmark"
}
# Busy ticks of one CPU from /proc/stat (user nice system irq softirq steal).
cpubusy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
nfds() { ls "/proc/$1/fd" | wc -l; }

# --- tools -----------------------------------------------------------------
CFLAGS="-std=c11 -O2 -Wall -Wextra"
gcc $CFLAGS -o "$TMP/udpecho" udpecho.c || die "cannot build udpecho"
gcc $CFLAGS -o "$TMP/udpload" udpload.c || die "cannot build udpload"
ECHO_BIN=$TMP/udpecho
LOAD=$TMP/udpload

if [[ $NO_UDPROXY != 1 && ! -x $UDPROXY ]]; then
	[[ $BUILD_UDPROXY == 1 ]] || die "no udproxy binary at $UDPROXY"
	[[ -f $TOP/configure.ac ]] || die "no $UDPROXY and no configure.ac"
	log "run.sh: $UDPROXY missing, building it at $TOP"
	(cd "$TOP" && ./autogen.sh && ./configure && make) >"$TMP/build.log" 2>&1 ||
	    { tail -n 30 "$TMP/build.log" >&2; die "udproxy build failed"; }
	[[ -x $UDPROXY ]] || die "build finished but no $UDPROXY"
fi
if [[ $NO_NGINX != 1 ]]; then
	[[ -x $NGINX ]] || die "no nginx at $NGINX (NO_NGINX=1 to skip)"
	[[ -f $NGINX_STREAM_MODULE ]] || die "no $NGINX_STREAM_MODULE"
fi

PIN_PROXY=() PIN_LOAD=()
if [[ $NOPIN != 1 ]] && command -v taskset >/dev/null &&
    (($(nproc) >= 2)); then
	PIN_PROXY=(taskset -c 0)
	PIN_LOAD=(taskset -c 1)
fi
TICK_US=$((1000000 / $(getconf CLK_TCK)))
PROXY_CPU=0

# --- upstream and proxies --------------------------------------------------
mapfile -t PORTS < <("$LOAD" -P 2)
((${#PORTS[@]} == 2)) || die "no free ports"
UDPROXY_PORT=${PORTS[0]} NGINX_PORT=${PORTS[1]}

"${PIN_LOAD[@]}" "$ECHO_BIN" -t "$LIFE" 127.0.0.1:0 >"$TMP/echo.out" &
PIDS+=($!)
ECHO_PID=$!
for ((i = 0; i < 50; i++)); do
	ECHO_PORT=$(jget port "$(head -n 1 "$TMP/echo.out")")
	[[ -n $ECHO_PORT ]] && break
	sleep 0.1
done
[[ -n $ECHO_PORT ]] || die "udpecho did not start"

# probe ADDR:PORT: one round trip through it, retried for up to 5 s.
probe() {
	local i
	for ((i = 0; i < 25; i++)); do
		"$LOAD" -n 1 -w 1 -W 0 -d 0.2 -m 1 "$1" >/dev/null && return 0
		sleep 0.2
	done
	return 1
}

TARGETS=(direct)
declare -A ADDR PID
ADDR[direct]=127.0.0.1:$ECHO_PORT
PID[direct]=$ECHO_PID

# Load sessions over the run: probes + every run's clients; the memory test
# adds SESSIONS.  nginx needs two connection slots per UDP session.
NSESS=$((SESSIONS + ROUNDS * 2 * (CLIENTS + 2) + 64))
((OVERLOAD == 1)) && NSESS=$((NSESS + ROUNDS * 2 * OVL_CLIENTS))
HARD_NOFILE=$(ulimit -Hn)
[[ $HARD_NOFILE == unlimited ]] && HARD_NOFILE=1048576
((NSESS + 64 <= HARD_NOFILE)) ||
    die "SESSIONS too large for RLIMIT_NOFILE hard limit $HARD_NOFILE"

if [[ $NO_UDPROXY != 1 ]]; then
	cat >"$TMP/udproxy.conf" <<-EOF
	# written by bench/run.sh
	log_level = "notice";
	routes = (
	  {
	    name = "bench";
	    listen = "127.0.0.1:$UDPROXY_PORT";
	    upstream = "127.0.0.1:$ECHO_PORT";
	    idle_timeout = $IDLE;
	  }
	);
	EOF
	"$UDPROXY" -t -c "$TMP/udproxy.conf" >"$TMP/udproxy-t.log" 2>&1 ||
	    { cat "$TMP/udproxy-t.log" >&2; die "udproxy -t rejected the config"; }
	"${PIN_PROXY[@]}" "$UDPROXY" -f -c "$TMP/udproxy.conf" \
	    -p "$TMP/udproxy.pid" 2>"$TMP/udproxy.log" &
	PIDS+=($!)
	PID[udproxy]=$!
	ADDR[udproxy]=127.0.0.1:$UDPROXY_PORT
	probe "${ADDR[udproxy]}" ||
	    { cat "$TMP/udproxy.log" >&2; die "udproxy does not answer"; }
	TARGETS+=(udproxy)
fi

if [[ $NO_NGINX != 1 ]]; then
	mkdir -p "$TMP/nginx/logs"
	cat >"$TMP/nginx/nginx.conf" <<-EOF
	# written by bench/run.sh; single process so its CPU is one PID's
	load_module $NGINX_STREAM_MODULE;
	worker_processes 1;
	master_process off;
	daemon off;
	pid $TMP/nginx/nginx.pid;
	error_log $TMP/nginx/error.log warn;
	worker_rlimit_nofile $HARD_NOFILE;
	events { worker_connections $((2 * NSESS)); }
	stream {
	    server {
	        listen 127.0.0.1:$NGINX_PORT udp;
	        proxy_pass 127.0.0.1:$ECHO_PORT;
	        proxy_timeout ${IDLE}s;
	        $NGINX_EXTRA
	    }
	}
	EOF
	NGX=("$NGINX" -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" \
	    -e "$TMP/nginx/error.log")
	"${NGX[@]}" -t >"$TMP/nginx-t.log" 2>&1 ||
	    { cat "$TMP/nginx-t.log" >&2; die "nginx -t failed"; }
	"${PIN_PROXY[@]}" "${NGX[@]}" 2>>"$TMP/nginx/error.log" &
	PIDS+=($!)
	PID[nginx]=$!
	ADDR[nginx]=127.0.0.1:$NGINX_PORT
	probe "${ADDR[nginx]}" ||
	    { cat "$TMP/nginx/error.log" >&2; die "nginx does not answer"; }
	TARGETS+=(nginx)
fi

# --- load runs -------------------------------------------------------------
RAW=$TMP/raw.tsv	# profile target round rps p50 p99 cpu_us/pkt lost busy% other%
: >"$RAW"

# run_load PROFILE TARGET ROUND DURATION CLIENTS WINDOW
run_load() {
	local prof=$1 tgt=$2 round=$3 dur=$4 n=$5 w=$6 pid c0 c1 t0 t1 out
	local sent recv rps p50 p99 lost late bad cpu="-" busy b0 b1 other=-
	pid=${PID[$tgt]}
	alive "$tgt"
	t0=$(date +%s%N)
	b0=$(cpubusy "$PROXY_CPU")
	c0=$(cputicks "$pid")
	out=$(timeout -k 2 "$(awk "BEGIN { print int($WARMUP + $dur + 15) }")" \
	    "${PIN_LOAD[@]}" "$LOAD" -n "$n" -w "$w" -s "$SIZE" \
	    -d "$dur" -W "$WARMUP" -l "$prof/$tgt/$round" "${ADDR[$tgt]}") ||
	    log "run.sh: udpload against $tgt failed: $out"
	alive "$tgt"
	c1=$(cputicks "$pid")
	b1=$(cpubusy "$PROXY_CPU")
	t1=$(date +%s%N)
	printf '%s\n' "$out" >>"$TMP/load.jsonl"
	sent=$(jget sent "$out") recv=$(jget received "$out")
	rps=$(jget replies_per_s "$out") p50=$(jget p50_us "$out")
	p99=$(jget p99_us "$out")
	sent=${sent:-0} recv=${recv:-0} rps=${rps:--} p50=${p50:--} p99=${p99:--}
	lost=$(jget lost "$out") late=$(jget late "$out") bad=$(jget bad "$out")
	lost=$((${lost:-0} + ${late:-0} + ${bad:-0}))
	# Proxy CPU per datagram forwarded (both directions).  For the
	# direct row this is the echo server's cost (shares CPU 1 with load).
	if ((sent + recv > 0)); then
		cpu=$(awk "BEGIN { printf \"%.3f\", ($c1 - $c0) * $TICK_US / ($sent + $recv) }")
	fi
	# Share of one CPU the process used over the whole run.
	busy=$(awk "BEGIN { printf \"%.0f\", ($c1 - $c0) * $TICK_US * 1000 * 100 / ($t1 - $t0) }")
	# Whatever else ran on the proxy's CPU (other processes, steal by
	# the hypervisor, interrupts): a check that the run was clean.
	if [[ $tgt != direct && ${#PIN_PROXY[@]} -gt 0 ]]; then
		other=$(awk "BEGIN { v = ($b1 - $b0 - ($c1 - $c0)) * $TICK_US * 1000 * 100 / ($t1 - $t0); printf \"%.0f\", v < 0 ? 0 : v }")
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$prof" "$tgt" \
	    "$round" "$rps" "$p50" "$p99" "$cpu" "$lost" "$busy" "$other" \
	    >>"$RAW"
	log "$(printf '  %-4s %-8s r%s  %8s replies/s  p50 %5s us  p99 %6s us  cpu %6s us/pkt  busy %3s%%  other %3s%%  lost %s' \
	    "$prof" "$tgt" "$round" "$rps" "$p50" "$p99" "$cpu" "$busy" "$other" "$lost")"
}

LOADAVG0=$(cut -d ' ' -f 1-3 /proc/loadavg)
log "run.sh: echo :$ECHO_PORT, targets ${TARGETS[*]}," \
    "pin ${PIN_PROXY[*]:-none} / ${PIN_LOAD[*]:-none}"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		order=("${TARGETS[@]}")
	else
		order=()
		for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do
			order+=("${TARGETS[$i]}")
		done
	fi
	for t in "${order[@]}"; do
		run_load thr "$t" "$r" "$DURATION" "$CLIENTS" "$WINDOW"
	done
	for t in "${order[@]}"; do
		run_load lat "$t" "$r" "$LAT_DURATION" 1 1
	done
	((OVERLOAD == 1)) || continue
	for t in "${order[@]}"; do
		[[ $t == direct ]] && continue
		run_load ovl "$t" "$r" "$LAT_DURATION" "$OVL_CLIENTS" "$OVL_WINDOW"
	done
done

# --- sessions: memory and setup cost -----------------------------------------
SESS=$TMP/sessions.tsv		# target rss_kb_before rss_kb_after ok cpu_us bytes/sess cpu_us/sess
: >"$SESS"
for t in "${TARGETS[@]}"; do
	[[ $t == direct ]] && continue
	pid=${PID[$t]}
	alive "$t"
	rss0=$(rss_kb "$pid") fd0=$(nfds "$pid") c0=$(cputicks "$pid")
	"${PIN_LOAD[@]}" "$LOAD" -S "$SESSIONS" -w 64 -T 1000 -d 30 -H 60 \
	    -l "sessions/$t" "${ADDR[$t]}" >"$TMP/sess-$t.out" &
	lpid=$!
	PIDS+=($lpid)
	for ((i = 0; i < 400; i++)); do	# up to 40 s
		[[ -s $TMP/sess-$t.out ]] && break
		kill -0 "$lpid" 2>/dev/null || break
		sleep 0.1
	done
	sleep 0.5
	alive "$t"
	rss1=$(rss_kb "$pid") fd1=$(nfds "$pid") c1=$(cputicks "$pid")
	if kill -TERM "$lpid" 2>/dev/null; then
		wait "$lpid" 2>/dev/null || true
	fi
	drop_pid "$lpid"	# reaped: never signal that PID again
	out=$(head -n 1 "$TMP/sess-$t.out")
	printf '%s\n' "$out" >>"$TMP/load.jsonl"
	ok=$(jget ok "$out")
	[[ -n $ok ]] || { log "run.sh: sessions run against $t failed"; ok=0; }
	if ((ok > 0)); then
		bps=$(awk "BEGIN { printf \"%.0f\", ($rss1 - $rss0) * 1024 / $ok }")
		cps=$(awk "BEGIN { printf \"%.1f\", ($c1 - $c0) * $TICK_US / $ok }")
	else
		bps=- cps=-
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$rss0" "$rss1" "$ok" \
	    "$bps" "$cps" "$fd0" "$fd1" >>"$SESS"
	log "$(printf '  sess %-8s %s sessions ok, RSS %s -> %s kB (%s B/session), fds %s -> %s, cpu %s us/session, setup p99 %s us' \
	    "$t" "$ok" "$rss0" "$rss1" "$bps" "$fd0" "$fd1" "$cps" \
	    "$(jget setup_p99_us "$out")")"
done

# udproxy's own counters (drops) at the end.
if [[ -n ${PID[udproxy]:-} ]]; then
	kill -USR1 "${PID[udproxy]}" 2>/dev/null || true
	sleep 0.3
fi

# --- report ------------------------------------------------------------------
# median PROFILE TARGET COLUMN (1-based in raw.tsv)
median() {
	awk -F '\t' -v p="$1" -v t="$2" -v c="$3" '
	    $1 == p && $2 == t && $c != "-" && $c != "" { v[n++] = $c }
	    END {
		if (n == 0) { print "-"; exit }
		for (i = 0; i < n; i++)		# insertion sort, n is small
			for (j = i; j > 0 && v[j - 1] + 0 > v[j] + 0; j--) {
				x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
			}
		m = (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
		printf (m >= 100 ? "%.0f\n" : "%.3g\n"), m
	    }' "$RAW"
}
sum_lost() {
	awk -F '\t' -v t="$1" '$2 == t && $1 != "ovl" { s += $8 } END { print s + 0 }' "$RAW"
}
sessval() {
	awk -F '\t' -v t="$1" -v c="$2" '$1 == t { print $c; f = 1 }
	    END { if (!f) print "-" }' "$SESS"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a == "-" || b == "-" || b + 0 == 0) print "-";
	    else printf "%.2f\n", a / b }'
}

row() {			# row LABEL BETTER DIRECT UDPROXY NGINX
	printf '| %-34s | %-6s | %10s | %10s | %10s | %8s |\n' "$1" "$2" \
	    "$3" "$4" "$5" "$(ratio "$4" "$5")"
}

COMMIT=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo none)
{
	echo
	echo "udproxy bench $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT," \
	    "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(uname -r)"
	echo "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')${NGINX_EXTRA:+ ($NGINX_EXTRA)}," \
	    "udproxy: $("$UDPROXY" -V 2>/dev/null || echo '-')" \
	    "(binary of $(date -u -r "$UDPROXY" '+%H:%M UTC' 2>/dev/null || echo '-'))"
	echo "rounds $ROUNDS (order alternates), medians; thr = $CLIENTS sessions x window $WINDOW for ${DURATION}s," \
	    "lat = 1 session x window 1 for ${LAT_DURATION}s;$( ((OVERLOAD == 1)) &&
	    echo " ovl = $OVL_CLIENTS x $OVL_WINDOW for ${LAT_DURATION}s;")" \
	    "payload $SIZE B;" \
	    "pin: proxy ${PIN_PROXY[*]:-none}, load+echo ${PIN_LOAD[*]:-none};" \
	    "loadavg before $LOADAVG0, after $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo
	printf '| %-34s | %-6s | %10s | %10s | %10s | %8s |\n' metric better \
	    direct udproxy nginx "udp/ngx"
	printf '|%s|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..36})" \
	    "--------" "------------" "------------" "------------" "----------"
	PROFILES=(thr lat)
	((OVERLOAD == 1)) && PROFILES+=(ovl)
	for p in "${PROFILES[@]}"; do
		row "$p: replies/s" higher "$(median $p direct 4)" \
		    "$(median $p udproxy 4)" "$(median $p nginx 4)"
		row "$p: p50 RTT us" lower "$(median $p direct 5)" \
		    "$(median $p udproxy 5)" "$(median $p nginx 5)"
		row "$p: p99 RTT us" lower "$(median $p direct 6)" \
		    "$(median $p udproxy 6)" "$(median $p nginx 6)"
		row "$p: proxy CPU us/datagram" lower "($(median $p direct 7))" \
		    "$(median $p udproxy 7)" "$(median $p nginx 7)"
		row "$p: proxy CPU busy %" info "($(median $p direct 9))" \
		    "$(median $p udproxy 9)" "$(median $p nginx 9)"
		[[ $p == ovl ]] && row "$p: lost datagrams per run" lower - \
		    "$(median $p udproxy 8)" "$(median $p nginx 8)"
	done
	row "mem: RSS bytes/session ($SESSIONS)" lower - \
	    "$(sessval udproxy 5)" "$(sessval nginx 5)"
	row "mem: CPU us/new session" lower - \
	    "$(sessval udproxy 6)" "$(sessval nginx 6)"
	row "lost datagrams (thr+lat, all runs)" lower "$(sum_lost direct)" \
	    "$(sum_lost udproxy)" "$(sum_lost nginx)"
	echo
	echo "(direct CPU = the echo server's, for scale; it shares CPU 1 with the load.)"
	awk -F '\t' -v lim="$OTHER_MAX" '$10 != "-" && $10 + 0 > lim {
		n++; s = s sprintf(" %s/%s/r%s:%s%%", $1, $2, $3, $10) }
	    END { if (n) print "WARNING: " n " runs had more than " lim "% of CPU 0" \
		" used by something other than the proxy (noise, rerun):" s }' "$RAW"
	if [[ -n ${PID[udproxy]:-} ]]; then
		grep -h 'stats' "$TMP/udproxy.log" | tail -n 1
	fi
	if [[ -s $TMP/nginx/error.log ]] && grep -q '\[\(emerg\|alert\|crit\|error\)\]' "$TMP/nginx/error.log"; then
		echo "nginx error.log:"
		grep '\[\(emerg\|alert\|crit\|error\)\]' "$TMP/nginx/error.log" | tail -n 5
	fi
} | tee "$TMP/report.txt"
