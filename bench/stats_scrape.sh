#!/usr/bin/env bash
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
# bench/stats_scrape.sh -- what the stats endpoint costs forwarding: replies/s
# through udproxy with GET /metrics scraped every INTERVAL seconds, against
# the same load without scraping, in alternating rounds on loopback.  Prints
# one line per run and the median ratio scraped/unscraped (issue 10 asks for
# >= 0.98 at a 100 ms interval).  Optionally (ABUSE=1) a third mode: IDLE_CONNS
# idle HTTP connections and a slowloris held open during the load.
#
# Knobs (environment):
#   UDPROXY=path   udproxy binary (default ../src/udproxy)
#   ROUNDS=5       rounds (each: one run of each mode, order alternating)
#   DURATION=5     seconds per run (after a 0.5 s warmup)
#   CLIENTS=64 WINDOW=8 SIZE=64   udpload's -n -w -s
#   INTERVAL=0.1   seconds between scrapes
#   ROUTES=1       routes in the config, 1..63 (more routes: a bigger page)
#   PROXY_CPUS=0 LOAD_CPUS=1   taskset CPU lists; NOPIN=1 to not pin
#   ABUSE=0  IDLE_CONNS=1000
# Everything it starts is in its own process group and ended on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
UDPROXY=${UDPROXY:-../src/udproxy}
ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-5}
CLIENTS=${CLIENTS:-64} WINDOW=${WINDOW:-8} SIZE=${SIZE:-64}
INTERVAL=${INTERVAL:-0.1} ROUTES=${ROUTES:-1}
PROXY_CPUS=${PROXY_CPUS:-0} LOAD_CPUS=${LOAD_CPUS:-1} NOPIN=${NOPIN:-0}
ABUSE=${ABUSE:-0} IDLE_CONNS=${IDLE_CONNS:-1000}
[[ -x $UDPROXY ]] || { echo "no udproxy at $UDPROXY" >&2; exit 1; }
((ROUTES >= 1 && ROUTES <= 63)) || { echo "ROUTES: 1 to 63" >&2; exit 1; }
command -v curl >/dev/null || { echo "needs curl" >&2; exit 1; }

TMP=$(mktemp -d /tmp/udproxy-scrape.XXXXXX)
PGIDS=()
cleanup() {
	local g
	for g in "${PGIDS[@]}"; do kill -TERM -- "-$g" 2>/dev/null || :; done
	rm -rf "$TMP"
}
trap cleanup EXIT
start_bg() {	# OUT CMD...: runs CMD in its own process group
	local out=$1; shift
	setsid "$@" >"$out" 2>&1 &
	BG_PID=$!
	PGIDS+=("$BG_PID")
}
PIN_PROXY=() PIN_LOAD=()
if [[ $NOPIN != 1 ]] && command -v taskset >/dev/null; then
	PIN_PROXY=(taskset -c "$PROXY_CPUS") PIN_LOAD=(taskset -c "$LOAD_CPUS")
fi
jget() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" <<<"$2"; }

gcc -std=c11 -O2 -o "$TMP/udpecho" udpecho.c
gcc -std=c11 -O2 -o "$TMP/udpload" udpload.c
start_bg "$TMP/echo.out" "${PIN_LOAD[@]}" "$TMP/udpecho" -t 3600 127.0.0.1:0
for _ in $(seq 50); do
	EPORT=$(jget port "$(head -n 1 "$TMP/echo.out" 2>/dev/null)")
	[[ -n $EPORT ]] && break
	sleep 0.1
done
mapfile -t PORTS < <("$TMP/udpload" -P $((ROUTES + 1)))
HPORT=${PORTS[0]}
{
	echo "stats = { listen = \"127.0.0.1:$HPORT\"; };"
	echo "routes = ("
	for ((i = 1; i <= ROUTES; i++)); do
		sep=","; ((i == ROUTES)) && sep=""
		echo " { name = \"r$i\"; listen = \"127.0.0.1:${PORTS[$i]}\";"
		echo "   upstream = \"127.0.0.1:$EPORT\"; idle_timeout = 60; }$sep"
	done
	echo ");"
} >"$TMP/udproxy.conf"
start_bg "$TMP/udproxy.log" "${PIN_PROXY[@]}" "$UDPROXY" -f -c "$TMP/udproxy.conf"
for _ in $(seq 50); do
	curl -sf -o /dev/null "http://127.0.0.1:$HPORT/metrics" && break
	sleep 0.1
done
bytes=$(curl -sf "http://127.0.0.1:$HPORT/metrics" | wc -c)
echo "stats_scrape: /metrics is $bytes bytes ($ROUTES routes)"
UPID=$(pgrep -g "${PGIDS[1]}" -x udproxy | head -n 1 || :)

