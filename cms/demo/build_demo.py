#!/usr/bin/env python3
"""Build the CMS demo content file (demo.jsonl).

Deterministic, Python 3.11 standard library only.  Combines

* hand-written seed content taken from the two seed sites (the real text of
  "Coop Schools" and "Co-operative Schools Network", with Welsh translations
  of both home pages, the school profile and two practice articles), and
* 300 practice articles from the shared bench generator (count 300, seed 42).

Line format and field rules: the content model contract (schemas/*.toml and
the import/export JSONL format).  Items are written in dependency order
(school profiles, pages, testimonials, practice articles) so that every
reference points to an item defined earlier in the file.

    python3 build_demo.py [--bench PATH/gen_articles.py] [--out PATH/demo.jsonl]

The script checks every line against the field rules before writing and
exits non-zero (writing nothing) if any rule is broken.
"""
import argparse
import hashlib
import importlib.util
import json
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_BENCH = HERE / ".." / ".." / ".." / "shared" / "bench" / "gen_articles.py"
DEFAULT_OUT = HERE / "demo.jsonl"

GEN_COUNT = 300
GEN_SEED = 42
SEED_TIME = "2024-09-01T09:00:00.000Z"
DRAFT_BASE = "2025-06-01T00:00:00.000Z"

# --------------------------------------------------------------------------
# Time and ids
# --------------------------------------------------------------------------

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_RE = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")
MS_DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_dt(s):
    """Parse an RFC 3339 UTC timestamp ending in Z (with or without millis)."""
    return datetime.fromisoformat(s.replace("Z", "+00:00")).astimezone(timezone.utc)


def fmt_dt(dt):
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def to_ms(dt):
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000 + delta.microseconds // 1000


def ulid(created_at, type_, key):
    """Deterministic ULID: 48-bit ms timestamp of created_at + 80 bits of
    sha256("demo:{type}:{key}")."""
    ms = to_ms(parse_dt(created_at))
    assert 0 <= ms < (1 << 48)
    rand = int.from_bytes(hashlib.sha256(f"demo:{type_}:{key}".encode()).digest()[:10], "big")
    value = (ms << 80) | rand
    return "".join(CROCKFORD[(value >> (125 - 5 * i)) & 31] for i in range(26))


def ulid_ms(u):
    value = 0
    for ch in u:
        value = (value << 5) | CROCKFORD.index(ch)
    return value >> 80


# --------------------------------------------------------------------------
# Blocks
# --------------------------------------------------------------------------

def P(text):
    return ("paragraph", {"text": text})


def H(text, level=2):
    return ("heading", {"text": text, "level": level})


def Q(text, cite=None):
    props = {"text": text}
    if cite:
        props["cite"] = cite
    return ("quote", props)


def CTA(label, url, style=None):
    props = {"label": label, "url": url}
    if style:
        props["style"] = style
    return ("call_to_action", props)


def blocks(*specs):
    return [{"id": f"b{n}", "type": t, "props": props} for n, (t, props) in enumerate(specs, 1)]


# --------------------------------------------------------------------------
# Item construction
# --------------------------------------------------------------------------

def locale_entry(fields, state, updated_at, published_at=None):
    entry = {"sys": {"revision": 1, "state": state, "updated_at": updated_at}, "fields": fields}
    if published_at is not None:
        entry["published"] = {"sys": {"revision": 1, "published_at": published_at},
                              "fields": json.loads(json.dumps(fields))}
    return entry


def item(type_, key, site, created_at, locales, published=True):
    """locales: {"en": fields, "cy": fields}; all given locales share the
    publication status; seed content is published at created_at."""
    out = {"sys": {"id": ulid(created_at, type_, key), "type": type_, "site": site,
                   "created_at": created_at},
           "locales": {}}
    for loc, fields in locales.items():
        if published:
            out["locales"][loc] = locale_entry(fields, "published", created_at, created_at)
        else:
            out["locales"][loc] = locale_entry(fields, "draft", created_at)
    return out


def page(site, nav_order, en, cy=None):
    """en/cy: dicts with title, slug, summary, body, seo_title, seo_description."""
    order = ["title", "slug", "summary", "body", "seo_title", "seo_description"]
    en_fields = {k: en[k] for k in order if k in en}
    en_fields["nav_order"] = nav_order
    locales = {"en": en_fields}
    if cy:
        locales["cy"] = {k: cy[k] for k in order if k in cy}
    return item("page", f"{site}/{en['slug']}", site, SEED_TIME, locales)


# --------------------------------------------------------------------------
# Seed content: school profile (Coop Schools registered office)
# --------------------------------------------------------------------------

def school_profiles():
    en = {
        "name": "Kelvin Hall School",
        "slug": "kelvin-hall-school",
        "address": "Bricknell Avenue, Hull, England",
        "town": "Hull",
        "postcode": "HU5 4QH",
        "region": "yorkshire_and_the_humber",
        "registered_office": True,
        "contact_name": "Lee Phillips",
        "contact_role": "National Director",
        "telephone": "01482 347264",
        "description": (
            "Kelvin Hall School in Hull hosts the Coop Schools registered office.\n\n"
            "Coop Schools registered office: Kelvin Hall School, Bricknell Avenue, Hull, "
            "England HU5 4QH. Telephone: 01482 347264. National Director: Lee Phillips."),
    }
    cy = {
        "contact_role": "Cyfarwyddwr Cenedlaethol",
        "description": (
            "Mae Ysgol Kelvin Hall yn Hull yn gartref i swyddfa gofrestredig Coop Schools.\n\n"
            "Swyddfa gofrestredig Coop Schools: Kelvin Hall School, Bricknell Avenue, Hull, "
            "England HU5 4QH. Ffôn: 01482 347264. Cyfarwyddwr Cenedlaethol: Lee Phillips."),
    }
    return [item("school_profile", "kelvin-hall-school", "coopschools", SEED_TIME,
                 {"en": en, "cy": cy})]


# --------------------------------------------------------------------------
# Seed content: pages of the site "csn" (Co-operative Schools Network)
# --------------------------------------------------------------------------

CSN_HOME_EN = {
    "title": "Co-operative Schools Network",
    "slug": "home",
    "summary": ("We are working to support schools and education providers by promoting "
                "the co-operative values and principles."),
    "body": blocks(
        H("Professional Support"),
        P("We aim to provide professional support to all our members both in good times "
          "and whenever they are facing a real challenge."),
        P("We are working to support schools and education providers by promoting the "
          "co-operative values and principles. Our purpose is to help to develop and maintain "
          "outstanding co-operative schools, to ensure the rapid improvement of schools which "
          "need support and to act as a vehicle for enabling the sharing of best practice and "
          "economies of scale though co-operation."),
        P("We will work with any school who shares the co-operative values and principles, "
          "regardless of legal structure, OFSTED rating or current status. Our aim to to support "
          "all schools to become and remain good or outstanding and we believe that every school "
          "has the potential to achieve this."),
        CTA("Our network aims", "/network-aims"),
        CTA("Contact us", "/contact", "secondary"),
    ),
    "seo_title": "Co-operative Schools Network",
    "seo_description": ("Supporting schools and education providers by promoting the "
                        "co-operative values and principles."),
}

