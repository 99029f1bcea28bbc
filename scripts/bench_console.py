#!/usr/bin/env python3
"""Time the console's history search and analytics with many calls in the store.

Seeds a fresh database with N calls (default 100,000) over 30 days, 4 turns each, one in ten
queued for an agent, then starts the real `hotline serve` on it and times the API requests the
history and analytics pages make (median of 5, after one warm-up), printing a Markdown table for
docs/benchmarks.md.

    cargo build --release && python3 scripts/bench_console.py [--calls 100000]
"""

import argparse, json, os, random, socket, sqlite3, statistics, subprocess, sys, tempfile, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOTLINE = os.path.join(ROOT, "target", "release", "hotline")
DAY = 86_400_000
INTENTS = ["delivery_time", "order_status", "returns", "opening_hours", "human", None]
NODES = ["menu", "order_number", "anything_else"]


def free_port(kind):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def seed(db, calls, end):
    rng = random.Random(7)
    con = sqlite3.connect(db)
    start = end - 30 * DAY
    call_rows, turn_rows, queue_rows, ticket_rows = [], [], [], []
    for i in range(calls):
        cid = f"bench-{i:07d}"
        at = start + rng.randrange(30 * DAY)
        number = f"+4930{rng.randrange(10**6):06d}"
        queued = rng.random() < 0.1
        cause = rng.choice(["bot-done", "bot-done", "caller-bye", "rtp-timeout"])
        call_rows.append((cid, f"sip-{cid}", "inbound", f"sip:{number}@pbx", "sip:hotline@pbx",
                          "127.0.0.1:5062", at, at + 500, at + 90_000, cause, "PCMU",
                          rng.choice(["northwind-shop", "bank"]), "v1", number))
        for seq in range(1, 5):
            turn_rows.append((cid, seq, at + seq * 15_000, rng.choice(NODES),
                              "how long does shipping take", rng.choice(INTENTS), 0.8,
                              "Three to five working days.", rng.randrange(600, 1600),
                              round(rng.random(), 2)))
        if queued:
            answered = at + 60_000 if rng.random() < 0.7 else None
            queue_rows.append((cid, "support", at + 50_000, answered, at + 90_000,
                               "handled" if answered else "abandoned"))
            ticket_rows.append((f"T-{cid}", cid, at + 50_000, "handoff", "[]", "handoff",
                                rng.choice(["anger", "asked for a human"]), "support"))
    con.executemany("INSERT INTO calls (id, sip_call_id, direction, caller, callee, source, started_at, "
                    "answered_at, ended_at, hangup_cause, codec, flow_name, flow_version, caller_key) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", call_rows)
    con.executemany("INSERT INTO turns (call_id, seq, at, node, caller_text, intent, match_score, bot_text, "
                    "voice_to_voice_ms, anger) VALUES (?,?,?,?,?,?,?,?,?,?)", turn_rows)
    con.executemany("INSERT INTO queue_calls (call_id, queue, entered_at, answered_at, ended_at, outcome) "
                    "VALUES (?,?,?,?,?,?)", queue_rows)
    con.executemany("INSERT INTO tickets (id, call_id, created_at, summary, fields, kind, reason, queue) "
                    "VALUES (?,?,?,?,?,?,?,?)", ticket_rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return len(turn_rows)


def timed(url, token, runs=5):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    took, size = [], 0
    for run in range(runs + 1):
        t = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as r:
            size = len(r.read())
        if run > 0:
            took.append(time.perf_counter() - t)
    return statistics.median(took) * 1000, size


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="hotline-bench-console-")
    db = os.path.join(work, "hotline.db")
    token = subprocess.run([HOTLINE, "tokens", "add", "bench", "--role", "supervisor", "--database", db],
                           check=True, capture_output=True, text=True).stdout.split()[-1]
    end = int(time.time() * 1000)
    t = time.perf_counter()
    turns = seed(db, args.calls, end)
    print(f"seeded {args.calls} calls, {turns} turns in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    admin = f"127.0.0.1:{free_port(socket.SOCK_STREAM)}"
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write(f"store:\n  database: {db}\n")
    server = subprocess.Popen([HOTLINE, "serve", "--config", config, "--listen",
                               f"127.0.0.1:{free_port(socket.SOCK_DGRAM)}", "--admin-listen", admin],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "serve.log"), "w"))
    try:
        base = f"http://{admin}"
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        week = f"from={end - 7 * DAY}&to={end}"
        cases = [
            ("history: newest 50, no filter", "/api/calls/search?limit=50"),
            ("history: by number (part of it)", "/api/calls/search?number=%2B4930123&limit=50"),
            ("history: outcome transferred, anger >= 0.9", "/api/calls/search?outcome=transferred&min_anger=0.9&limit=50"),
            ("history: intent returns, flow bank, one week", f"/api/calls/search?intent=returns&flow=bank&{week}&limit=50"),
            ("history: CSV, 5,000 rows", "/api/calls/search.csv?limit=5000"),
            ("analytics: one week, by day, all flows", f"/api/analytics?{week}&bucket=day"),
            ("analytics: 30 days, by week, one flow", f"/api/analytics?from={end - 30 * DAY}&to={end}&bucket=week&flow=bank"),
            ("analytics: one chart as CSV (one week)", f"/api/analytics?{week}&format=csv&chart=funnel"),
        ]
        print("| request | median of 5 | answer size |")
        print("|---|---|---|")
        for name, path in cases:
            ms, size = timed(base + path, token)
            print(f"| {name} (`{path.split('?')[0]}`) | {ms:.0f} ms | {size / 1024:.0f} KiB |")
    finally:
        server.terminate()
        server.wait(timeout=60)


if __name__ == "__main__":
    main()