# The daemon's CPU time per scrape, idle otherwise: the figure that does
# not depend on how busy the machine is.  At 1/INTERVAL scrapes a second
# it bounds the share of one core the endpoint takes from forwarding.
if [[ -n $UPID ]]; then
	/usr/bin/python3 - "$HPORT" "$UPID" "$INTERVAL" <<'PY'
import http.client, os, sys
port, pid, interval = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
hz = os.sysconf("SC_CLK_TCK")
def cpu():
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz
c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
n = 2000
t0 = cpu()
for _ in range(n):
    c.request("GET", "/metrics"); r = c.getresponse(); r.read()
t = cpu() - t0
print("stats_scrape: daemon CPU per scrape %.1f us (%d scrapes); at one "
      "scrape per %.3f s: %.3f%% of a core" % (t / n * 1e6, n, interval,
      t / n / interval * 100))
PY
fi

scraper() {	# one keep-alive HTTP client scraping until killed (a curl
		# per scrape would cost more CPU than the endpoint itself)
	exec /usr/bin/python3 -c '
import http.client, sys, time
port, interval, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
n, c = 0, None
while True:
    t = time.monotonic()
    try:
        if c is None:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/metrics")
        r = c.getresponse(); r.read()
        if r.status == 200: n += 1
    except Exception:
        c = None
    open(out, "w").write(str(n))
    time.sleep(max(0, interval - (time.monotonic() - t)))
' "$HPORT" "$INTERVAL" "$TMP/scrapes"
}
abuser() {	# IDLE_CONNS idle connections and a slowloris, held open
	exec /usr/bin/python3 -c '
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
cs = []
for i in range(n):
    s = socket.socket(); s.setblocking(False)
    try: s.connect(("127.0.0.1", port))
    except BlockingIOError: pass
    cs.append(s)
slow = socket.create_connection(("127.0.0.1", port))
slow.send(b"GET /metrics HTTP/1.1\r\n")
while True:
    time.sleep(1)
    try: slow.send(b"X")
    except OSError: pass
' "$HPORT" "$IDLE_CONNS"
}
run() {	# MODE: one load run; prints "MODE replies/s p99"
	local mode=$1 out
	case $mode in
	scraped) start_bg "$TMP/scraper.out" "${PIN_LOAD[@]}" bash -c \
	    "$(declare -f scraper); TMP=$TMP HPORT=$HPORT INTERVAL=$INTERVAL \
	    scraper" ;;
	abused) start_bg "$TMP/abuser.out" bash -c "$(declare -f abuser); \
	    HPORT=$HPORT IDLE_CONNS=$IDLE_CONNS abuser"; sleep 1 ;;
	esac
	out=$("${PIN_LOAD[@]}" "$TMP/udpload" -n "$CLIENTS" -w "$WINDOW" \
	    -s "$SIZE" -d "$DURATION" -l "$mode" "127.0.0.1:${PORTS[1]}")
	if [[ $mode != plain ]]; then
		kill -TERM -- "-$BG_PID" 2>/dev/null || :
		wait "$BG_PID" 2>/dev/null || :
	fi
	echo "$mode $(jget replies_per_s "$out") $(jget p99_us "$out")" \
	    "$( [[ $mode == scraped ]] && cat "$TMP/scrapes" 2>/dev/null)"
}
MODES=(plain scraped)
[[ $ABUSE == 1 ]] && MODES+=(abused)
: >"$TMP/results"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then order=("${MODES[@]}"); else
		order=(); for ((k = ${#MODES[@]} - 1; k >= 0; k--)); do
			order+=("${MODES[$k]}"); done; fi
	for m in "${order[@]}"; do
		line=$(run "$m")
		echo "round $r: $line" | tee -a "$TMP/results"
	done
done
/usr/bin/python3 - "$TMP/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r in rows:
    by.setdefault(r[2], []).append((float(r[3]), float(r[4])))
med = {m: (statistics.median(x for x, _ in v),
           statistics.median(p for _, p in v)) for m, v in by.items()}
for m, (rps, p99) in med.items():
    print("median %-8s %10.0f replies/s  p99 %6.0f us" % (m, rps, p99))
if "scraped" in med and "plain" in med:
    print("ratio scraped/plain replies/s: %.4f" %
          (med["scraped"][0] / med["plain"][0]))
if "abused" in med:
    print("ratio abused/plain p99: %.2f, replies/s: %.4f" %
          (med["abused"][1] / med["plain"][1],
           med["abused"][0] / med["plain"][0]))
PY