CSN_HOME_CY = {
    "title": "Rhwydwaith Ysgolion Cydweithredol",
    "slug": "hafan",
    "summary": ("Rydym yn gweithio i gefnogi ysgolion a darparwyr addysg drwy hyrwyddo'r "
                "gwerthoedd a'r egwyddorion cydweithredol."),
    "body": blocks(
        H("Cymorth Proffesiynol"),
        P("Ein nod yw darparu cymorth proffesiynol i bob un o'n haelodau, yn y dyddiau da ac "
          "ar unrhyw adeg pan fyddant yn wynebu her go iawn."),
        P("Rydym yn gweithio i gefnogi ysgolion a darparwyr addysg drwy hyrwyddo'r gwerthoedd "
          "a'r egwyddorion cydweithredol. Ein diben yw helpu i ddatblygu a chynnal ysgolion "
          "cydweithredol rhagorol, sicrhau bod ysgolion sydd angen cymorth yn gwella'n gyflym, "
          "a gweithredu fel cyfrwng i alluogi rhannu arferion gorau a sicrhau arbedion maint "
          "drwy gydweithredu."),
        P("Byddwn yn gweithio gydag unrhyw ysgol sy'n rhannu'r gwerthoedd a'r egwyddorion "
          "cydweithredol, beth bynnag fo'i strwythur cyfreithiol, ei gradd Ofsted neu ei statws "
          "presennol. Ein nod yw cefnogi pob ysgol i fod yn dda neu'n rhagorol, ac i aros felly, "
          "a chredwn fod gan bob ysgol y potensial i gyflawni hyn."),
        CTA("Nodau ein rhwydwaith", "/network-aims"),
        CTA("Cysylltwch â ni", "/contact", "secondary"),
    ),
    "seo_title": "Rhwydwaith Ysgolion Cydweithredol",
    "seo_description": ("Cefnogi ysgolion a darparwyr addysg drwy hyrwyddo'r gwerthoedd a'r "
                        "egwyddorion cydweithredol."),
}

CSN_AIMS_EN = {
    "title": "Our network aims",
    "slug": "network-aims",
    "summary": ("Our network aims to promote co-operative values and principles, facilitate "
                "mutual support through the sharing of good practice, develop 21st Century "
                "co-operative learning communities and promote good governance."),
    "body": blocks(
        P("Our network aims to:\n\n"
          "- promote co-operative values and principles\n"
          "- facilitate mutual support through the sharing of good practice\n"
          "- develop 21st Century co-operative learning communities\n"
          "- promote good governance through structures that guarantee involvement for key "
          "stakeholders."),
        P("As a network we believe that our schools\n\n"
          "- Should be the preferred choice for young people and parents when selecting a school.\n"
          "- Should be the preferred choice for staff when seeking a position in a school"),
        P("As a project supported and directed by our member schools, we aim to provide them "
          "with the support and challenge that will enable them to be highly successful."),
        CTA("Contact us", "/contact"),
    ),
    "seo_title": "Our network aims | Co-operative Schools Network",
    "seo_description": ("Promote co-operative values and principles, share good practice, "
                        "develop co-operative learning communities and promote good governance."),
}

CSN_MODELS_EN = {
    "title": "Co-operative models",
    "slug": "co-operative-models",
    "summary": ("The legal structure of a co-operative school is only the machinery for the "
                "education service which they provide."),
    "body": blocks(
        P("The legal structure of a co-operative school is only the machinery for the "
          "education service which they provide."),
        Q("It is not what is on the label, but what is inside that really matters!"),
        P("We can advise on a number of models, working in partnership with Stone King, our "
          "legal advisers, but more importantly, we can help to make you feel a welcome member "
          "of the wider network of co-operative education providers."),
        H("Co-operative Foundation Trusts"),
        P("There are now hundreds of schools across the country which have adopted guidance set "
          "out in the 2006 Education and Inspections Act to create a living and dynamic education "
          "partnership using the model of a charitable Foundation Trust."),
        H("Co-operative Academy Models"),
        P("Academy status is now part of the education landscape. Over the last five years, our "
          "experts at the Schools Co-operative Society have developed an academy model which "
          "stays true to co-operative values and principles. This is a model which is recognised "
          "and approved by the DfE – further details on their website."),
        P("To support co-operative academies, established or in the making, we can help you to "
          "access the considerable experience of existing co-operative academies."),
        CTA("Contact us", "/contact"),
    ),
    "seo_title": "Co-operative models | Co-operative Schools Network",
    "seo_description": ("Co-operative Foundation Trusts and Co-operative Academy Models: we can "
                        "advise on a number of models, working with Stone King."),
}

CSN_CONTACT_EN = {
    "title": "Contact us",
    "slug": "contact",
    "summary": ("If you would like to find out more about co-operative education models or any "
                "other aspect of our work please contact us."),
    "body": blocks(
        P("If you would like to find out more about co-operative education models or any other "
          "aspect of our work please contact us."),
    ),
    "seo_title": "Contact us | Co-operative Schools Network",
}


# --------------------------------------------------------------------------
# Seed content: pages of the site "coopschools" (Coop Schools)
# --------------------------------------------------------------------------

COOP_HOME_EN = {
    "title": "Welcome to Coop Schools",
    "slug": "home",
    "summary": ("Coop Schools provides services and support for the network of cooperative "
                "schools, strengthening school improvement and local accountability."),
    "body": blocks(
        P("Since 2009 schools in England and Wales using cooperative education models have "
          "benefited from the work of Coop Schools (previously in the guise of the Schools "
          "Cooperative Society and the Cooperative Schools Network). Coop Schools provides "
          "services and support for the network of cooperative schools, strengthening school "
          "improvement and local accountability."),
        P("Coop Schools has one ambition - to support and enable schools that live the "
          "cooperative values to partner with other likeminded schools so that ethically driven "
          "school improvement happens."),
        P("We work with all cooperative schools, both Foundation Trust Schools and Cooperative "
          "Academies, or interested onlookers considering cooperation, or those who feel "
          "marginalised or outside of a club."),
        P("There is no typical partnership group size. Our members may be one school, a small "
          "group of two or three, right up to clusters of 20 or more."),
        P("There is no optimal partnership improvement model. Within an understanding of what it "
          "means to act cooperatively, we work with groups of schools to help them find the model "
          "that best suits them, and make their voices heard."),
        H("We are strong"),
        P("The ethical role of schools in their communities has never been clearer. We know "
          "cooperative schools exemplify brilliant ethical practices, including equitable "
          "democratic involvement. This is our strength, and because of it, we have the capacity "
          "to grow in school number and national profile."),
        H("We are supportive"),
        P("Working together, our schools can share their best work and drive improvement through "
          "cooperation between cooperatives."),
        H("We are many voices"),
        P("All our members matter. All our members need to be heard. We share our values and "
          "principles and represent all the regions of England and Wales, and many of its "
          "communities."),
        CTA("Get in Touch", "/contact"),
    ),
    "seo_title": "Coop Schools",
    "seo_description": ("Services and support for the network of cooperative schools in England "
                        "and Wales, strengthening school improvement and local accountability."),
}

