#!/usr/bin/env bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# bench/run.sh -- udproxy against nginx's stream module and the reference
# floor relay (bench/floor.c), side by side, on the same loopback load in one
# run; prints medians per target and the ratios udproxy/nginx and
# udproxy/floor per metric.  See bench/README.md.
#
# Knobs (environment):
#   UDPROXY=path      udproxy binary (default ../src/udproxy relative to bench/)
#   NGINX=path        nginx binary (default /usr/sbin/nginx)
#   NGINX_STREAM_MODULE=path   (default /usr/lib/nginx/modules/ngx_stream_module.so)
#   PROXY_CPUS=0      CPU list (taskset -c syntax) for the proxy under test
#   LOAD_CPUS=1       CPU list for udpload and udpecho
#   ROUNDS=3          rounds; the order of the targets alternates per round
#   DURATION=5        seconds per throughput run (after WARMUP)
#   LAT_DURATION=3    seconds per latency, many-clients and overload run
#   WARMUP=0.5        seconds of load before measuring starts
#   PROFILES='...'    space-separated NAME:CLIENTS:WINDOW:SIZE[:SECONDS[:RATE]]
#                     (RATE: open loop, requests/s in all); the default is
#                     thr:64:8:64 big:64:8:1200 lat:1:1:100
#                     fix:64:8:100:3:20000 many:10000:1:100 ovl:256:64:100
#                     (ovl runs no direct row)
#   SESSIONS=5000     sessions for the memory test
#   SESS_ROUNDS=ROUNDS  rounds of the sessions run (new sessions/s is the
#                     median; RSS per session is taken from round 1)
#   SESS_WINDOW=64    sessions being set up at once in the sessions run
#                     (each a new source port sending one datagram)
#   IDLE=10           session idle timeout of every proxy, s; runs with 1000
#                     clients or more wait for their sessions to expire so
#                     the ephemeral port range is not exhausted
#   NGINX_EXTRA='...' extra directives for nginx's stream server block
#   FLOOR_OPTS='...'  options for the floor relay (e.g. -g for UDP GSO)
#   UDPROXY_B=path    a second udproxy binary, run side by side as target
#                     udproxyB (before/after a change): adds the udp/B ratio
#   NO_NGINX=1  NO_UDPROXY=1  NO_FLOOR=1  NO_DIRECT=1   skip a target
#   BUILD_UDPROXY=1   build udproxy (autogen/configure/make at the top) if
#                     the binary is missing; 0 = fail instead
#   SYSCALLS=1        after the rounds, one more run of the first profile
#                     per proxy under `perf stat` to count its system calls
#                     per round trip (0: skip)
#   KEEP=1            keep the temporary directory (configs, logs, raw data)
#   NOPIN=1           do not pin with taskset
#   WORKERS=1         forwarding threads/processes of each proxy: udproxy
#                     gets `workers = N`; nginx gets `worker_processes N`
#                     with a master process and `listen ... reuseport`
#                     when N > 1 (its CPU, RSS and descriptors are then
#                     summed over the master and its workers).  The floor
#                     stays single-threaded whatever N is.
#   OTHER_MAX=10      warn about runs where more than this % of one CPU went
#                     to anything but the processes of the run (other jobs,
#                     hypervisor steal): noisy runs
# Every process this script starts runs in its own process group (setsid);
# on exit, normal or not (a failed start-up included), each of those groups
# is ended, and nothing else.

set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
cd "$HERE"
UDPROXY=${UDPROXY:-../src/udproxy}
NGINX=${NGINX:-/usr/sbin/nginx}
NGINX_STREAM_MODULE=${NGINX_STREAM_MODULE:-/usr/lib/nginx/modules/ngx_stream_module.so}
PROXY_CPUS=${PROXY_CPUS:-0}
LOAD_CPUS=${LOAD_CPUS:-1}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
LAT_DURATION=${LAT_DURATION:-3}
WARMUP=${WARMUP:-0.5}
PROFILES=${PROFILES:-thr:64:8:64 big:64:8:1200 lat:1:1:100 fix:64:8:100:3:20000 many:10000:1:100 ovl:256:64:100}
SESSIONS=${SESSIONS:-5000}
SESS_ROUNDS=${SESS_ROUNDS:-$ROUNDS}
SESS_WINDOW=${SESS_WINDOW:-64}
NO_NGINX=${NO_NGINX:-0}
NGINX_EXTRA=${NGINX_EXTRA:-}
NO_UDPROXY=${NO_UDPROXY:-0}
NO_FLOOR=${NO_FLOOR:-0}
NO_DIRECT=${NO_DIRECT:-0}
FLOOR_OPTS=${FLOOR_OPTS:-}
UDPROXY_B=${UDPROXY_B:-}
BUILD_UDPROXY=${BUILD_UDPROXY:-1}
KEEP=${KEEP:-0}
NOPIN=${NOPIN:-0}
OTHER_MAX=${OTHER_MAX:-10}
WORKERS=${WORKERS:-1}
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: bad WORKERS '$WORKERS'" >&2; exit 2; }
IDLE=${IDLE:-10}
SYSCALLS=${SYSCALLS:-1}

