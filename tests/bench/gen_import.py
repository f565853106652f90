#!/usr/bin/env python3
"""Map the shared bench generator's articles to the CMS import format (DESIGN.md's mapping).

    gen_import.py --count N --bench PATH/gen_articles.py --out articles.jsonl --ids public_ids.txt

tags -> topics, body -> one paragraph block, status and published_at as given, site csn,
every 5th article visibility = members. Ids are deterministic ULIDs. `--ids` receives the ids of
published public articles (the only ones an anonymous reader may see).
"""
import argparse
import hashlib
import importlib.util
import json
from datetime import datetime, timezone

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def ulid(ms, key):
    rand = int.from_bytes(hashlib.sha256(key.encode()).digest()[:10], "big")
    value = (ms << 80) | rand
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def ms_of(ts):
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--ids", required=True)
    a = ap.parse_args()
    spec = importlib.util.spec_from_file_location("gen_articles", a.bench)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    with open(a.out, "w", encoding="utf-8") as out, open(a.ids, "w") as ids:
        for i, art in enumerate(gen.generate(a.count, a.seed), start=1):
            published = art["status"] == "published"
            ts = art["published_at"].replace("Z", ".000Z") if published else "2025-06-01T00:00:00.000Z"
            uid = ulid(ms_of(ts), f"bench:{i}")
            members = i % 5 == 0
            fields = {
                "title": art["title"][:300],
                "slug": art["slug"],
                "summary": art["summary"][:1000],
                "body": [{"id": "b1", "type": "paragraph", "props": {"text": art["body"]}}],
                "topics": art["tags"],
                "visibility": "members" if members else "public",
            }
            locale = {"sys": {"revision": 1, "state": "published" if published else "draft", "updated_at": ts},
                      "fields": fields}
            if published:
                locale["published"] = {"sys": {"revision": 1, "published_at": ts}, "fields": fields}
                if not members:
                    ids.write(uid + "\n")
            line = {"sys": {"id": uid, "type": "practice_article", "site": "csn", "created_at": ts},
                    "locales": {"en": locale}}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
