#!/usr/bin/env python3
"""Builds the judged query set for the search relevance test: tests/relevance/judgments.json.

The judgments come from the demo content's own text (cms/demo/demo.jsonl: the seed sites'
pages and articles plus 300 generated articles, `gen_articles.py --count 300 --seed 42`),
never from the search engine. Each query names one or more *concepts*, each a regular
expression over the words a person means by it (spelling variants, plurals, the typo's
intended word). A document's grade for a concept is where the concept appears:

    3  in the title (or a school's name, a testimonial's author)
    2  in the summary
    1  anywhere else in its searchable text (body, description, quote)
    0  nowhere

A multi-concept query grades a document by its weakest concept (all must appear). Only
documents the reader may see are judged: published snapshots, public unless the query is
asked as a member; the locale of the query (default `en`; Welsh snapshots fall back field by
field to English like the server does).

Committed before any tuning of the engine; rerun only when the demo content changes:

    python3 tests/relevance/judge.py > tests/relevance/judgments.json
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "cms" / "demo" / "demo.jsonl"

# (id, query string, reader, [concept regexes], why). `reader` is anonymous or member.
QUERIES = [
    # From the generator's RARE_WORDS.
    ("rare-oracy", "q=oracy", "anonymous", [r"\boracy\b"], "rare word, about 2% of articles"),
    ("rare-oracy-typo", "q=orasy", "anonymous", [r"\boracy\b"], "typo (one substitution)"),
    ("rare-oracy-member", "q=oracy", "member", [r"\boracy\b"], "members also see members-only articles"),
    ("rare-allotment", "q=allotment", "anonymous", [r"\ballotments?\b"], "rare word, about 0.5%"),
    ("rare-allotments-plural", "q=allotments", "anonymous", [r"\ballotments?\b"], "stem"),
    ("rare-allotment-typo", "q=alotment", "anonymous", [r"\ballotments?\b"], "typo (one deletion)"),
    ("rare-mutualism", "q=mutualism", "anonymous", [r"\bmutualism\b"], "rare word, about 10%"),
    ("rare-mutualism-typo", "q=mutualsim", "anonymous", [r"\bmutualism\b"], "typo (transposition)"),
    ("rare-food-coop-phrase", "q=%22food%20co-operative%22", "anonymous", [r"\bfood co-?operative\b"], "phrase"),
    ("rare-oracy-and-mutualism", "q=oracy%20mutualism", "anonymous", [r"\boracy\b", r"\bmutualism\b"], "two rare words, AND"),
    ("rare-mutualism-filter", "q=mutualism&filter[topics]=governance", "anonymous", [r"\bmutualism\b"], "filter by topic (from TAGS)"),
    # From the generator's TAGS (topics) and the words behind them.
    ("tag-governance", "q=governance", "anonymous", [r"\bgovern(ance|ors?|ing)\b"], "tag word, stems"),
    ("tag-attendance", "q=attendance", "anonymous", [r"\battendance\b"], "tag word"),
    ("tag-wellbeing", "q=wellbeing", "anonymous", [r"\bwell-?being\b"], "tag word"),
    ("tag-student-voice", "q=%22student%20voice%22", "anonymous", [r"\bstudent voice\b"], "tag as a phrase"),
    ("tag-early-years", "q=early%20years", "anonymous", [r"\bearly years\b"], "two words"),
    ("tag-professional-development", "q=professional%20development", "anonymous", [r"\bprofessional (development|learning)\b"], "two words"),
    ("tag-reading-filter", "q=reading&filter[topics]=reading", "anonymous", [r"\bread(ing)?\b"], "word and the same tag as filter"),
    ("tag-partnerships", "q=partnerships", "anonymous", [r"\bpartnerships?\b"], "plural finds singular"),
    ("tag-mathematics", "q=mathematics", "anonymous", [r"\bmathematics\b"], "tag word"),
    ("tag-assessment-typo", "q=asessment", "anonymous", [r"\bassessments?\b"], "typo in a tag word"),
    ("tag-inclusion", "q=inclusion", "anonymous", [r"\binclusi(on|ve)\b"], "tag word"),
    # Spelling variants of co-operative.
    ("coop-hyphen", "q=co-op", "anonymous", [r"\bco-?op(erative)?s?\b"], "co-op meets co-operative"),
    ("coop-plain", "q=coop", "anonymous", [r"\bco-?op(erative)?s?\b"], "coop meets co-operative"),
    ("coop-cooperative", "q=cooperative%20schools", "anonymous", [r"\bco-?op(erative)?s?\b", r"\bschools?\b"], "spelling without hyphen"),
    # The seed sites' own content.
    ("seed-democratic-phrase", "q=%22democratic%20involvement%22", "anonymous", [r"\bdemocratic involvement\b"], "phrase from a seed article"),
    ("seed-solidarity", "q=solidarity", "anonymous", [r"\bsolidarity\b"], "a co-operative value"),
    ("seed-self-help", "q=self-help", "anonymous", [r"\bself-help\b"], "hyphenated value"),
    ("seed-self-responsibility-member", "q=self-responsibility%20school%20improvement", "member", [r"\bself-responsibility\b", r"\bschool improvement\b"], "members-only seed article"),
    ("seed-network-aims", "q=network%20aims&type=page", "anonymous", [r"\bnetwork\b", r"\baims?\b"], "a page, type filter"),
    ("seed-kelvin-hall", "q=kelvin%20hall&type=school_profile", "anonymous", [r"\bkelvin hall\b"], "a school profile"),
    ("seed-democracy", "q=democracy", "anonymous", [r"\bdemocra(cy|tic)\b"], "stem family"),
    # Welsh.
    ("cy-ysgolion", "q=ysgolion&locale=cy", "anonymous", [r"\bysgolion\b"], "Welsh word"),
    ("cy-cydweithredol", "q=cydweithredol&locale=cy", "anonymous", [r"\bcydweithredol\b|\bco-?op(erative)?s?\b"], "Welsh co-operative meets co-op"),
    ("cy-croeso", "q=croeso&locale=cy", "anonymous", [r"\bcroeso\b"], "Welsh home page"),
]

TITLE = {"page": "title", "practice_article": "title", "school_profile": "name", "testimonial": "author"}
SUMMARY = {"page": "summary", "practice_article": "summary"}


def text_of(value):
    """The words of a field value: strings, richtext Markdown, block text props."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return value.get("markdown") or ""
    if isinstance(value, list):
        out = []
        for v in value:
            if isinstance(v, dict) and "props" in v:
                out.extend(str(p) for k, p in v["props"].items() if k in ("text", "cite", "alt", "caption", "label", "title"))
            elif isinstance(v, str):
                out.append(v)
        return "\n".join(out)
    return ""