COOP_HOME_CY = {
    "title": "Croeso i Coop Schools",
    "slug": "hafan",
    "summary": ("Mae Coop Schools yn darparu gwasanaethau a chymorth i'r rhwydwaith o ysgolion "
                "cydweithredol, gan gryfhau gwella ysgolion ac atebolrwydd lleol."),
    "body": blocks(
        P("Ers 2009, mae ysgolion yn Lloegr a Chymru sy'n defnyddio modelau addysg gydweithredol "
          "wedi elwa ar waith Coop Schools (gynt ar ffurf y Schools Cooperative Society a'r "
          "Cooperative Schools Network). Mae Coop Schools yn darparu gwasanaethau a chymorth i'r "
          "rhwydwaith o ysgolion cydweithredol, gan gryfhau gwella ysgolion ac atebolrwydd lleol."),
        P("Un uchelgais sydd gan Coop Schools – cefnogi a galluogi ysgolion sy'n byw'r gwerthoedd "
          "cydweithredol i weithio mewn partneriaeth ag ysgolion eraill o'r un anian, fel bod "
          "gwella ysgolion ar sail foesegol yn digwydd."),
        P("Rydym yn gweithio gyda phob ysgol gydweithredol, yn Ysgolion Ymddiriedolaeth "
          "Sefydledig ac yn Academïau Cydweithredol, neu wylwyr sydd â diddordeb ac sy'n ystyried "
          "cydweithredu, neu'r rhai sy'n teimlo eu bod ar y cyrion neu y tu allan i glwb."),
        P("Nid oes maint nodweddiadol i grŵp partneriaeth. Gall ein haelodau fod yn un ysgol, yn "
          "ddwy neu dair ysgol mewn grŵp bach, a hyd at glystyrau o 20 neu fwy."),
        P("Nid oes model gwella partneriaeth delfrydol. Gan ddeall beth mae'n ei olygu i "
          "weithredu'n gydweithredol, rydym yn gweithio gyda grwpiau o ysgolion i'w helpu i ddod "
          "o hyd i'r model sy'n gweddu orau iddynt, ac i sicrhau bod eu lleisiau'n cael eu clywed."),
        H("Rydym yn gryf"),
        P("Nid yw rôl foesegol ysgolion yn eu cymunedau erioed wedi bod yn gliriach. Gwyddom fod "
          "ysgolion cydweithredol yn enghreifftio arferion moesegol gwych, gan gynnwys cyfranogiad "
          "democrataidd teg. Dyma ein cryfder, ac oherwydd hynny, mae gennym y gallu i dyfu o ran "
          "nifer ein hysgolion a'n proffil cenedlaethol."),
        H("Rydym yn gefnogol"),
        P("Drwy gydweithio, gall ein hysgolion rannu eu gwaith gorau ac ysgogi gwelliant drwy "
          "gydweithredu rhwng mudiadau cydweithredol."),
        H("Rydym yn llawer o leisiau"),
        P("Mae ein holl aelodau'n bwysig. Mae angen clywed ein holl aelodau. Rydym yn rhannu ein "
          "gwerthoedd a'n hegwyddorion ac yn cynrychioli holl ranbarthau Lloegr a Chymru, a "
          "llawer o'u cymunedau."),
        CTA("Cysylltwch â ni", "/contact"),
    ),
    "seo_title": "Coop Schools",
    "seo_description": ("Gwasanaethau a chymorth i'r rhwydwaith o ysgolion cydweithredol yn "
                        "Lloegr a Chymru, gan gryfhau gwella ysgolion ac atebolrwydd lleol."),
}

COOP_CONTACT_EN = {
    "title": "Get in Touch",
    "slug": "contact",
    "summary": ("Coop Schools registered office: Kelvin Hall School, Bricknell Avenue, Hull, "
                "England HU5 4QH."),
    "body": blocks(
        H("Coop Schools registered office"),
        P("Kelvin Hall School, Bricknell Avenue, Hull, England HU5 4QH"),
        P("Telephone: 01482 347264"),
        P("National Director: Lee Phillips"),
    ),
    "seo_title": "Get in Touch | Coop Schools",
    "seo_description": ("Coop Schools registered office: Kelvin Hall School, Bricknell Avenue, "
                        "Hull, England HU5 4QH. Telephone: 01482 347264."),
}


def pages():
    return [
        page("csn", 0, CSN_HOME_EN, CSN_HOME_CY),
        page("csn", 1, CSN_AIMS_EN),
        page("csn", 2, CSN_MODELS_EN),
        page("csn", 3, CSN_CONTACT_EN),
        page("coopschools", 0, COOP_HOME_EN, COOP_HOME_CY),
        page("coopschools", 1, COOP_CONTACT_EN),
    ]


def testimonials():
    en = {
        "quote": ("Now we’ve redeveloped the school environment and our provision, we have "
                  "started to bring our Cooperative Trust back to life."),
        "author": "Ben Stephenson",
    }
    return [item("testimonial", "coopschools/ben-stephenson", "coopschools", SEED_TIME, {"en": en})]


# --------------------------------------------------------------------------
# Seed content: hand-written practice articles (themes of the seed sites)
# --------------------------------------------------------------------------

ARTICLE_ORDER = ["title", "slug", "summary", "body", "topics", "phase", "school", "author",
                 "visibility"]

