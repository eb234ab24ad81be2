#!/usr/bin/env bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# bench/dns.sh -- DNS queries through udproxy, nginx's stream module,
# dnsdist (one listener, no cache) and the floor relay to one nsd, side by
# side in one run, with dnsperf and udpload's DNS mode (-Q) as the clients;
# prints medians and the ratios udproxy/nginx, udproxy/dnsdist,
# udproxy/floor, one table per client.  See bench/README.md ("DNS").
#
# Knobs: UDPROXY NGINX NGINX_STREAM_MODULE NSD DNSDIST DNSPERF PROXY_CPUS=0
# LOAD_CPUS=1 ROUNDS=3 DURATION=5 WARMUP=0.5 CLIENTS=64 WINDOW=8
# LOADGENS="dnsperf udpload" NOPIN=1 KEEP=1 OTHER_MAX=10.  Loopback only;
# every process started here leads its own process group and those groups,
# and nothing else, are ended on exit.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
UDPROXY=${UDPROXY:-../src/udproxy}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_STREAM_MODULE=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
NSD=${NSD:-/usr/sbin/nsd}
DNSDIST=${DNSDIST:-/usr/bin/dnsdist}
DNSPERF=${DNSPERF:-/usr/bin/dnsperf}
LOADGENS=${LOADGENS:-dnsperf udpload}
PROXY_CPUS=${PROXY_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-0.5}
CLIENTS=${CLIENTS:-64}
WINDOW=${WINDOW:-8}
NOPIN=${NOPIN:-0}
KEEP=${KEEP:-0}
OTHER_MAX=${OTHER_MAX:-10}
LIFE=$((ROUNDS * 10 * (DURATION + 20) + 120))

PIDS=()
TMP=$(mktemp -d /tmp/udproxy-dns.XXXXXX)
log() { printf '%s\n' "$*" >&2; }
die() { log "dns.sh: $*"; exit 1; }
cleanup() {
	local pid i
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM -- "-$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 30; i++)); do
			kill -0 -- "-$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$pid" 2>/dev/null || true
		kill -0 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	if [[ $KEEP == 1 ]]; then log "dns.sh: kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
start_bg() {
	local out=$1 err=$2
	shift 2
	setsid "$@" >"$out" 2>"$err" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}
jget() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }
cputicks() {
	local line rest
	read -r line <"/proc/$1/stat"
	rest=${line##*) }
	set -- $rest
	echo $((${12} + ${13}))
}
# CPU ticks of every process in process group $1 (nsd forks its server
# processes; a process's threads, dnsdist's, are in its own stat line).
grouptick() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" '{
	    i = index($0, ") "); split(substr($0, i + 2), f, " ")
	    if (f[3] == g) s += f[12] + f[13] } END { print s + 0 }'
}
allbusy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
childticks() {
	local t u s
	times >"$TMP/times"
	t=$(tail -n 1 "$TMP/times")
	u=${t%% *} s=${t##* }
	CHILD_TICKS=$(awk -v u="$u" -v s="$s" -v hz="$(getconf CLK_TCK)" 'BEGIN {
	    split(u, a, "m"); split(s, b, "m")
	    printf "%.0f\n", (a[1] * 60 + a[2] + b[1] * 60 + b[2]) * hz }')
}

for b in "$UDPROXY" "$NGINX" "$NSD" "$DNSDIST"; do
	[[ -x $b ]] || die "missing $b"
done
for g in $LOADGENS; do
	case $g in
	udpload) ;;
	dnsperf) [[ -x $DNSPERF ]] || die "missing $DNSPERF (Debian: dnsperf)" ;;
	*) die "unknown load generator $g (LOADGENS: dnsperf udpload)" ;;
	esac
done
CFLAGS="-std=c11 -O2 -Wall -Wextra"
gcc $CFLAGS -o "$TMP/udpload" udpload.c || die "cannot build udpload"
gcc $CFLAGS -o "$TMP/floor" floor.c || die "cannot build floor"
LOAD=$TMP/udpload
PIN_PROXY=() PIN_LOAD=()
if [[ $NOPIN != 1 ]] && command -v taskset >/dev/null && (($(nproc) >= 2)); then
	PIN_PROXY=(taskset -c "$PROXY_CPUS")
	PIN_LOAD=(taskset -c "$LOAD_CPUS")