def resolved(item, locale):
    """The published fields of `locale`, falling back field by field to English."""
    base = ((item["locales"].get("en") or {}).get("published") or {}).get("fields") or {}
    own = ((item["locales"].get(locale) or {}).get("published") or {}).get("fields")
    if locale == "en":
        return own
    if own is None and not base:
        return None
    merged = dict(base)
    merged.update(own or {})
    return merged


def grade(fields, ctype, concepts):
    places = [
        fields.get(TITLE[ctype], "") or "",
        fields.get(SUMMARY.get(ctype, ""), "") or "",
        "\n".join(text_of(v) for k, v in fields.items() if k not in (TITLE[ctype], SUMMARY.get(ctype))),
    ]
    grades = []
    for concept in concepts:
        rx = re.compile(concept, re.IGNORECASE)
        g = 0
        for score, text in zip((3, 2, 1), places):
            if rx.search(text_of(text) if not isinstance(text, str) else text):
                g = score
                break
        grades.append(g)
    return min(grades)


def params(query):
    out = {}
    for part in query.split("&"):
        k, _, v = part.partition("=")
        out[k] = v
    return out


def main():
    items = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    judged = []
    for qid, query, reader, concepts, why in QUERIES:
        p = params(query)
        locale = p.get("locale", "en")
        types = p.get("type", "").split(",") if p.get("type") else None
        topic = p.get("filter[topics]")
        grades = {}
        for item in items:
            ctype = item["sys"]["type"]
            if types and ctype not in types:
                continue
            fields = resolved(item, locale)
            if not fields:
                continue
            if fields.get("visibility", "public") == "members" and reader != "member":
                continue
            if topic and topic not in (fields.get("topics") or []):
                continue
            g = grade(fields, ctype, concepts)
            if g > 0:
                grades[item["sys"]["id"]] = {"grade": g, "slug": fields.get("slug") or item["sys"]["id"]}
        judged.append({"id": qid, "query": query, "reader": reader, "why": why,
                       "concepts": concepts, "relevant": grades})
    json.dump({"source": "cms/demo/demo.jsonl", "judged_by": "tests/relevance/judge.py",
               "queries": judged}, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
