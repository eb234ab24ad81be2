#!/usr/bin/env python3
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
"""bench/upgrade.py -- binary upgrades in a row under load.

N live sessions (default 1000) on one route; a background sender keeps
datagrams flowing on all of them while `udproxy -s upgrade` runs U times
(default 20), alternating the binary installed at the daemon's path
between the build's udproxy and tests/udproxy-next. After every upgrade:
the serving pid's descriptors and RSS, and one round trip per session
checking that its upstream source port is unchanged. At the end: every
datagram sent got its reply (0 lost), fds flat, RSS within tolerance.
Prints a table and PASS/FAIL lines; exits 0 if every check passed.

Knobs (environment): UDPROXY (binary), UDPROXY_NEXT (the other binary),
SESSIONS=1000, UPGRADES=20, RATE=2000 (datagrams/s of background load),
RSS_TOL_PCT=20, WORKERS=1 (udproxy's workers setting). Everything runs on 127.0.0.1; every process started here
is ended here, by pid.
"""
import ctypes, os, select, shutil, signal, socket, subprocess, sys, tempfile, threading, time

here = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("UDPROXY", os.path.join(here, "..", "src", "udproxy"))
NEXT = os.environ.get("UDPROXY_NEXT", os.path.join(here, "..", "tests", "udproxy-next"))
SESSIONS = int(os.environ.get("SESSIONS", "1000"))
UPGRADES = int(os.environ.get("UPGRADES", "20"))
RATE = int(os.environ.get("RATE", "2000"))
RSS_TOL = int(os.environ.get("RSS_TOL_PCT", "20"))
WORKERS = int(os.environ.get("WORKERS", "1"))

# Orphans (the new daemon, child of the old) come back to us.
ctypes.CDLL(None).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER

tmp = tempfile.mkdtemp(prefix="udproxy-upgrade.")
binpath = os.path.join(tmp, "udproxy")
conf = os.path.join(tmp, "udproxy.conf")
sock = os.path.join(tmp, "ctl.sock")
pidf = os.path.join(tmp, "udproxy.pid")
procs = []


def install(src):
    shutil.copy(src, binpath + ".new")
    os.chmod(binpath + ".new", 0o755)
    os.rename(binpath + ".new", binpath)


