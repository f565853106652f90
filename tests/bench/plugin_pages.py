#!/usr/bin/env python3
"""Publish latency of a page with 10 plugin blocks against the same page with 10 built-in
paragraph blocks (the in-run baseline), through the HTTP API of a running server, one
keep-alive connection. Each round edits the page (PATCH, a new draft revision) and then times
only the publish call. Prints the ids of both pages (for the read runs) and the figures.

    plugin_pages.py BASE_URL TOKEN ROUNDS [PAUSE_MS] [EDIT]

PAUSE_MS (default 0) waits between the edit and the publish, as an editor would: the search
index's follower has then indexed the edit, so the publish does not share the core with it.
EDIT is `summary` (default: the blocks stay as they were, so their renders can be reused) or
`blocks` (every block's text changes in every round, so all 10 are rendered at each publish).
"""

import http.client
import json
import statistics
import sys
import time
import urllib.parse


def main() -> None:
    base, token, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    pause = float(sys.argv[4]) / 1000 if len(sys.argv) > 4 else 0.0
    edit = sys.argv[5] if len(sys.argv) > 5 else "summary"
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port)

    def call(method: str, path: str, body=None, headers=None):
        h = {"authorization": f"Bearer {token}", "content-type": "application/json"}
        h.update(headers or {})
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status >= 300:
            sys.exit(f"{method} {path}: {resp.status} {data[:300]!r}")
        return json.loads(data) if data else None

    def page(slug: str, blocks: list) -> str:
        slug = f"{slug}-{time.time_ns()}"
        item = call("POST", "/api/v1/manage/page",
                    {"site": "csn", "fields": {"title": slug, "slug": slug, "body": blocks}})
        return item["data"]["sys"]["id"]

    texts = [f"Block {i}: circle time, restorative questions and a student council vote." for i in range(10)]

    def callouts(n: int) -> list:
        return [{"type": "plugin:callout/callout",
                 "props": {"tone": "tip", "title": f"Tip {i}", "body": f"{t} (round {n})"}}
                for i, t in enumerate(texts)]

    def paragraphs(n: int) -> list:
        return [{"type": "paragraph", "props": {"text": f"**Tip {i}** {t} (round {n})"}}
                for i, t in enumerate(texts)]

    plugin_id = page("with-plugins", callouts(0))
    builtin_id = page("without-plugins", paragraphs(0))
    blocks_of = {plugin_id: callouts, builtin_id: paragraphs}

    def timed_publishes(item: str) -> list:
        times = []
        for n in range(rounds):
            if edit == "blocks":
                fields = {"body": blocks_of[item](n + 1)}
            else:
                fields = {"summary": f"Round {n}"}
            call("PATCH", f"/api/v1/manage/page/{item}", {"fields": fields}, {"if-match": "*"})
            if pause:
                time.sleep(pause)
            start = time.perf_counter()
            call("POST", f"/api/v1/manage/page/{item}/publish")
            times.append((time.perf_counter() - start) * 1000)
        return times

    # Warm both paths, then measure them interleaved in blocks so drift hits both alike.
    timed_publishes(plugin_id)
    timed_publishes(builtin_id)
    with_plugins, without = [], []
    for _ in range(5):
        with_plugins += timed_publishes(plugin_id)
        without += timed_publishes(builtin_id)

    def pct(xs, q):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    got = call("GET", f"/api/v1/content/page/{plugin_id}")
    rendered = sum(1 for b in got["data"]["fields"]["body"] if b.get("html"))
    print(f"PLUGIN_PAGE={plugin_id}")
    print(f"PAUSE_MS={pause * 1000:.0f} EDIT={edit}")
    print(f"BUILTIN_PAGE={builtin_id}")
    print(f"RENDERED_BLOCKS={rendered}")
    for name, xs in (("with 10 plugin blocks", with_plugins), ("with 10 paragraph blocks", without)):
        print(f"publish {name}: n={len(xs)} p50 {statistics.median(xs):.2f} ms, "
              f"p90 {pct(xs, 0.9):.2f} ms, p99 {pct(xs, 0.99):.2f} ms")


if __name__ == "__main__":
    main()