HANDWRITTEN_ARTICLES = [
    {
        "en": {
            "title": "Sharing good practice between co-operative schools",
            "slug": "sharing-good-practice-between-co-operative-schools",
            "summary": ("Mutual support through the sharing of good practice is one of the aims "
                        "of the Co-operative Schools Network. This article looks at what "
                        "co-operation between co-operatives can mean for school improvement."),
            "body": blocks(
                P("One of the aims of the Co-operative Schools Network is to facilitate mutual "
                  "support through the sharing of good practice. Behind that aim is a simple "
                  "idea: schools that share the co-operative values are stronger when they work "
                  "together than when each tries to improve alone."),
                H("Co-operation between co-operatives"),
                P("Co-operation between co-operatives is one of the co-operative principles. For "
                  "schools it means treating the expertise in a partnership as a shared resource. "
                  "A school that has found a better way of doing something has a reason to pass "
                  "it on, and a school facing a real challenge has somewhere to turn."),
                P("Sharing works in both directions. Every school has something to offer and "
                  "something to learn, whether it is a single school, one of two or three schools "
                  "in a small group, or part of a cluster of twenty or more."),
                Q("Working together, our schools can share their best work and drive improvement "
                  "through cooperation between cooperatives.", "Coop Schools"),
                H("Getting started"),
                P("- Agree what the partnership wants to improve, and why.\n"
                  "- Let colleagues visit one another's classrooms and meetings.\n"
                  "- Share plans and resources rather than duplicating them.\n"
                  "- Review together what has worked and what has not."),
                P("Sharing good practice is also about economies of scale. Through co-operation, "
                  "schools can make better use of their time and money, and spend more of both "
                  "on teaching and learning."),
            ),
            "topics": ["solidarity", "self-help", "partnerships", "school-improvement",
                       "co-operative-education"],
            "visibility": "public",
        },
        "cy": {
            "title": "Rhannu arferion da rhwng ysgolion cydweithredol",
            "slug": "rhannu-arferion-da-rhwng-ysgolion-cydweithredol",
            "summary": ("Un o nodau'r Rhwydwaith Ysgolion Cydweithredol yw hwyluso "
                        "cyd-gefnogaeth drwy rannu arferion da. Mae'r erthygl hon yn ystyried "
                        "beth all cydweithredu rhwng mudiadau cydweithredol ei olygu i wella "
                        "ysgolion."),
            "body": blocks(
                P("Un o nodau'r Rhwydwaith Ysgolion Cydweithredol yw hwyluso cyd-gefnogaeth drwy "
                  "rannu arferion da. Wrth wraidd y nod hwnnw mae syniad syml: mae ysgolion sy'n "
                  "rhannu'r gwerthoedd cydweithredol yn gryfach pan fyddant yn gweithio gyda'i "
                  "gilydd na phan fydd pob un yn ceisio gwella ar ei phen ei hun."),
                H("Cydweithredu rhwng mudiadau cydweithredol"),
                P("Mae cydweithredu rhwng mudiadau cydweithredol yn un o'r egwyddorion "
                  "cydweithredol. I ysgolion, mae'n golygu trin yr arbenigedd sydd mewn "
                  "partneriaeth fel adnodd a rennir. Mae gan ysgol sydd wedi dod o hyd i ffordd "
                  "well o wneud rhywbeth reswm dros ei rhannu, ac mae gan ysgol sy'n wynebu her go "
                  "iawn rywle i droi ato."),
                P("Mae rhannu'n gweithio'r ddwy ffordd. Mae gan bob ysgol rywbeth i'w gynnig a "
                  "rhywbeth i'w ddysgu, boed yn ysgol unigol, yn un o ddwy neu dair ysgol mewn "
                  "grŵp bach, neu'n rhan o glwstwr o ugain neu fwy."),
                Q("Drwy gydweithio, gall ein hysgolion rannu eu gwaith gorau ac ysgogi gwelliant "
                  "drwy gydweithredu rhwng mudiadau cydweithredol.", "Coop Schools"),
                H("Dechrau arni"),
                P("- Cytuno ar yr hyn y mae'r bartneriaeth am ei wella, a pham.\n"
                  "- Gadael i gydweithwyr ymweld ag ystafelloedd dosbarth a chyfarfodydd ei "
                  "gilydd.\n"
                  "- Rhannu cynlluniau ac adnoddau yn hytrach na'u dyblygu.\n"
                  "- Adolygu ar y cyd yr hyn sydd wedi gweithio a'r hyn sydd heb weithio."),
                P("Mae rhannu arferion da hefyd yn ymwneud ag arbedion maint. Drwy gydweithredu, "
                  "gall ysgolion wneud gwell defnydd o'u hamser a'u harian, a gwario mwy o'r ddau "
                  "ar addysgu a dysgu."),
            ),
        },
    },
    {
        "en": {
            "title": "Democratic involvement of students and families",
            "slug": "democratic-involvement-of-students-and-families",
            "summary": ("Co-operative schools aim for equitable democratic involvement. This "
                        "article looks at how students, families and staff can take part in the "
                        "decisions that shape their school."),
            "body": blocks(
                P("Democracy is one of the co-operative values, and equitable democratic "
                  "involvement is one of the ethical practices that co-operative schools "
                  "exemplify. In a co-operative school, the people who have a stake in the "
                  "school – students, parents and carers, staff and the local community – have a "
                  "voice in how it is run."),
                H("Structures that guarantee involvement"),
                P("The Co-operative Schools Network aims to promote good governance through "
                  "structures that guarantee involvement for key stakeholders. Formal structures "
                  "give each group of stakeholders a place in the school's governance, but "
                  "structures only matter if they are used."),
                H("Students"),
                P("Student councils and learner voice groups work best when they have real "
                  "decisions to make and can see what happens as a result. Students who help to "
                  "shape school policies learn about democracy by practising it."),
                H("Families"),
                P("Families are more likely to take part when they are asked early, when meetings "
                  "are held at times they can manage, and when they can see what changed because "
                  "of what they said. Decisions made with families, rather than for them, tend "
                  "to last."),
                P("Equality matters here too: every member's voice should count equally, and "
                  "schools should make a particular effort to hear those who feel marginalised."),
            ),
            "topics": ["democracy", "equality", "student-voice", "parents", "governance"],
            "visibility": "public",
        },
    },
    {
        "en": {
            "title": "Self-help and self-responsibility in school improvement",
            "slug": "self-help-and-self-responsibility-in-school-improvement",
            "summary": ("Self-help and self-responsibility are co-operative values. For schools "
                        "they mean taking ownership of improvement while drawing on the support "
                        "of a wider network."),
            "body": blocks(
                P("Self-help and self-responsibility are among the co-operative values. Applied "
                  "to school improvement, they describe schools that take responsibility for "
                  "their own development rather than waiting for improvement to be done to them."),
                P("That does not mean working alone. The network aims to provide professional "
                  "support to its members both in good times and whenever they are facing a real "
                  "challenge, and to give them the support and challenge that will enable them to "
                  "be highly successful."),
                H("Questions for leaders and governors"),
                P("- What are we responsible for improving, and how will we know it has improved?\n"
                  "- Which colleagues already do this well, in our school or in our partnership?\n"
                  "- Who else can we ask for help, and what can we offer in return?\n"
                  "- How will we make sure improvements last beyond a single leader?"),
                P("Every school has the potential to become and remain good or outstanding. "
                  "Self-help is how a school starts on that path; the support of other "
                  "co-operative schools helps it to stay there."),
            ),
            "topics": ["self-help", "self-responsibility", "school-improvement", "leadership",
                       "professional-development"],
            "visibility": "members",
        },
    },
    {
        "en": {
            "title": "Equality, equity and solidarity in a network of schools",
            "slug": "equality-equity-and-solidarity-in-a-network-of-schools",
            "summary": ("The Co-operative Schools Network will work with any school that shares "
                        "the co-operative values and principles, regardless of legal structure, "
                        "OFSTED rating or current status. Equality, equity and solidarity "
                        "explain why."),
            "body": blocks(
                P("The co-operative values include equality, equity and solidarity. In a network "
                  "of schools they shape who is welcome, how support is shared and how members "
                  "treat one another."),
                H("Equality"),
                P("Every member matters and every member needs to be heard, whatever its size, "
                  "its region or its legal structure. A single school has the same place in the "
                  "network as a cluster of twenty."),
                H("Equity"),
                P("Equity means giving most support where it is most needed. A network that aims "
                  "to ensure the rapid improvement of schools which need support has to be ready "
                  "to direct its attention to them."),
                H("Solidarity"),
                P("Solidarity means standing by members in difficult times as well as good ones. "
                  "Schools that feel marginalised or outside of a club are as welcome as those "
                  "that are already thriving."),
            ),
            "topics": ["equality", "equity", "solidarity", "inclusion", "co-operative-education"],
            "visibility": "public",
        },
    },
]

# Welsh translation of generated article 1 (count 300, seed 42).  The
# generator's output for article 1 is pinned by EXPECTED_GEN1_SLUG; if the
# generator changes, the build fails instead of pairing a stale translation.
EXPECTED_GEN1_SLUG = "the-meadows-federation-and-the-co-operative-route-to-better-transition-1"

_DEV = "“Mae plant yn sylwi pan fydd oedolion yn gyson, ac maen nhw'n ymateb i hynny,”"
_SCEPTIC = ("Nid oedd pob cydweithiwr wedi'i argyhoeddi ar y dechrau, a bu'r amheuaeth honno'n "
            "ddefnyddiol.")