def mock():
    """Upstream: replies '<peer port> <payload>'."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    pid = os.fork()
    if pid == 0:
        while True:
            data, peer = s.recvfrom(2048)
            s.sendto(b"%d " % peer[1] + data, peer)
    procs.append(pid)
    return port


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def serving_pid():
    with open(pidf) as f:
        return int(f.read().strip() or 0)


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def ctl(cmd):
    return subprocess.run([binpath, "-s", cmd, "-c", conf], capture_output=True, text=True, timeout=120)


up = mock()
lp = free_port()
with open(conf, "w") as f:
    f.write('control = "%s";\npidfile = "%s";\nmax_sessions = %d;\nworkers = %d;\n'
            'routes = ( { name = "a"; listen = "127.0.0.1:%d"; upstream = "127.0.0.1:%d"; '
            'idle_timeout = 600; } );\n' % (sock, pidf, SESSIONS + 100, WORKERS, lp, up))
install(BIN)
log = open(os.path.join(tmp, "daemon.log"), "w")
d = subprocess.Popen([binpath, "-f", "-c", conf], stderr=log)
for _ in range(500):
    if os.path.exists(sock) and os.path.exists(pidf) and os.path.getsize(pidf) > 0:
        break
    time.sleep(0.01)

clients = []
for i in range(SESSIONS):
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    c.bind(("127.0.0.1", 0))
    c.connect(("127.0.0.1", lp))
    c.setblocking(False)
    clients.append(c)
byfd = {c.fileno(): i for i, c in enumerate(clients)}


def round_trip_ports(tag):
    """One datagram per session; returns {session: upstream port}."""
    for i, c in enumerate(clients):
        c.send(b"%s-%d" % (tag, i))
    got, deadline = {}, time.time() + 10
    while len(got) < SESSIONS and time.time() < deadline:
        r, _, _ = select.select(clients, [], [], 0.2)
        for c in r:
            while True:
                try:
                    data = c.recv(2048)
                except BlockingIOError:
                    break
                port, payload = data.split(b" ", 1)
                if payload.startswith(tag + b"-"):
                    got[byfd[c.fileno()]] = int(port)
    return got


ports = round_trip_ports(b"init")
stats = {"sent": 0, "recv": 0}
stop = threading.Event()
lock = threading.Lock()


def load():
    k, gap = 0, 1.0 / RATE
    nxt = time.time()
    while not stop.is_set():
        c = clients[k % SESSIONS]
        try:
            c.send(b"load")
            with lock:
                stats["sent"] += 1
        except BlockingIOError:
            pass
        k += 1
        nxt += gap
        dt = nxt - time.time()
        if dt > 0:
            time.sleep(dt)


def drain_load(timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select(clients, [], [], 0.05)
        for c in r:
            while True:
                try:
                    data = c.recv(2048)
                except BlockingIOError:
                    break
                if data.endswith(b" load"):
                    with lock:
                        stats["recv"] += 1
        with lock:
            if stop.is_set() and stats["recv"] >= stats["sent"]:
                return


rows, ok = [], True
pid0 = serving_pid()
rows.append((0, pid0, fds(pid0), rss_kb(pid0), SESSIONS, "-"))
sender = threading.Thread(target=load)
sender.start()
receiver = threading.Thread(target=lambda: drain_load(10 ** 6))
receiver.start()
for n in range(1, UPGRADES + 1):
    old = serving_pid()
    install(NEXT if n % 2 else BIN)
    t0 = time.time()
    r = ctl("upgrade")
    ms = (time.time() - t0) * 1000
    if r.returncode != 0:
        print("FAIL: upgrade %d: %s" % (n, r.stderr.strip()))
        ok = False
        break
    try:
        os.waitpid(old, 0)
    except ChildProcessError:
        pass
    new = serving_pid()
    rows.append((n, new, fds(new), rss_kb(new), None, "%.0f ms" % ms))
    time.sleep(0.2)
stop.set()
sender.join()
receiver.join(timeout=15)

# Every session still goes out through its original upstream port.
after = round_trip_ports(b"final")
kept = sum(1 for i in range(SESSIONS) if after.get(i) == ports.get(i))
pid = serving_pid()
print("%4s %8s %6s %9s %s" % ("upg", "pid", "fds", "rss_kb", "upgrade took"))
for n, p, f, rss, _, took in rows:
    print("%4d %8d %6d %9d %s" % (n, p, f, rss, took))
print("background load: %d sent, %d received during %d upgrades" % (stats["sent"], stats["recv"], UPGRADES))


def check(what, cond):
    global ok
    print("%s: %s" % ("PASS" if cond else "FAIL", what))
    ok = ok and cond


check("%d upgrades done" % UPGRADES, len(rows) == UPGRADES + 1)
check("0 datagrams lost (%d sent, %d replies)" % (stats["sent"], stats["recv"]), stats["sent"] == stats["recv"])
check("every session kept its upstream port (%d/%d)" % (kept, SESSIONS), kept == SESSIONS)
check("fds flat (%d -> %d)" % (rows[0][2], rows[-1][2]), rows[-1][2] == rows[0][2])
check("RSS within %d%% (%d -> %d kB)" % (RSS_TOL, rows[1][3], rows[-1][3]), rows[-1][3] <= rows[1][3] * (100 + RSS_TOL) / 100)
os.kill(pid, signal.SIGTERM)
for _ in range(500):
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            break
    except ChildProcessError:
        break
    time.sleep(0.01)
for p in procs:
    os.kill(p, signal.SIGKILL)
    os.waitpid(p, 0)
if os.environ.get("KEEP") != "1":
    shutil.rmtree(tmp)
sys.exit(0 if ok else 1)