fi
TICK_US=$((1000000 / $(getconf CLK_TCK)))
mapfile -t P < <("$LOAD" -P 5)
((${#P[@]} == 5)) || die "no free ports"
NSD_PORT=${P[0]} UDP_PORT=${P[1]} NGX_PORT=${P[2]} DD_PORT=${P[3]} FLOOR_PORT=${P[4]}
QNAME=bench.example

probe() {
	local i
	for ((i = 0; i < 25; i++)); do
		"$LOAD" -Q "$QNAME" -n 1 -w 1 -W 0 -d 0.2 -m 1 "$1" >/dev/null &&
		    return 0
		sleep 0.2
	done
	return 1
}

# --- nsd: one zone, no rate limiting, on the load CPUs ----------------------
mkdir -p "$TMP/nsd"
cat >"$TMP/nsd/bench.zone" <<EOF
\$ORIGIN $QNAME.
\$TTL 3600
@ IN SOA ns.$QNAME. admin.$QNAME. 1 3600 900 604800 300
@ IN NS ns.$QNAME.
ns IN A 127.0.0.1
@ IN A 192.0.2.1
EOF
cat >"$TMP/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$NSD_PORT
  port: $NSD_PORT
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$TMP/nsd"
  database: ""
  zonelistfile: "$TMP/nsd/zone.list"
  xfrdfile: "$TMP/nsd/xfrd.state"
  pidfile: "$TMP/nsd/nsd.pid"
  logfile: "$TMP/nsd/nsd.log"
  do-ip6: no
  tcp-count: 10
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: $QNAME
  zonefile: bench.zone
EOF
start_bg /dev/null "$TMP/nsd/stderr" "${PIN_LOAD[@]}" "$NSD" -d -c "$TMP/nsd/nsd.conf"
NSD_PID=$BG_PID
probe "127.0.0.1:$NSD_PORT" || { cat "$TMP/nsd/stderr" >&2; die "nsd does not answer"; }

declare -A ADDR PID
TARGETS=(direct udproxy nginx dnsdist floor)
ADDR[direct]=127.0.0.1:$NSD_PORT PID[direct]=$NSD_PID

cat >"$TMP/udproxy.conf" <<EOF
log_level = "notice";
routes = ( { name = "dns"; listen = "127.0.0.1:$UDP_PORT";
    upstream = "127.0.0.1:$NSD_PORT"; idle_timeout = 10; } );
EOF
start_bg /dev/null "$TMP/udproxy.log" "${PIN_PROXY[@]}" "$UDPROXY" -f \
    -c "$TMP/udproxy.conf" -p "$TMP/udproxy.pid"
PID[udproxy]=$BG_PID ADDR[udproxy]=127.0.0.1:$UDP_PORT

mkdir -p "$TMP/nginx"
cat >"$TMP/nginx/nginx.conf" <<EOF
load_module $NGINX_STREAM_MODULE;
worker_processes 1;
master_process off;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
stream { server { listen 127.0.0.1:$NGX_PORT udp;
    proxy_pass 127.0.0.1:$NSD_PORT; proxy_timeout 10s; } }
EOF
start_bg /dev/null "$TMP/nginx/stderr" "${PIN_PROXY[@]}" "$NGINX" \
    -p "$TMP/nginx/" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log"
PID[nginx]=$BG_PID ADDR[nginx]=127.0.0.1:$NGX_PORT

# dnsdist: one listener, one backend, no packet cache, no health-check
# traffic to speak of, and no security polling (it would query the
# system's resolver for a name on the Internet).
cat >"$TMP/dnsdist.conf" <<EOF
setSecurityPollSuffix("")
setLocal("127.0.0.1:$DD_PORT")
newServer({address="127.0.0.1:$NSD_PORT", name="nsd", checkInterval=3600})
setServerPolicy(firstAvailable)
EOF
start_bg /dev/null "$TMP/dnsdist.log" "${PIN_PROXY[@]}" "$DNSDIST" \
    --supervised --disable-syslog -C "$TMP/dnsdist.conf"
PID[dnsdist]=$BG_PID ADDR[dnsdist]=127.0.0.1:$DD_PORT

start_bg /dev/null "$TMP/floor.log" "${PIN_PROXY[@]}" "$TMP/floor" -t "$LIFE" \
    -i 10 "127.0.0.1:$FLOOR_PORT" "127.0.0.1:$NSD_PORT"
PID[floor]=$BG_PID ADDR[floor]=127.0.0.1:$FLOOR_PORT

for t in "${TARGETS[@]}"; do
	probe "${ADDR[$t]}" || die "$t does not answer"
	[[ $(ps -o pgid= -p "${PID[$t]}" | tr -d ' ') == "${PID[$t]}" ]] ||
	    die "$t is not a process group leader"
done
[[ -z $(grep -i 'secpoll\|security status' "$TMP/dnsdist.log" || true) ]] ||
    log "dns.sh: note: dnsdist log mentions security polling"

printf '%s A\n' "$QNAME" >"$TMP/queries.txt"
RAW=$TMP/raw.tsv	# target round qps p50 p99 cpu_us/query lost other% loadgen
: >"$RAW"
# One closed-loop run of load generator $3 against target $1.  Sets QPS P50
# P99 SENT RECV LOST; dnsperf reports no percentiles, only the mean and
# its standard deviation (its columns hold those instead).
load_udpload() {
	local out
	out=$(timeout -k 2 $((DURATION + 15)) "${PIN_LOAD[@]}" "$LOAD" -Q "$QNAME" \
	    -n "$CLIENTS" -w "$WINDOW" -d "$DURATION" -W "$WARMUP" \
	    -l "dns/$1/$2" "${ADDR[$1]}") || log "dns.sh: udpload against $1 failed"
	printf '%s\n' "$out" >>"$TMP/load.jsonl"
	local lost late bad
	QPS=$(jget replies_per_s "$out") P50=$(jget p50_us "$out") P99=$(jget p99_us "$out")
	SENT=$(jget sent "$out") RECV=$(jget received "$out")
	SENT=${SENT:-0} RECV=${RECV:-0}
	# Written off after 200 ms, less those answered later (see run.sh).
	lost=$(jget lost "$out") late=$(jget late "$out") bad=$(jget bad "$out")
	lost=${lost:-0} late=${late:-0}
	LOST=$(( (lost > late ? lost - late : 0) + ${bad:-0} ))
}
# dnsperf: CLIENTS sockets (one session each in a proxy), CLIENTS x WINDOW
# queries outstanding, the same query over and over; a query without an
# answer after 1 s is lost.  It has no warm-up, so its first WARMUP is in.
load_dnsperf() {
	local out host=${ADDR[$1]%:*} port=${ADDR[$1]##*:}
	out=$(timeout -k 2 $((DURATION + 15)) "${PIN_LOAD[@]}" "$DNSPERF" -s "$host" \
	    -p "$port" -d "$TMP/queries.txt" -c "$CLIENTS" -q $((CLIENTS * WINDOW)) \
	    -l "$DURATION" -t 1 -O suppress=timeouts,unexpected 2>&1) ||
	    log "dns.sh: dnsperf against $1 failed"
	printf 'dnsperf %s %s\n%s\n' "$1" "$2" "$out" >>"$TMP/dnsperf.log"
	QPS=$(awk '/Queries per second:/ { printf "%.0f", $4 }' <<<"$out")
	P50=$(awk '/Average Latency \(s\):/ { printf "%.0f", $4 * 1e6 }' <<<"$out")
	P99=$(awk '/Latency StdDev \(s\):/ { printf "%.0f", $4 * 1e6 }' <<<"$out")
	SENT=$(awk '/Queries sent:/ { print $3 }' <<<"$out")
	RECV=$(awk '/Queries completed:/ { print $3 }' <<<"$out")
	LOST=$(awk '/Queries lost:/ { print $3 }' <<<"$out")
	[[ -n $QPS && -n $SENT ]] || { log "dns.sh: no dnsperf statistics: $out"; QPS=0 SENT=0 RECV=0 LOST=0; }
}
run() {
	local t=$1 r=$2 g=$3 pid=${PID[$1]} c0 c1 a0 a1 k0 k1 n0 n1 t0 t1 cpu other
	kill -0 "$pid" 2>/dev/null || die "$t is gone"
	t0=$(date +%s%N) a0=$(allbusy) c0=$(grouptick "$pid") n0=$(grouptick "$NSD_PID")
	childticks; k0=$CHILD_TICKS
	"load_$g" "$t" "$r"
	childticks; k1=$CHILD_TICKS
	c1=$(grouptick "$pid") n1=$(grouptick "$NSD_PID") a1=$(allbusy) t1=$(date +%s%N)
	[[ $t == direct ]] && n1=$n0
	cpu=$(awk -v c=$((c1 - c0)) -v s="$SENT" -v r="$RECV" \
	    -v u="$TICK_US" 'BEGIN { printf "%.2f", (s + r > 0 ? c * u / (s + r) : 0) }')
	other=$(awk "BEGIN { v = ($a1 - $a0 - ($c1 - $c0) - ($n1 - $n0) - ($k1 - $k0)) * $TICK_US * 100000 / ($t1 - $t0); printf \"%.0f\", v < 0 ? 0 : v }")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$r" "$QPS" "$P50" "$P99" \
	    "$cpu" "$LOST" "$other" "$g" >>"$RAW"
	log "  dns $(tail -n 1 "$RAW")"
}
log "dns.sh: targets ${TARGETS[*]}, $CLIENTS clients x $WINDOW, pin ${PIN_PROXY[*]:-none} / ${PIN_LOAD[*]:-none}"
for ((r = 1; r <= ROUNDS; r++)); do
	order=("${TARGETS[@]}")
	((r % 2)) || order=(floor dnsdist nginx udproxy direct)
	for g in $LOADGENS; do
		for t in "${order[@]}"; do run "$t" "$r" "$g"; done
	done
done

med() {
	awk -F '\t' -v t="$1" -v c="$2" -v g="$G" '$1 == t && $9 == g && $c != "" { v[n++] = $c }
	    END { if (!n) { print "-"; exit }
		for (i = 0; i < n; i++) for (j = i; j > 0 && v[j-1] + 0 > v[j] + 0; j--) {
		    x = v[j]; v[j] = v[j-1]; v[j-1] = x }
		m = n % 2 ? v[int(n/2)] : (v[n/2-1] + v[n/2]) / 2
		printf (m >= 100 ? "%.0f\n" : "%.3g\n"), m }' "$RAW"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'; }
{
	echo
	echo "udproxy DNS bench $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -r);" \
	    "$("$NSD" -v 2>&1 | head -n 1), $("$DNSDIST" --version | head -n 1 | cut -d ' ' -f 1-2)," \
	    "$("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); $CLIENTS clients x window $WINDOW," \
	    "${DURATION}s, rounds $ROUNDS (medians); loadavg $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo
	for G in $LOADGENS; do
	if [[ $G == dnsperf ]]; then
		metrics=("queries/s:3" "mean latency us:4" "latency sd us:5" "CPU us/datagram:6" "lost/run:7" "other CPU %:8")
		echo "dnsperf $("$DNSPERF" -h 2>&1 | sed -n 's/^Version //p'), -c $CLIENTS -q $((CLIENTS * WINDOW)) -l $DURATION:"
	else
		metrics=("queries/s:3" "p50 us:4" "p99 us:5" "CPU us/datagram:6" "lost/run:7" "other CPU %:8")
		echo "udpload -Q, $CLIENTS clients x window $WINDOW, ${DURATION}s:"
	fi
	echo
	printf '| %-16s | %8s | %8s | %8s | %8s | %8s | %7s | %7s | %7s |\n' metric direct \
	    udproxy nginx dnsdist floor udp/ngx udp/dd udp/flr
	echo "|------------------|----------|----------|----------|----------|----------|---------|---------|---------|"
	for m in "${metrics[@]}"; do
		IFS=: read -r label c <<<"$m"
		u=$(med udproxy "$c")
		printf '| %-16s | %8s | %8s | %8s | %8s | %8s | %7s | %7s | %7s |\n' "$label" \
		    "$(med direct "$c")" "$u" "$(med nginx "$c")" "$(med dnsdist "$c")" \
		    "$(med floor "$c")" "$(ratio "$u" "$(med nginx "$c")")" \
		    "$(ratio "$u" "$(med dnsdist "$c")")" "$(ratio "$u" "$(med floor "$c")")"
	done
	echo
	done
	echo "(CPU of direct = nsd's. CPU of dnsdist covers all its threads, pinned like the others.)"
	awk -F '\t' -v lim="$OTHER_MAX" '$8 + 0 > lim { n++; s = s " " $1 "/r" $2 ":" $8 "%" }
	    END { if (n) print "WARNING: " n " runs had more than " lim "% of a CPU used by other processes:" s }' "$RAW"
} | tee "$TMP/report.txt"