_FAMILIES = "“Roedden ni am i benderfyniadau gael eu gwneud gyda theuluoedd, nid ar eu rhan,”"
_VOICE = "gyda'r nod o roi llais go iawn i deuluoedd mewn penderfyniadau"
_MONEY = "er mwyn gwneud gwell defnydd o amser ac arian cyfyngedig"
_PAPER = "er mwyn i athrawon allu treulio llai o amser ar waith papur a mwy ar gynllunio"
_GAP = "dechreuodd y bwlch yng nghanlyniadau ysgrifennu bechgyn gau"
_DEMOCRATIC = "er mwyn adlewyrchu egwyddor rheolaeth ddemocrataidd gan yr aelodau"
_VALUES = "yn unol â gwerthoedd cydweithredol hunangymorth a hunangyfrifoldeb"
_EXCLUSIONS = "gostyngodd nifer y gwaharddiadau cyfnod penodol yn sylweddol"
_LAST = "er mwyn sicrhau y byddai'r gwelliannau'n para y tu hwnt i un arweinydd"
_SEN = "y cymorth i ddisgyblion ag anghenion addysgol arbennig"
_MENTOR = "y mentora gan gymheiriaid i staff newydd"
_LEARNER_VOICE = "grŵp llais dysgwyr yr ysgol"

GEN1_CY = {
    "title": "The Meadows Federation a'r llwybr cydweithredol at bontio gwell",
    "slug": "the-meadows-federation-ar-llwybr-cydweithredol-at-bontio-gwell",
    "summary": ("Cryfhaodd The Meadows Federation y datblygiad proffesiynol i gynorthwywyr "
                "addysgu yn unol â gwerthoedd cydweithredol hunangymorth a hunangyfrifoldeb. "
                "Yn gynnar yn y broses, daeth y disgyblion yn amlwg yn fwy hyderus wrth egluro "
                "eu rhesymu."),
    "body": "\n\n".join([
        ("Adolygodd ymgynghorydd yr awdurdod lleol y sesiynau dysgu teuluol gan dynnu ar ymchwil "
         "am ddysgu proffesiynol effeithiol. Yn gynnar yn y broses, " + _GAP + ". Treialodd "
         "athrawon ar draws yr ymddiriedolaeth ei dull o asesu ffurfiannol " + _VOICE + ". Yn "
         "annisgwyl efallai, " + _GAP + ". Treialodd " + _LEARNER_VOICE + " y rhaglen gyrfaoedd "
         "a menter oherwydd bod yr arolygiad blaenorol wedi nodi anghysondeb rhwng dosbarthiadau. "
         + _DEV + " meddai Fatima Whitfield, pennaeth yr adran fathemateg."),
        ("Adolygodd ymgynghorydd yr awdurdod lleol y datblygiad proffesiynol i gynorthwywyr "
         "addysgu " + _MONEY + ". Yn ymarferol, dywedodd y staff fod cyfarfodydd yn teimlo'n fwy "
         "pwrpasol ac yn llai brysiog. Cododd presenoldeb o 91.8% i 94.5% dros 2 dymor. Cododd "
         "presenoldeb o 90.1% i 95.7% dros 8 tymor. Archwiliodd athrawon ar draws yr "
         "ymddiriedolaeth y strategaeth bresenoldeb " + _DEMOCRATIC + "."),
        ("O'r dechrau, daeth y disgyblion yn amlwg yn fwy hyderus wrth egluro eu rhesymu. Erbyn "
         "y gwanwyn, roedd athrawon wedi dechrau ymweld â dosbarthiadau ei gilydd heb i neb ofyn "
         "iddynt. Cododd cyfradd cadw staff o 85.9% i 87.8% dros 4 tymor. Symleiddiodd yr "
         "arweinwyr canol amgylchedd dysgu'r blynyddoedd cynnar " + _VOICE + ". Symleiddiodd yr "
         "uwch dîm arwain " + _SEN + " ar ôl ymgynghori â disgyblion, staff a rhieni. Rhoddodd y "
         "corff llywodraethu brawf ar y rhaglen gyrfaoedd a menter er mwyn i bob dysgwr allu "
         "gwneud cynnydd mesuradwy."),
        ("“Fe ddysgon ni fwy gan yr ysgolion yn ein partneriaeth na chan unrhyw ymgynghorydd,” "
         "meddai Dev Mensah, y swyddog datblygu cydweithredol. Yn hollbwysig, aeth sawl aelod o'r "
         "staff cymorth ymlaen i hyfforddi fel athrawon. Adolygodd " + _LEARNER_VOICE + " "
         + _SEN + " " + _PAPER + ". O'r cychwyn cyntaf, " + _GAP + ". Ni ddigwyddodd dim o hyn "
         "yn gyflym, a chafwyd rhwystrau ar hyd y ffordd. Y prawf go iawn fydd gweld a yw'r "
         "enillion yn goroesi'r newid nesaf yn yr arweinyddiaeth."),
        (_DEV + " meddai Niamh Okafor, arweinydd y blynyddoedd cynnar. Cododd cyfradd cadw staff "
         "o 91.7% i 93.2% dros 9 tymor. Cododd cyfran y disgyblion sy'n cyrraedd y safon "
         "ddisgwyliedig o 90.0% i 93.9% dros 6 thymor."),
        ("Drwy gydol y broses, " + _GAP + ". Cyd-gynlluniodd disgyblion o'r cyngor ysgol " + _SEN
         + " " + _VOICE + ". " + _SCEPTIC + " Dros dair blynedd, " + _EXCLUSIONS + ". Rhannodd "
         "staff y bartneriaeth y cyfrifoldeb am sgyrsiau hyfforddi rhwng cydweithwyr er mwyn "
         "lleihau'r bwlch rhwng disgyblion difreintiedig a'u cyfoedion. Cynigiodd egwyddorion "
         "cydweithredol iaith gyffredin ar gyfer sgyrsiau anodd."),
        ("O'r dechrau, gofynnodd y llywodraethwyr gwestiynau mwy treiddgar am effaith pob "
         "menter. “Roedd y newid mwyaf yn y ffordd roedden ni'n siarad â'n gilydd fel "
         "cydweithwyr,” meddai Dev Mensah, y pennaeth. Cododd presenoldeb o 84.0% i 87.5% dros 4 "
         "tymor. " + _DEV + " meddai Owen Okafor, cadeirydd y llywodraethwyr. Ehangodd "
         "ymgynghorydd yr awdurdod lleol strwythurau democrataidd yr ysgol " + _VOICE + ". "
         + _FAMILIES + " meddai Yusuf Griffiths, pennaeth yr adran fathemateg."),
        ("Cryfhaodd staff y bartneriaeth ei dull o asesu ffurfiannol oherwydd bod yr arolygiad "
         "blaenorol wedi nodi anghysondeb rhwng dosbarthiadau. Cododd cyfran y disgyblion sy'n "
         "cyrraedd y safon ddisgwyliedig o 92.4% i 94.9% dros 2 dymor. " + _SCEPTIC + " "
         "Ailgynlluniodd y staff cymorth " + _MENTOR + " er mwyn lleihau'r bwlch rhwng disgyblion "
         "difreintiedig a'u cyfoedion. Rhoddodd ymgynghorydd yr awdurdod lleol brawf ar " + _MENTOR
         + " " + _MONEY + "."),
        (_SCEPTIC + " Adolygodd yr arweinwyr pwnc y cynllun gwaith ar gyfer gwyddoniaeth "
         + _VALUES + ". " + _FAMILIES + " meddai Ian Whitfield, y dirprwy bennaeth. "
         "Ailgynlluniodd bwrdd yr ymddiriedolaeth y system fugeiliol " + _DEMOCRATIC + ". Cododd "
         "presenoldeb o 90.6% i 92.2% dros 5 tymor. “Fe wnaethon ni roi'r gorau i fynd ar ôl pob "
         "syniad newydd a chanolbwyntio ar ychydig o bethau wedi'u gwneud yn dda,” meddai Bilal "
         "Wood, prif weithredwr yr ymddiriedolaeth."),
        ("Drwy gydol y broses, canfu'r ysgol fod arferion bach, cyson yn bwysicach na chynlluniau "
         "newydd. Rhoddodd y staff cymorth ffocws newydd i'r system fugeiliol " + _PAPER + ". Ar "
         "yr un pryd, " + _EXCLUSIONS + "."),
        ("Symleiddiodd ymgynghorydd yr awdurdod lleol y sgyrsiau hyfforddi rhwng cydweithwyr "
         + _LAST + ". Treialodd ymgynghorydd yr awdurdod lleol y defnydd o siarad yn y dosbarth "
         + _PAPER + ". Gwerthusodd " + _LEARNER_VOICE + " y rhaglen ffoneg " + _MONEY + ". "
         "Treialodd yr uwch dîm arwain y trefniadau pontio o'r cynradd i'r uwchradd " + _MONEY
         + "."),
        ("Dros dair blynedd, " + _EXCLUSIONS + ". Ehangodd y corff llywodraethu'r polisi "
         "ymddygiad " + _LAST + ". Yn ymarferol, dywedodd rhieni eu bod yn deall am y tro cyntaf "
         "sut roedd darllen yn cael ei addysgu. Ailgynlluniodd bwrdd yr ymddiriedolaeth y "
         "sgyrsiau hyfforddi rhwng cydweithwyr " + _DEMOCRATIC + ". Rhannodd disgyblion y cyngor "
         "ysgol y cyfrifoldeb am " + _MENTOR + " " + _VALUES + "."),
    ]),
}