# Parse the profiles: NAME:CLIENTS:WINDOW:SIZE[:SECONDS[:RATE]].
declare -A P_N P_W P_S P_D P_R
PNAMES=()
MAXCLIENTS=1
for spec in $PROFILES; do
	pr=
	IFS=: read -r pn pc pw ps pd pr <<<"$spec"
	[[ $pn =~ ^[a-z0-9]+$ && $pc =~ ^[0-9]+$ && $pw =~ ^[0-9]+$ &&
	    $ps =~ ^[0-9]+$ ]] || { echo "run.sh: bad profile '$spec'" >&2; exit 2; }
	if [[ -z ${pd:-} ]]; then
		case $pn in thr|big) pd=$DURATION ;; *) pd=$LAT_DURATION ;; esac
	fi
	[[ -z $pr || $pr =~ ^[0-9]+$ ]] || { echo "run.sh: bad rate in '$spec'" >&2; exit 2; }
	PNAMES+=("$pn") P_N[$pn]=$pc P_W[$pn]=$pw P_S[$pn]=$ps P_D[$pn]=$pd P_R[$pn]=$pr
	((pc > MAXCLIENTS)) && MAXCLIENTS=$pc
done
NPROF=${#PNAMES[@]}
LIFE=$((ROUNDS * 5 * NPROF * (DURATION + LAT_DURATION + IDLE + 8) +
    SESS_ROUNDS * 5 * (IDLE + 50) + 600))	# hard cap

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

# Each PID in PIDS leads its own process group (start_bg); ending the group
# also ends anything it started (taskset's exec, a child of the proxy).
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
		if kill -0 -- "-$pid" 2>/dev/null; then
			kill -KILL -- "-$pid" 2>/dev/null || true
		fi
		# Reap it if it is ours and still there (never blocks then).
		kill -0 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	done
	if [[ $KEEP == 1 ]]; then
		log "run.sh: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_bg OUT ERR CMD...: runs CMD in the background as the leader of a
# new process group (setsid execs in place: the PID is the group's ID) and
# records it for cleanup.  Sets BG_PID.
start_bg() {
	local out=$1 err=$2
	shift 2
	setsid "$@" >"$out" 2>"$err" &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# jget KEY JSONLINE: the value of a flat numeric/string key.
jget() { sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$2"; }

# The processes of the group PID leads (start_bg makes every target lead
# its own): the proxy itself, and nginx's worker processes when it runs
# with a master.  A target's CPU, memory and descriptors are summed over
# them; /proc/PID/stat of a process already covers all of its threads
# (udproxy's workers).
grouppids() { pgrep -g "$1" 2>/dev/null || echo "$1"; }
# "UTIME STIME" (clock ticks) of the process group PID leads, summed.
cpusplit() {
	local p line rest u=0 s=0
	for p in $(grouppids "$1"); do
		read -r line 2>/dev/null <"/proc/$p/stat" || continue
		rest=${line##*) }	# comm may contain spaces; cut after it
		set -- $rest
		u=$((u + ${12})) s=$((s + ${13}))
	done
	echo "$u $s"
}
# CPU time (utime+stime, clock ticks) of the process group PID leads.
cputicks() {
	local u s
	read -r u s <<<"$(cpusplit "$1")"
	echo $((u + s))
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
# cpulist LIST: the CPU numbers of a taskset list ("0", "0-3", "0,2-3").
cpulist() {
	local part lo hi i out=()
	IFS=, read -ra parts <<<"$1"
	for part in "${parts[@]}"; do
		lo=${part%-*} hi=${part#*-}
		[[ $lo =~ ^[0-9]+$ && $hi =~ ^[0-9]+$ ]] || return 1
		for ((i = lo; i <= hi; i++)); do out+=("$i"); done
	done
	echo "${out[*]}"
}
# Busy and steal ticks over all CPUs from /proc/stat: "BUSY STEAL", busy
# being user nice system irq softirq steal.
cpustat() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $9 }' /proc/stat
}
# Busy ticks of the CPUs in a list.
cpubusy() {
	awk -v l=" $1 " '$1 ~ /^cpu[0-9]/ && index(l, " " substr($1, 4) " ") {
	    s += $2 + $3 + $4 + $7 + $8 + $9 } END { print s + 0 }' /proc/stat
}
# Ticks used by this shell's reaped children so far, into CHILD_TICKS
# (bash's `times`, 2nd line; run in this shell, not in a subshell, which
# would start with no children).
childticks() {
	local t u s
	times >"$TMP/times"
	t=$(tail -n 1 "$TMP/times")
	u=${t%% *} s=${t##* }
	CHILD_TICKS=$(awk -v u="$u" -v s="$s" -v hz="$(getconf CLK_TCK)" 'BEGIN {
	    split(u, a, "m"); split(s, b, "m")
	    printf "%.0f\n", (a[1] * 60 + a[2] + b[1] * 60 + b[2]) * hz }')
}
# RSS (kB) and open descriptors of the process group PID leads, summed.
rss_kb() {
	local p n=0 v
	for p in $(grouppids "$1"); do
		v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
		n=$((n + ${v:-0}))
	done
	echo "$n"
}
nfds() {
	local p n=0
	for p in $(grouppids "$1"); do
		n=$((n + $(ls "/proc/$p/fd" 2>/dev/null | wc -l)))
	done
	echo "$n"
}

# --- tools -----------------------------------------------------------------
CFLAGS="-std=c11 -O2 -Wall -Wextra"
gcc $CFLAGS -o "$TMP/udpecho" udpecho.c || die "cannot build udpecho"
gcc $CFLAGS -o "$TMP/udpload" udpload.c || die "cannot build udpload"
gcc $CFLAGS -o "$TMP/floor" floor.c || die "cannot build floor"
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
PROXY_CPU_LIST=$(cpulist "$PROXY_CPUS") || die "bad PROXY_CPUS '$PROXY_CPUS'"
cpulist "$LOAD_CPUS" >/dev/null || die "bad LOAD_CPUS '$LOAD_CPUS'"
if [[ $NOPIN != 1 ]] && command -v taskset >/dev/null &&
    (($(nproc) >= 2)); then
	PIN_PROXY=(taskset -c "$PROXY_CPUS")
	PIN_LOAD=(taskset -c "$LOAD_CPUS")
fi
# Do the proxy and the load share a CPU?  (PROXY_CPUS=0-1 LOAD_CPUS=0-1:
# the proxy's workers compete with udpload and udpecho for the same cores.)
CPUS_SHARED=0
for c in $(cpulist "$LOAD_CPUS"); do
	[[ " $PROXY_CPU_LIST " == *" $c "* ]] && CPUS_SHARED=1
done
TICK_US=$((1000000 / $(getconf CLK_TCK)))
NCPU=$(nproc)

# --- upstream and proxies --------------------------------------------------
mapfile -t PORTS < <("$LOAD" -P 3)
((${#PORTS[@]} == 3)) || die "no free ports"
UDPROXY_PORT=${PORTS[0]} NGINX_PORT=${PORTS[1]} UDPROXYB_PORT=${PORTS[2]}

# wait_port FILE: the "port" of the JSON first line a tool prints (5 s).
wait_port() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$(jget port "$(head -n 1 "$1" 2>/dev/null)")
		[[ -n $p ]] && { echo "$p"; return 0; }
		sleep 0.1
	done
	return 1
}

start_bg "$TMP/echo.out" "$TMP/echo.err" "${PIN_LOAD[@]}" "$ECHO_BIN" \
    -t "$LIFE" 127.0.0.1:0
ECHO_PID=$BG_PID
ECHO_PORT=$(wait_port "$TMP/echo.out") || die "udpecho did not start"

# probe ADDR:PORT: one round trip through it, retried for up to 5 s.
probe() {
	local i
	for ((i = 0; i < 25; i++)); do
		"$LOAD" -n 1 -w 1 -W 0 -d 0.2 -m 1 "$1" >/dev/null && return 0
		sleep 0.2
	done
	return 1
}

TARGETS=()
declare -A ADDR PID
if [[ $NO_DIRECT != 1 ]]; then
	TARGETS+=(direct)
	ADDR[direct]=127.0.0.1:$ECHO_PORT
	PID[direct]=$ECHO_PID
fi

# Sessions alive at once: the memory test, or the largest profile plus
# what the runs before it left (they expire after IDLE).  nginx needs two
# connection slots per UDP session.
NSESS=$(( (SESSIONS > MAXCLIENTS ? SESSIONS : MAXCLIENTS) + 1000 ))
HARD_NOFILE=$(ulimit -Hn)
[[ $HARD_NOFILE == unlimited ]] && HARD_NOFILE=1048576
((NSESS + 64 <= HARD_NOFILE)) ||
    die "SESSIONS or profile clients too large for RLIMIT_NOFILE hard limit $HARD_NOFILE"
ulimit -n "$HARD_NOFILE"

# workers = 1 is the default and is not written, so a binary from before
# the setting existed (UDPROXY_B, git bisect) still takes the config.
UDPROXY_WORKERS=
((WORKERS > 1)) && UDPROXY_WORKERS="workers = $WORKERS;"
if [[ $NO_UDPROXY != 1 ]]; then
	cat >"$TMP/udproxy.conf" <<-EOF
	# written by bench/run.sh
	log_level = "notice";
	$UDPROXY_WORKERS
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
	start_bg /dev/null "$TMP/udproxy.log" "${PIN_PROXY[@]}" "$UDPROXY" \
	    -f -c "$TMP/udproxy.conf" -p "$TMP/udproxy.pid"
	PID[udproxy]=$BG_PID
	ADDR[udproxy]=127.0.0.1:$UDPROXY_PORT
	probe "${ADDR[udproxy]}" ||
	    { cat "$TMP/udproxy.log" >&2; die "udproxy does not answer"; }
	TARGETS+=(udproxy)
fi

if [[ -n $UDPROXY_B ]]; then
	cat >"$TMP/udproxyB.conf" <<-EOF
	# written by bench/run.sh
	log_level = "notice";
	$UDPROXY_WORKERS
	routes = (
	  {
	    name = "bench";
	    listen = "127.0.0.1:$UDPROXYB_PORT";
	    upstream = "127.0.0.1:$ECHO_PORT";
	    idle_timeout = $IDLE;
	  }
	);
	EOF
	"$UDPROXY_B" -t -c "$TMP/udproxyB.conf" >"$TMP/udproxyB-t.log" 2>&1 ||
	    { cat "$TMP/udproxyB-t.log" >&2; die "udproxyB -t rejected the config"; }
	start_bg /dev/null "$TMP/udproxyB.log" "${PIN_PROXY[@]}" "$UDPROXY_B" \
	    -f -c "$TMP/udproxyB.conf" -p "$TMP/udproxyB.pid"
	PID[udproxyB]=$BG_PID
	ADDR[udproxyB]=127.0.0.1:$UDPROXYB_PORT
	probe "${ADDR[udproxyB]}" ||
	    { cat "$TMP/udproxyB.log" >&2; die "udproxyB does not answer"; }
	TARGETS+=(udproxyB)
fi

if [[ $NO_NGINX != 1 ]]; then
	mkdir -p "$TMP/nginx/logs"
	# One worker: a single process (no master), as before.  N workers: a
	# master and N worker processes, each with its own reuseport socket
	# (nginx's equivalent of udproxy's per-worker listeners); they stay
	# in the master's process group, over which run.sh sums CPU.
	if ((WORKERS > 1)); then
		NGX_PROC="worker_processes $WORKERS; master_process on;"
		((EUID == 0)) && NGX_PROC+=" user root;"	# workers as privileged as N = 1
		NGX_REUSE=" reuseport"
	else
		NGX_PROC="worker_processes 1; master_process off;"
		NGX_REUSE=
	fi
	cat >"$TMP/nginx/nginx.conf" <<-EOF
	# written by bench/run.sh
	load_module $NGINX_STREAM_MODULE;
	$NGX_PROC
	daemon off;
	pid $TMP/nginx/nginx.pid;
	error_log $TMP/nginx/error.log warn;
	worker_rlimit_nofile $HARD_NOFILE;
	events { worker_connections $((2 * NSESS)); }
	stream {
	    server {
	        listen 127.0.0.1:$NGINX_PORT udp$NGX_REUSE;
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
	start_bg /dev/null "$TMP/nginx/stderr.log" "${PIN_PROXY[@]}" "${NGX[@]}"
	PID[nginx]=$BG_PID
	ADDR[nginx]=127.0.0.1:$NGINX_PORT
	probe "${ADDR[nginx]}" ||
	    { cat "$TMP/nginx/error.log" "$TMP/nginx/stderr.log" >&2; die "nginx does not answer"; }
	TARGETS+=(nginx)
fi

if [[ $NO_FLOOR != 1 ]]; then
	# shellcheck disable=SC2086	# FLOOR_OPTS is a word list
	start_bg "$TMP/floor.out" "$TMP/floor.log" "${PIN_PROXY[@]}" \
	    "$TMP/floor" -t "$LIFE" -i "$IDLE" -N "$NSESS" $FLOOR_OPTS \
	    127.0.0.1:0 "127.0.0.1:$ECHO_PORT"
	PID[floor]=$BG_PID
	FLOOR_PORT=$(wait_port "$TMP/floor.out") || die "floor did not start"
	ADDR[floor]=127.0.0.1:$FLOOR_PORT
	probe "${ADDR[floor]}" || die "floor does not answer"
	TARGETS+=(floor)
fi

# Every background process must lead its own group, or cleanup could miss it.
for t in "${TARGETS[@]}"; do
	[[ $(ps -o pgid= -p "${PID[$t]}" | tr -d ' ') == "${PID[$t]}" ]] ||
	    die "$t (pid ${PID[$t]}) is not a process group leader"
done

# --- load runs -------------------------------------------------------------
# profile target round rps p50 p99 cpu_us/pkt lost busy% other% steal% kdrops
RAW=$TMP/raw.tsv
: >"$RAW"

# Drops counted by the kernel on a listener port (/proc/net/udp, last column).
kdrops() {
	local hex
	hex=$(printf '%04X' "$1")
	awk -v p=":$hex" '$2 ~ p "$" { s += $NF } END { print s + 0 }' /proc/net/udp
}
portof() { echo "${1##*:}"; }

# wait_sessions TARGET: after a run with many clients, wait (bounded) until
# the target's sessions have expired, so the next run finds free ports.
wait_sessions() {
	local pid=${PID[$1]} base=$2 i
	[[ $1 == direct ]] && return 0
	for ((i = 0; i < (IDLE + 10) * 10; i++)); do
		(($(nfds "$pid") <= base + 16)) && return 0
		sleep 0.1
	done
	log "run.sh: $1 still holds $(nfds "$pid") descriptors"
}

# run_load PROFILE TARGET ROUND
run_load() {
	local prof=$1 tgt=$2 round=$3 pid c0 c1 t0 t1 out e0 e1 k0 k1 fd0
	local dur=${P_D[$1]} n=${P_N[$1]} w=${P_W[$1]} size=${P_S[$1]}
	local rate=()
	[[ -n ${P_R[$1]} ]] && rate=(-r "${P_R[$1]}")
	local sent recv rps p50 p99 lost late bad cpu="-" busy b0 b1 other=-
	local a0 a1 st0 st1 steal kd0 kd1 kd
	pid=${PID[$tgt]}
	alive "$tgt"
	fd0=$(nfds "$pid")
	kd0=$(kdrops "$(portof "${ADDR[$tgt]}")")
	t0=$(date +%s%N)
	b0=$(cpubusy "$PROXY_CPU_LIST")
	read -r a0 st0 <<<"$(cpustat)"
	c0=$(cputicks "$pid") e0=$(cputicks "$ECHO_PID")
	childticks
	k0=$CHILD_TICKS
	out=$(timeout -k 2 "$(awk "BEGIN { print int($WARMUP + $dur + 15) }")" \
	    "${PIN_LOAD[@]}" "$LOAD" -n "$n" -w "$w" -s "$size" "${rate[@]}" \
	    -d "$dur" -W "$WARMUP" -l "$prof/$tgt/$round" "${ADDR[$tgt]}") ||
	    log "run.sh: udpload against $tgt failed: $out"
	alive "$tgt"
	c1=$(cputicks "$pid") e1=$(cputicks "$ECHO_PID")
	childticks
	k1=$CHILD_TICKS
	read -r a1 st1 <<<"$(cpustat)"
	b1=$(cpubusy "$PROXY_CPU_LIST")
	t1=$(date +%s%N)
	kd1=$(kdrops "$(portof "${ADDR[$tgt]}")")
	kd=$((kd1 - kd0))
	printf '%s\n' "$out" >>"$TMP/load.jsonl"
	sent=$(jget sent "$out") recv=$(jget received "$out")
	rps=$(jget replies_per_s "$out") p50=$(jget p50_us "$out")
	p99=$(jget p99_us "$out")
	sent=${sent:-0} recv=${recv:-0} rps=${rps:--} p50=${p50:--} p99=${p99:--}
	# udpload's "lost" counts windows written off after -T without a
	# reply, and "late" the replies that came after that: those were
	# answered, only slowly (10,000 sessions set up at once take longer
	# than 200 ms).  Lost here is what never came back, or came back
	# wrong; late is its own row.
	lost=$(jget lost "$out") late=$(jget late "$out") bad=$(jget bad "$out")
	lost=${lost:-0} late=${late:-0}
	lost=$(( (lost > late ? lost - late : 0) + ${bad:-0} ))
	# Proxy CPU per datagram forwarded (both directions).  For the
	# direct row this is the echo server's cost (shares CPU 1 with load).
	if ((sent + recv > 0)); then
		cpu=$(awk "BEGIN { printf \"%.3f\", ($c1 - $c0) * $TICK_US / ($sent + $recv) }")
	fi
	# Share of one CPU the process used over the whole run.
	busy=$(awk "BEGIN { printf \"%.0f\", ($c1 - $c0) * $TICK_US * 1000 * 100 / ($t1 - $t0) }")
	# Whatever else ran on the machine (other processes, interrupts,
	# kernel threads, the hypervisor's steal) in % of one CPU: all CPUs'
	# busy time minus the proxy's, the echo's and the load's (children of
	# this shell).  The proxy CPUs' share is checked too when pinned.
	[[ $tgt == direct ]] && e1=$e0	# the echo is the "proxy" there
	other=$(awk "BEGIN { v = ($a1 - $a0 - ($c1 - $c0) - ($k1 - $k0) - ($e1 - $e0)) * $TICK_US * 1000 * 100 / ($t1 - $t0); printf \"%.0f\", v < 0 ? 0 : v }")
	if [[ $tgt != direct && ${#PIN_PROXY[@]} -gt 0 ]]; then
		# When the load shares the proxy's CPUs, its CPU and the
		# echo's are taken off too (they ran there as well).
		local lt=0
		((CPUS_SHARED)) && lt=$((k1 - k0 + e1 - e0))
		pother=$(awk "BEGIN { v = ($b1 - $b0 - ($c1 - $c0) - $lt) * $TICK_US * 1000 * 100 / ($t1 - $t0); printf \"%.0f\", v < 0 ? 0 : v }")
	else
		pother=-
	fi
	steal=$(awk "BEGIN { printf \"%.0f\", ($st1 - $st0) * $TICK_US * 1000 * 100 / ($t1 - $t0) }")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$prof" "$tgt" \
	    "$round" "$rps" "$p50" "$p99" "$cpu" "$lost" "$busy" "$other" \
	    "$steal" "$kd" "$pother" "$late" >>"$RAW"
	log "$(printf '  %-4s %-7s r%s %7s rep/s  p50 %6s  p99 %6s us  cpu %6s us/pkt  busy %3s%%  other %3s%% (proxy cpus %s%%) steal %s%%  lost %s late %s (listener drops %s)' \
	    "$prof" "$tgt" "$round" "$rps" "$p50" "$p99" "$cpu" "$busy" "$other" "$pother" "$steal" "$lost" "$late" "$kd")"
	((n >= 1000)) && wait_sessions "$tgt" "$fd0"
	return 0
}

# --- sessions: memory and setup cost, first (before other runs leave
# freed session memory in the allocator) ----------------------------------
# One set-up of SESSIONS sessions takes well under a second, so a single
# one measures whatever else ran at that moment (a shot of 5000 in 50 ms
# halves with one stall): it is repeated SESS_ROUNDS times, the order of
# the targets alternating, and the median taken.  Memory is read in round
# 1 only, before freed sessions are there to be reused.
SESS=$TMP/sessions.tsv	# target rss0 rss1 ok bytes/sess ticks fd0 fd1 sess/s round
: >"$SESS"
for ((r = 1; r <= SESS_ROUNDS; r++)); do
	if ((r % 2)); then
		order=("${TARGETS[@]}")
	else
		order=()
		for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do
			order+=("${TARGETS[$i]}")
		done
	fi
	for t in "${order[@]}"; do
	[[ $t == direct ]] && continue
	pid=${PID[$t]}
	alive "$t"
	rss0=$(rss_kb "$pid") fd0=$(nfds "$pid") c0=$(cputicks "$pid")
	: >"$TMP/sess-$t.out"
	start_bg "$TMP/sess-$t.out" /dev/null "${PIN_LOAD[@]}" "$LOAD" \
	    -S "$SESSIONS" -w "$SESS_WINDOW" -T 1000 -d 30 -H 60 -l "sessions/$t/$r" "${ADDR[$t]}"
	lpid=$BG_PID
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
		sps=$(awk "BEGIN { e = $(jget elapsed_s "$out"); printf \"%.0f\", (e > 0 ? $ok / e : 0) }")
	else
		bps=- cps=- sps=-
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$rss0" "$rss1" \
	    "$ok" "$bps" "$((c1 - c0))" "$fd0" "$fd1" "$sps" "$r" >>"$SESS"
	log "$(printf '  sess %-8s r%s %s sessions ok, RSS %s -> %s kB (%s B/session), fds %s -> %s, cpu %s us/session, %s sessions/s, setup p99 %s us' \
	    "$t" "$r" "$ok" "$rss0" "$rss1" "$bps" "$fd0" "$fd1" "$cps" "$sps" \
	    "$(jget setup_p99_us "$out")")"
	wait_sessions "$t" "$fd0"
	done
done

LOADAVG0=$(cut -d ' ' -f 1-3 /proc/loadavg)
log "run.sh: echo :$ECHO_PORT, targets ${TARGETS[*]}," \
    "pin ${PIN_PROXY[*]:-none} / ${PIN_LOAD[*]:-none}, profiles $PROFILES"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then
		order=("${TARGETS[@]}")
	else
		order=()
		for ((i = ${#TARGETS[@]} - 1; i >= 0; i--)); do
			order+=("${TARGETS[$i]}")
		done
	fi
	for p in "${PNAMES[@]}"; do
		for t in "${order[@]}"; do
			[[ $p == ovl && $t == direct ]] && continue
			run_load "$p" "$t" "$r"
		done
	done
done

# --- profile: system calls per round trip, user vs system time ------------
# One more run of the first profile per target with perf counting the
# target's system calls (raw_syscalls:sys_enter); separate from the rounds
# because tracing costs a little on every call.
PROF=$TMP/profile.tsv	# target syscalls replies sys/rt user% rps
: >"$PROF"
if [[ $SYSCALLS == 1 ]] && command -v perf >/dev/null &&
    perf stat -e raw_syscalls:sys_enter -- true >/dev/null 2>&1; then
	pp=${PNAMES[0]}
	for t in "${TARGETS[@]}"; do
		[[ $t == direct ]] && continue
		pid=${PID[$t]}
		alive "$t"
		fd0=$(nfds "$pid")
		read -r u0 s0 <<<"$(cpusplit "$pid")"
		start_bg /dev/null "$TMP/perf-$t.txt" perf stat -x , \
		    -e raw_syscalls:sys_enter \
		    -p "$(grouppids "$pid" | paste -sd ,)"
		ppid=$BG_PID
		sleep 0.3
		out=$(timeout -k 2 "$(awk "BEGIN { print int($WARMUP + ${P_D[$pp]} + 15) }")" \
		    "${PIN_LOAD[@]}" "$LOAD" -n "${P_N[$pp]}" -w "${P_W[$pp]}" \
		    -s "${P_S[$pp]}" -d "${P_D[$pp]}" -W "$WARMUP" \
		    -l "profile/$t" "${ADDR[$t]}") || true
		kill -INT "$ppid" 2>/dev/null || true
		wait "$ppid" 2>/dev/null || true
		drop_pid "$ppid"
		read -r u1 s1 <<<"$(cpusplit "$pid")"
		nsys=$(awk -F , '/raw_syscalls:sys_enter/ { print $1 }' "$TMP/perf-$t.txt")
		recv=$(jget received "$out")
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${nsys:--}" "${recv:--}" \
		    "$(awk "BEGIN { r = ${recv:-0}; n = \"${nsys:-x}\" + 0; if (r > 0 && n > 0) printf \"%.2f\", n / r; else print \"-\" }")" \
		    "$(awk "BEGIN { t = $u1 - $u0 + $s1 - $s0; if (t > 0) printf \"%.0f\", ($u1 - $u0) * 100 / t; else print \"-\" }")" \
		    "$(jget replies_per_s "$out")" >>"$PROF"
		log "  prof $(tail -n 1 "$PROF")"
		((${P_N[$pp]} >= 1000)) && wait_sessions "$t" "$fd0"
	done
fi

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
# sessval TARGET WHAT: bytes (RSS per session, round 1), cpu (us per
# session over all rounds), rate (median new sessions/s), spread.
sessval() {
	awk -F '\t' -v t="$1" -v w="$2" -v tick="$TICK_US" '
	    $1 == t && $10 == 1 { b = $5 }
	    $1 == t && $4 > 0 { ok += $4; ticks += $6; v[n++] = $9 }
	    END {
		if (n == 0) { print "-"; exit }
		if (w == "bytes") { print b; exit }
		if (w == "cpu") { printf "%.1f\n", ticks * tick / ok; exit }
		for (i = 0; i < n; i++)
			for (j = i; j > 0 && v[j - 1] + 0 > v[j] + 0; j--) {
				x = v[j]; v[j] = v[j - 1]; v[j - 1] = x
			}
		if (w == "spread") { printf "%s-%s\n", v[0], v[n - 1]; exit }
		printf "%.0f\n", (n % 2) ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2
	    }' "$SESS"
}
profval() {
	awk -F '\t' -v t="$1" -v c="$2" '$1 == t { print $c; f = 1 }
	    END { if (!f) print "-" }' "$PROF"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
	    if (a == "-" || b == "-" || b + 0 == 0) print "-";
	    else printf "%.2f\n", a / b }'
}
# spread PROFILE TARGET COLUMN: "min-max" over the rounds (noise).
spread() {
	awk -F '\t' -v p="$1" -v t="$2" -v c="$3" '
	    $1 == p && $2 == t && $c != "-" && $c != "" {
		if (n == 0 || $c + 0 < lo) lo = $c + 0
		if (n == 0 || $c + 0 > hi) hi = $c + 0
		n++ }
	    END { if (n == 0) print "-"; else printf "%g-%g\n", lo, hi }' "$RAW"
}

HAS() { [[ -n ${PID[$1]:-} ]]; }
# row LABEL BETTER DIRECT UDPROXY NGINX FLOOR [UDPROXY_B]
row() {
	printf '| %-30s | %-6s | %9s | %9s | %9s | %9s | %7s | %7s |' "$1" "$2" \
	    "$3" "$4" "$5" "$6" "$(ratio "$4" "$5")" "$(ratio "$4" "$6")"
	[[ -n $UDPROXY_B ]] && printf ' %9s | %7s |' "${7:--}" "$(ratio "$4" "${7:--}")"
	echo
}
col() { if HAS "$2" || [[ $2 == direct && $NO_DIRECT != 1 ]]; then median "$1" "$2" "$3"; else echo -; fi; }

COMMIT=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo none)
{
	echo
	echo "udproxy bench $(date -u '+%Y-%m-%d %H:%M UTC'), commit $COMMIT," \
	    "$(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(uname -r)"
	echo "nginx: $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')${NGINX_EXTRA:+ ($NGINX_EXTRA)}," \
	    "udproxy: $("$UDPROXY" -V 2>/dev/null || echo '-')" \
	    "(binary of $(date -u -r "$UDPROXY" '+%H:%M UTC' 2>/dev/null || echo '-')), floor${FLOOR_OPTS:+ $FLOOR_OPTS}"
	echo "rounds $ROUNDS (order alternates), medians; profiles (name:clients:window:bytes[:s]) $PROFILES;" \
	    "idle $IDLE s; workers $WORKERS (floor: 1); pin: proxy ${PIN_PROXY[*]:-none}, load+echo ${PIN_LOAD[*]:-none};" \
	    "loadavg before $LOADAVG0, after $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo
	printf '| %-30s | %-6s | %9s | %9s | %9s | %9s | %7s | %7s |' metric better \
	    direct udproxy nginx floor "udp/ngx" "udp/flr"
	[[ -n $UDPROXY_B ]] && printf ' %9s | %7s |' udproxyB "udp/B"
	echo
	printf '|%s|%s|%s|%s|%s|%s|%s|%s|' "$(printf -- '-%.0s' {1..32})" \
	    "--------" "-----------" "-----------" "-----------" "-----------" \
	    "---------" "---------"
	[[ -n $UDPROXY_B ]] && printf '%s|%s|' "-----------" "---------"
	echo
	for p in "${PNAMES[@]}"; do
		for m in "replies/s:higher:4" "p50 RTT us:lower:5" "p99 RTT us:lower:6" \
		    "CPU us/datagram:lower:7" "CPU busy %:info:9" "lost/run:lower:8" \
		    "late/run:lower:14" "listener drops/run:lower:12" "other CPU %:info:10"; do
			IFS=: read -r label better c <<<"$m"
			d=$(col "$p" direct "$c")
			[[ $c == 7 || $c == 9 ]] && d="($d)"
			row "$p: $label" "$better" "$d" "$(col "$p" udproxy "$c")" \
			    "$(col "$p" nginx "$c")" "$(col "$p" floor "$c")" \
			    "$(col "$p" udproxyB "$c")"
		done
	done
	for m in "RSS bytes/session:lower:bytes" "CPU us/new session:lower:cpu" \
	    "new sessions/s (w $SESS_WINDOW):higher:rate"; do
		IFS=: read -r label better w <<<"$m"
		row "mem: $label" "$better" - "$(sessval udproxy "$w")" \
		    "$(sessval nginx "$w")" "$(sessval floor "$w")" \
		    "$(sessval udproxyB "$w")"
	done
	if [[ -s $PROF ]]; then
		row "prof ${PNAMES[0]}: syscalls/round trip" lower - \
		    "$(profval udproxy 4)" "$(profval nginx 4)" "$(profval floor 4)" \
		    "$(profval udproxyB 4)"
		row "prof ${PNAMES[0]}: user % of CPU" info - \
		    "$(profval udproxy 5)" "$(profval nginx 5)" "$(profval floor 5)" \
		    "$(profval udproxyB 5)"
	fi
	echo
	echo "(direct CPU = the echo server's, for scale; it shares the load CPUs.)"
	echo "Spread over the rounds (min-max) of replies/s and of other CPU %:"
	for p in "${PNAMES[@]}"; do
		line="  $p:"
		for t in "${TARGETS[@]}"; do
			line+=" $t $(spread "$p" "$t" 4) rep/s (other $(spread "$p" "$t" 10)%, steal $(spread "$p" "$t" 11)%);"
		done
		echo "$line"
	done
	line="  new sessions/s over $SESS_ROUNDS rounds:"
	for t in "${TARGETS[@]}"; do
		[[ $t == direct ]] || line+=" $t $(sessval "$t" spread);"
	done
	echo "$line"
	awk -F '\t' -v lim="$OTHER_MAX" '$10 != "-" && $10 + 0 > lim {
		n++; s = s sprintf(" %s/%s/r%s:%s%%", $1, $2, $3, $10) }
	    END { if (n) print "WARNING: " n " runs had more than " lim "% of a CPU" \
		" used by processes other than the run'"'"'s (noise):" s }' "$RAW"
	if [[ -n ${PID[udproxy]:-} ]]; then
		grep -h 'stats' "$TMP/udproxy.log" | tail -n 1
	fi
	if [[ -s $TMP/nginx/error.log ]] && grep -q '\[\(emerg\|alert\|crit\|error\)\]' "$TMP/nginx/error.log"; then
		echo "nginx error.log:"
		grep '\[\(emerg\|alert\|crit\|error\)\]' "$TMP/nginx/error.log" | tail -n 5
	fi
} | tee "$TMP/report.txt"
