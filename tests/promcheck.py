#!/usr/bin/python3
# Copyright (c) 2026 the udproxy authors
# SPDX-License-Identifier: ISC (see the LICENSE file)
#
# Strict check of a Prometheus text exposition (format 0.0.4) read from
# stdin, with the prometheus_client parser plus the rules it lets pass:
# every family has HELP and TYPE before its samples, no family twice,
# counters end in _total, histogram buckets are cumulative and end in
# +Inf equal to _count. Prints one normalised line per sample,
#   name{k="v",...} value     (labels sorted)
# or, with --json, reads a JSON document and prints path=value lines
# (routes indexed by name), or, with --hammer PORT SECONDS, GETs /metrics
# over one keep-alive connection for SECONDS, checks every page, and prints
# how many it got. Exit 2 when the Python module is missing
# (the caller skips), 1 on any violation.
import json
import re
import sys

def fail(msg):
    print("promcheck: " + msg, file=sys.stderr)
    sys.exit(1)

def flatten(prefix, v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            flatten(prefix + "." + k if prefix else k, x, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            key = x.get("name", str(i)) if isinstance(x, dict) else str(i)
            flatten(prefix + "." + key, x, out)
    else:
        out.append("%s=%s" % (prefix, json.dumps(v)))

def hammer(port, seconds):
    import http.client
    import time
    from prometheus_client.parser import text_string_to_metric_families
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    n, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        c.request("GET", "/metrics")
        r = c.getresponse()
        body = r.read().decode()
        if r.status != 200 or r.getheader("Connection") == "close":
            fail("request %d: status %d" % (n + 1, r.status))
        list(text_string_to_metric_families(body))
        n += 1
    print(n)

def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--hammer":
        hammer(int(sys.argv[2]), float(sys.argv[3]))
        return
    text = sys.stdin.read()
    if len(sys.argv) > 1 and sys.argv[1] == "--json":
        out = []
        flatten("", json.loads(text), out)
        print("\n".join(out))
        return
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        sys.exit(2)
    if not text.endswith("\n"):
        fail("no final newline")
    helped, typed, seen = {}, {}, set()
    current = None
    for line in text.split("\n")[:-1]:
        m = re.match(r"# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$", line)
        if m:
            kind, name, rest = m.groups()
            if kind == "HELP":
                if name in helped:
                    fail("second HELP for " + name)
                helped[name] = rest
            else:
                if name not in helped:
                    fail("TYPE before HELP for " + name)
                if name in typed:
                    fail("second TYPE for " + name)
                if rest not in ("counter", "gauge", "histogram"):
                    fail("type %s of %s" % (rest, name))
                typed[name] = rest
                if name in seen:
                    fail("family %s after its samples" % name)
                current = name
            continue
        if line.startswith("#") or line == "":
            fail("unexpected line: %r" % line)
        sname = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        fam = current
        if fam is None or not (sname == fam or (typed[fam] == "histogram" and
                sname in (fam + "_bucket", fam + "_sum", fam + "_count"))):
            fail("sample %s outside its family (%s)" % (sname, fam))
        seen.add(fam)
    out = []
    for fam in text_string_to_metric_families(text):
        if not fam.name.startswith("udproxy_"):
            fail("no udproxy_ prefix: " + fam.name)
        if fam.type == "counter" and not any(
                s.name.endswith("_total") for s in fam.samples):
            fail("counter without _total: " + fam.name)
        buckets = {}
        for s in fam.samples:
            labels = ",".join('%s="%s"' % (k, s.labels[k])
                              for k in sorted(s.labels))
            out.append("%s{%s} %s" % (s.name, labels, repr(s.value)
                                      if s.value != int(s.value)
                                      else int(s.value)))
            if fam.type == "histogram":
                key = tuple(sorted((k, v) for k, v in s.labels.items()
                                   if k != "le"))
                b = buckets.setdefault(key, {"b": [], "count": None})
                if s.name.endswith("_bucket"):
                    b["b"].append((s.labels["le"], s.value))
                elif s.name.endswith("_count"):
                    b["count"] = s.value
        for key, b in buckets.items():
            values = [v for _, v in b["b"]]
            if values != sorted(values):
                fail("%s%s: buckets not cumulative" % (fam.name, key))
            les = [float(le) for le, _ in b["b"]]
            if les != sorted(les) or b["b"][-1][0] != "+Inf":
                fail("%s%s: bounds not increasing to +Inf" % (fam.name, key))
            if b["b"][-1][1] != b["count"]:
                fail("%s%s: +Inf bucket != count" % (fam.name, key))
    print("\n".join(out))

main()