def handwritten_articles():
    out = []
    for art in HANDWRITTEN_ARTICLES:
        en = {k: art["en"][k] for k in ARTICLE_ORDER if k in art["en"]}
        locales = {"en": en}
        if "cy" in art:
            locales["cy"] = {k: art["cy"][k] for k in ARTICLE_ORDER if k in art["cy"]}
        out.append(item("practice_article", en["slug"], "csn", SEED_TIME, locales))
    return out


# --------------------------------------------------------------------------
# Generated practice articles
# --------------------------------------------------------------------------

def load_generator(path):
    if not path.is_file():
        raise SystemExit(f"build_demo: generator not found: {path} (use --bench)")
    spec = importlib.util.spec_from_file_location("gen_articles", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"build_demo: cannot load generator {path}")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def generated_articles(gen):
    out = []
    draft_base = parse_dt(DRAFT_BASE)
    for i, art in enumerate(gen.generate(GEN_COUNT, GEN_SEED), 1):
        published = art["status"] == "published"
        if published:
            created = fmt_dt(parse_dt(art["published_at"]))
        else:
            if art["status"] != "draft" or art["published_at"] is not None:
                raise SystemExit(f"build_demo: generated article {i}: unexpected status "
                                 f"{art['status']!r} / published_at {art['published_at']!r}")
            created = fmt_dt(draft_base + timedelta(seconds=i))
        en = {
            "title": art["title"],
            "slug": art["slug"],
            "summary": art["summary"],
            "body": blocks(P(art["body"])),
            "topics": list(art["tags"]),
            "visibility": "members" if i % 5 == 0 else "public",
        }
        rec = {"sys": {"id": ulid(created, "practice_article", art["slug"]),
                       "type": "practice_article", "site": "csn", "created_at": created},
               "locales": {"en": locale_entry(en, "published" if published else "draft", created,
                                              created if published else None)}}
        if i == 1:
            if art["slug"] != EXPECTED_GEN1_SLUG or not published:
                raise SystemExit("build_demo: generated article 1 is not the one the Welsh "
                                 f"translation was made for (slug {art['slug']!r}); "
                                 "update GEN1_CY")
            cy = {"title": GEN1_CY["title"], "slug": GEN1_CY["slug"],
                  "summary": GEN1_CY["summary"], "body": blocks(P(GEN1_CY["body"]))}
            # The translation was published with the rest of the seed content.
            rec["locales"]["cy"] = locale_entry(cy, "published", SEED_TIME, SEED_TIME)
        out.append(rec)
    if len(out) != GEN_COUNT:
        raise SystemExit(f"build_demo: generator gave {len(out)} articles, expected {GEN_COUNT}")
    return out


# --------------------------------------------------------------------------
# Self-check against the content model
# --------------------------------------------------------------------------

PHASES = ["nursery", "primary", "secondary", "all_through", "special", "post_16"]
REGIONS = ["north_east", "north_west", "yorkshire_and_the_humber", "east_midlands",
           "west_midlands", "east_of_england", "london", "south_east", "south_west", "wales"]
TOPICS = ["self-help", "self-responsibility", "democracy", "equality", "equity", "solidarity",
          "school-improvement", "co-operative-education", "governance", "leadership",
          "curriculum", "assessment", "inclusion", "send", "attendance", "behaviour", "reading",
          "mathematics", "early-years", "professional-development", "parents", "student-voice",
          "wellbeing", "research", "partnerships", "trusts", "ofsted"]
POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def F(type_, required=False, localized=False, **kw):
    return dict(type=type_, required=required, localized=localized, **kw)


SCHEMA = {
    "page": {"shared": False, "slug": "slug", "fields": {
        "title": F("string", True, True, max=200),
        "slug": F("slug", True, True),
        "summary": F("text", localized=True, max=500),
        "body": F("blocks", localized=True, max=200),
        "seo_title": F("string", localized=True, max=70),
        "seo_description": F("text", localized=True, max=160),
        "nav_order": F("integer", min=0),
    }},
    "testimonial": {"shared": False, "slug": None, "fields": {
        "quote": F("text", True, True, max=1000),
        "author": F("string", True, max=120),
        "role": F("string", localized=True, max=120),
        "school": F("reference", to="school_profile"),
        "photo": F("media"),
    }},
    "school_profile": {"shared": True, "slug": "slug", "fields": {
        "name": F("string", True, max=200),
        "slug": F("slug", True),
        "phase": F("enum", values=PHASES),
        "address": F("text", max=500),
        "town": F("string", max=100),
        "postcode": F("string", max=10, pattern=POSTCODE),
        "region": F("enum", values=REGIONS),
        "partnership_group": F("string", max=200),
        "model": F("enum", values=["foundation_trust", "cooperative_academy", "other"]),
        "member_since": F("date"),
        "registered_office": F("boolean"),
        "contact_name": F("string", max=120),
        "contact_role": F("string", localized=True, max=120),
        "telephone": F("string", max=30),
        "email": F("string", max=254, pattern=EMAIL),
        "website": F("string", max=300),
        "description": F("richtext", localized=True),
    }},
    "practice_article": {"shared": True, "slug": "slug", "fields": {
        "title": F("string", True, True, max=300),
        "slug": F("slug", True, True),
        "summary": F("text", localized=True, max=1000),
        "body": F("blocks", localized=True, max=200),
        "topics": F("enum", values=TOPICS, multiple=True, max=10),
        "phase": F("enum", values=PHASES),
        "school": F("reference", to="school_profile"),
        "author": F("string", max=200),
        "visibility": F("enum", True, values=["public", "members"]),
    }},
}
SITES = {"csn", "coopschools"}
LOCALES = ("en", "cy")
STATES = {"draft", "in_review", "approved", "published"}
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
BLOCK_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
URL_RE = re.compile(r"^(https?://[^\s/]+\S*|/\S*)$")
EMBED_RE = re.compile(r"^https?://(www\.)?(youtube\.com/watch\?v=[\w-]+|youtu\.be/[\w-]+|"
                      r"youtube\.com/embed/[\w-]+|vimeo\.com/\d+)")
BLOCK_PROPS = {
    "paragraph": {"text": ("md", True, 100000)},
    "heading": {"text": ("line", True, 300), "level": ("level", False, None)},
    "image": {"media": ("id", True, None), "alt": ("line", True, 300),
              "caption": ("line", False, 500)},
    "quote": {"text": ("str", True, 2000), "cite": ("line", False, 200)},
    "call_to_action": {"label": ("line", True, 120), "url": ("url", True, None),
                       "style": ("style", False, None)},
    "embed": {"url": ("embed", True, None), "title": ("line", False, 200)},
}


class Checker:
    def __init__(self):
        self.errors = []
        self.ids = {}          # id -> type
        self.slugs = set()     # (type, scope, locale, slug)

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def check_dt(self, where, v):
        if not isinstance(v, str) or not MS_DT_RE.match(v):
            self.err(where, f"not a millisecond UTC datetime: {v!r}")
            return None
        try:
            return parse_dt(v)
        except ValueError:
            self.err(where, f"invalid datetime {v!r}")
            return None

    def check_len(self, where, v, spec):
        if "max" in spec and len(v) > spec["max"]:
            self.err(where, f"too_long ({len(v)} > {spec['max']})")
        if "min" in spec and len(v) < spec["min"]:
            self.err(where, f"too_short ({len(v)} < {spec['min']})")
        if "pattern" in spec and not re.search(spec["pattern"], v):
            self.err(where, f"pattern: {v!r}")

    def check_value(self, where, v, spec):
        t = spec["type"]
        if t in ("string", "text", "richtext", "slug"):
            if not isinstance(v, str):
                return self.err(where, "wrong_type (expected a string)")
            if t == "string" and "\n" in v:
                self.err(where, "invalid_format (newline in a single-line string)")
            if t == "slug":
                if not SLUG_RE.match(v):
                    self.err(where, f"invalid_slug {v!r}")
                if len(v) > spec.get("max", 200):
                    self.err(where, "too_long slug")
            if not v.strip():
                self.err(where, "empty string")
            self.check_len(where, v, spec)
        elif t == "enum":
            if spec.get("multiple"):
                if not isinstance(v, list):
                    return self.err(where, "wrong_type (expected an array)")
                if len(set(v)) != len(v):
                    self.err(where, "duplicate enum value")
                for x in v:
                    if x not in spec["values"]:
                        self.err(where, f"not_in_enum {x!r}")
                if "max" in spec and len(v) > spec["max"]:
                    self.err(where, f"too many values ({len(v)})")
            elif v not in spec["values"]:
                self.err(where, f"not_in_enum {v!r}")
        elif t == "integer":
            if not isinstance(v, int) or isinstance(v, bool):
                return self.err(where, "wrong_type (expected an integer)")
            if "min" in spec and v < spec["min"]:
                self.err(where, "too_small")
            if "max" in spec and v > spec["max"]:
                self.err(where, "too_large")
        elif t == "boolean":
            if not isinstance(v, bool):
                self.err(where, "wrong_type (expected a boolean)")
        elif t == "date":
            try:
                datetime.strptime(v, "%Y-%m-%d")
            except (TypeError, ValueError):
                self.err(where, f"invalid_date {v!r}")
        elif t in ("reference", "media"):
            if not isinstance(v, str) or not ULID_RE.match(v):
                return self.err(where, f"invalid_id {v!r}")
            if t == "reference":
                if v not in self.ids:
                    self.err(where, f"reference {v} is not an item defined earlier")
                elif self.ids[v] != spec["to"]:
                    self.err(where, f"reference {v} is a {self.ids[v]}, not a {spec['to']}")
        elif t == "blocks":
            self.check_blocks(where, v, spec)
        else:
            self.err(where, f"unchecked field type {t}")

    def check_blocks(self, where, v, spec):
        if not isinstance(v, list):
            return self.err(where, "wrong_type (expected an array of blocks)")
        if "max" in spec and len(v) > spec["max"]:
            self.err(where, f"too many blocks ({len(v)})")
        if not v:
            self.err(where, "empty body")
        for n, b in enumerate(v):
            bw = f"{where}[{n}]"
            if not isinstance(b, dict) or list(b) != ["id", "type", "props"]:
                self.err(bw, "a block must be exactly {id, type, props}")
                continue
            if b["id"] != f"b{n + 1}" or not BLOCK_ID_RE.match(b["id"]):
                self.err(bw, f"block id {b['id']!r} is not b{n + 1}")
            props_spec = BLOCK_PROPS.get(b["type"])
            if props_spec is None:
                self.err(bw, f"unknown_block {b['type']!r}")
                continue
            props = b["props"]
            if not isinstance(props, dict):
                self.err(bw, "props must be an object")
                continue
            for p in props:
                if p not in props_spec:
                    self.err(f"{bw}.props.{p}", "unknown_field")
            for p, (kind, required, mx) in props_spec.items():
                pw = f"{bw}.props.{p}"
                if p not in props or props[p] is None:
                    if required:
                        self.err(pw, "required")
                    continue
                pv = props[p]
                if kind == "level":
                    if not isinstance(pv, int) or isinstance(pv, bool) or not 2 <= pv <= 6:
                        self.err(pw, f"level must be an integer 2..6, got {pv!r}")
                    continue
                if not isinstance(pv, str):
                    self.err(pw, "wrong_type (expected a string)")
                    continue
                if not pv.strip():
                    self.err(pw, "empty")
                if mx is not None and len(pv) > mx:
                    self.err(pw, f"too_long ({len(pv)} > {mx})")
                if kind == "line" and "\n" in pv:
                    self.err(pw, "invalid_format (newline)")
                if kind == "url" and not URL_RE.match(pv):
                    self.err(pw, f"invalid_url {pv!r}")
                if kind == "embed" and not EMBED_RE.match(pv):
                    self.err(pw, f"invalid_url {pv!r}")
                if kind == "style" and pv not in ("primary", "secondary"):
                    self.err(pw, f"not_in_enum {pv!r}")
                if kind == "id" and not ULID_RE.match(pv):
                    self.err(pw, f"invalid_id {pv!r}")

    def check_fields(self, where, fields, schema, locale):
        if not isinstance(fields, dict):
            return self.err(where, "fields must be an object")
        specs = schema["fields"]
        for name, v in fields.items():
            fw = f"{where}.{name}"
            spec = specs.get(name)
            if spec is None:
                self.err(fw, "unknown_field")
                continue
            if locale != "en" and not spec["localized"]:
                self.err(fw, f"non-localized field given in locale {locale}")
            if v is None:
                self.err(fw, "null value (leave optional fields out instead)")
                continue
            self.check_value(fw, v, spec)
        if locale == "en":
            for name, spec in specs.items():
                if spec["required"] and fields.get(name) is None:
                    self.err(f"{where}.{name}", "required")

    def check_line(self, lineno, rec):
        where = f"line {lineno}"
        if not isinstance(rec, dict) or list(rec) != ["sys", "locales"]:
            return self.err(where, "a line must be exactly {sys, locales}")
        sys_ = rec["sys"]
        if not isinstance(sys_, dict) or list(sys_) != ["id", "type", "site", "created_at"]:
            return self.err(where, "sys must be exactly {id, type, site, created_at}")
        id_, type_, site = sys_["id"], sys_["type"], sys_["site"]
        where = f"line {lineno} ({type_} {id_})"
        schema = SCHEMA.get(type_)
        if schema is None:
            return self.err(where, f"unknown type {type_!r}")
        if site not in SITES:
            self.err(where, f"unknown site {site!r}")
        created = self.check_dt(f"{where}.sys.created_at", sys_["created_at"])
        if not isinstance(id_, str) or not ULID_RE.match(id_):
            return self.err(where, f"id is not a ULID: {id_!r}")
        if id_ in self.ids:
            self.err(where, "duplicate id")
        if created is not None and ulid_ms(id_) != to_ms(created):
            self.err(where, "ULID timestamp differs from created_at")
        locales = rec["locales"]
        if not isinstance(locales, dict) or "en" not in locales:
            return self.err(where, "locales must include en")
        scope = "*shared*" if schema["shared"] else site
        for loc, entry in locales.items():
            lw = f"{where}.locales.{loc}"
            if loc not in LOCALES:
                self.err(lw, "unknown locale")
                continue
            if not isinstance(entry, dict) or not set(entry) <= {"sys", "fields", "published"} \
                    or "sys" not in entry or "fields" not in entry:
                self.err(lw, "a locale must be {sys, fields, published?}")
                continue
            lsys = entry["sys"]
            if list(lsys) != ["revision", "state", "updated_at"]:
                self.err(lw, "locale sys must be exactly {revision, state, updated_at}")
                continue
            if lsys["revision"] != 1 or isinstance(lsys["revision"], bool):
                self.err(lw, "revision must be 1")
            if lsys["state"] not in STATES:
                self.err(lw, f"unknown state {lsys['state']!r}")
            updated = self.check_dt(f"{lw}.sys.updated_at", lsys["updated_at"])
            if updated and created and updated < created:
                self.err(lw, "updated_at before created_at")
            self.check_fields(f"{lw}.fields", entry["fields"], schema, loc)
            pub = entry.get("published")
            if (lsys["state"] == "published") != (pub is not None):
                self.err(lw, "state 'published' if and only if a published snapshot exists")
            if pub is not None:
                if list(pub) != ["sys", "fields"] or list(pub["sys"]) != ["revision", "published_at"]:
                    self.err(lw, "published must be {sys: {revision, published_at}, fields}")
                else:
                    if pub["sys"]["revision"] != 1:
                        self.err(lw, "published revision must be 1")
                    pdt = self.check_dt(f"{lw}.published.sys.published_at",
                                        pub["sys"]["published_at"])
                    if pdt and created and pdt < created:
                        self.err(lw, "published_at before created_at")
                    if pub["fields"] != entry["fields"]:
                        self.err(lw, "published fields differ from the working fields")
            slug_field = schema["slug"]
            if slug_field and isinstance(entry["fields"], dict) and slug_field in entry["fields"]:
                key = (type_, scope, loc, entry["fields"][slug_field])
                if key in self.slugs:
                    self.err(lw, f"duplicate slug {key}")
                self.slugs.add(key)
        self.ids[id_] = type_


def check_all(records):
    c = Checker()
    order = {"school_profile": 0, "page": 1, "testimonial": 2, "practice_article": 3}
    last = -1
    for n, rec in enumerate(records, 1):
        c.check_line(n, rec)
        rank = order.get(rec.get("sys", {}).get("type"), 99)
        if rank < last:
            c.err(f"line {n}", "items out of order (schools, pages, testimonials, articles)")
        last = max(last, rank)
    # Content expectations of the demo.
    types = [r["sys"]["type"] for r in records]
    arts = [r for r in records if r["sys"]["type"] == "practice_article"]
    if types.count("school_profile") != 1 or types.count("testimonial") != 1:
        c.err("file", "expected one school profile and one testimonial")
    if len(arts) != GEN_COUNT + len(HANDWRITTEN_ARTICLES):
        c.err("file", f"expected {GEN_COUNT + len(HANDWRITTEN_ARTICLES)} articles, got {len(arts)}")
    homes = [r for r in records if r["sys"]["type"] == "page"
             and r["locales"]["en"]["fields"]["slug"] == "home"]
    if sorted(r["sys"]["site"] for r in homes) != ["coopschools", "csn"]:
        c.err("file", "expected one home page per site")
    for r in homes:
        cy = r["locales"].get("cy", {}).get("fields", {})
        missing = [f for f, s in SCHEMA["page"]["fields"].items() if s["localized"] and f not in cy]
        if missing:
            c.err(f"home page of {r['sys']['site']}", f"Welsh lacks {missing}")
    if not any("cy" in r["locales"] for r in arts):
        c.err("file", "no Welsh practice article")
    for r in arts:
        if "cy" in r["locales"] and set(r["locales"]["cy"]["fields"]) != {"title", "slug",
                                                                         "summary", "body"}:
            c.err(r["sys"]["id"], "a Welsh article must translate title, slug, summary and body")
    return c.errors


# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bench", default=str(DEFAULT_BENCH),
                    help="path of gen_articles.py (default: %(default)s)")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="output file (default: %(default)s)")
    a = ap.parse_args()

    gen = load_generator(Path(a.bench))
    records = (school_profiles() + pages() + testimonials() + handwritten_articles()
               + generated_articles(gen))
    errors = check_all(records)
    if errors:
        for e in errors[:200]:
            print(f"build_demo: {e}", file=sys.stderr)
        print(f"build_demo: {len(errors)} error(s); nothing written", file=sys.stderr)
        sys.exit(1)

    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    # Round-trip check: what is written parses back to the same records.
    assert [json.loads(l) for l in lines] == records
    tmp = Path(a.out + ".tmp")
    tmp.write_text("".join(l + "\n" for l in lines), encoding="utf-8", newline="\n")
    tmp.replace(a.out)

    arts = [r for r in records if r["sys"]["type"] == "practice_article"]
    published = sum("published" in r["locales"]["en"] for r in arts)
    members = sum(r["locales"]["en"]["fields"]["visibility"] == "members" for r in arts)
    print(f"build_demo: wrote {len(lines)} lines to {a.out} "
          f"({len(arts)} practice articles: {published} published, {len(arts) - published} draft, "
          f"{members} members-only)")


if __name__ == "__main__":
    main()
