"""A seeded generator of synthetic kzgraph datasets, shaped like the curated data, at any size.

The output mirrors ``data/*.trig``: every fact sits in an evidence graph (``kze:``) that
``kzg:provenance`` describes (source, claimant, assertion mode, paragraph, offsets, quote);
``kzg:sources`` holds the (synthetic) articles and ``kzg:ontology`` the real ontology and rights
topics. The facts are what the curated graph holds, at scale: state bodies with posts, holders
and memberships; decrees with amendment chains, signings and the reform measures they include;
treaties with their parties, accessions and dates; events the measures respond to; claims by
officials and outlets. A share of the facts is stated by two sources, as in the real data.

Everything is synthetic and says so (articles are titled "Synthetic article ..."); only the
home state (``kzr:kazakhstan``), its government and the ontology's topics are real IRIs, so the
hub-and-spoke shape of the real graph (everything points at the state) is kept.

The same ``seed`` and ``target`` give byte-identical files. The output is N-Quads (the
dataset) and N-Triples (the merge of its graphs, each triple once), plus a manifest that the
benchmark reads its query parameters from (the hub, sample subjects, a triple stated twice).

Run ``python -m benchmarks.generate --size 100k -o DIR`` to write one size.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Bumped whenever the output for a given seed and size changes.
GENERATOR_VERSION = 3
DEFAULT_SEED = 20220413
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}

REPO = Path(__file__).resolve().parent.parent

KZ = "https://w3id.org/kzgraph/ontology#"
KZR = "https://w3id.org/kzgraph/id/"
KZT = "https://w3id.org/kzgraph/id/topic/"
KZE = "https://w3id.org/kzgraph/evidence/"
KZG = "https://w3id.org/kzgraph/graph/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
ORG = "http://www.w3.org/ns/org#"
ELI = "http://data.europa.eu/eli/ontology#"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def iri(value: str) -> str:
    return f"<{value}>"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")


def en(text: str) -> str:
    """An English language-tagged literal in N-Triples syntax."""
    return f'"{_escape(text)}"@en'


def plain(text: str) -> str:
    return f'"{_escape(text)}"'


def typed(value: object, datatype: str) -> str:
    return f'"{value}"^^<{XSD}{datatype}>'


A = iri(RDF + "type")
LABEL = iri(RDFS + "label")
P = {  # predicates, as N-Triples terms
    name: iri(ns + local)
    for name, ns, local in [
        ("holds", ORG, "holds"),
        ("heldBy", ORG, "heldBy"),
        ("postIn", ORG, "postIn"),
        ("role", ORG, "role"),
        ("member", ORG, "member"),
        ("organization", ORG, "organization"),
        ("subOrganizationOf", ORG, "subOrganizationOf"),
        ("amends", ELI, "amends"),
        ("amended_by", ELI, "amended_by"),
        ("applies", ELI, "applies"),
        ("id_local", ELI, "id_local"),
        ("author", SCHEMA, "author"),
        ("about", SCHEMA, "about"),
        ("text", SCHEMA, "text"),
        ("description", SCHEMA, "description"),
        ("startDate", SCHEMA, "startDate"),
        ("location", SCHEMA, "location"),
        ("unitText", SCHEMA, "unitText"),
        ("subject", DCT, "subject"),
        ("title", DCT, "title"),
        ("language", DCT, "language"),
        ("publisher", DCT, "publisher"),
        ("derivedFrom", PROV, "wasDerivedFrom"),
        ("attributedTo", PROV, "wasAttributedTo"),
        *[
            (local, KZ, local)
            for local in (
                "tenureStatus",
                "dateSigned",
                "signedBy",
                "includesMeasure",
                "status",
                "responsibleBody",
                "changedQuantity",
                "oldValue",
                "newValue",
                "instrumentOf",
                "partyTo",
                "acceding",
                "treaty",
                "anticipatedBy",
                "signatory",
                "signedInstrument",
                "respondsTo",
                "claimKind",
                "prioritises",
                "assertionMode",
                "paragraph",
                "startOffset",
                "endOffset",
                "quote",
                "publishedNotBefore",
                "publishedNotAfter",
                "localFile",
                "sha256",
            )
        ],
    ]
}
C = {  # classes
    name: iri(ns + local)
    for name, ns, local in [
        ("Person", FOAF, "Person"),
        ("Post", ORG, "Post"),
        ("Membership", ORG, "Membership"),
        ("Role", ORG, "Role"),
        ("Article", SCHEMA, "NewsArticle"),
        ("ProvEntity", PROV, "Entity"),
        *[
            (local, KZ, local)
            for local in (
                "State",
                "StateBody",
                "InternationalOrganization",
                "NewsOutlet",
                "Decree",
                "AmendingAct",
                "Treaty",
                "TreatyAccession",
                "Signing",
                "ReformMeasure",
                "Claim",
                "Assertion",
                "Unrest",
                "Investigation",
                "Address",
            )
        ],
    ]
}
K = {
    local: iri(KZ + local)
    for local in (
        "CurrentTenure",
        "FormerTenure",
        "Proposed",
        "Announced",
        "Demanded",
        "Anticipated",
        "Approved",
        "Launched",
        "Introduced",
        "InProgress",
        "AuthorStatement",
        "Narration",
        "DirectQuote",
        "ReportedSpeech",
        "Assessment",
        "Stance",
        "Commitment",
        "Expectation",
        "Characterisation",
    )
}
G_PROVENANCE = iri(KZG + "provenance")
G_SOURCES = iri(KZG + "sources")
G_ONTOLOGY = iri(KZG + "ontology")
HOME = iri(KZR + "kazakhstan")
GOVERNMENT = iri(KZR + "government-of-kazakhstan")

# -- Words the labels are made of --

TOPICS = (
    "human-rights",
    "rule-of-law",
    "civil-and-political-rights",
    "freedom-of-religion",
    "freedom-of-association",
    "political-participation",
    "right-to-life",
    "prevention-of-torture",
    "non-discrimination",
    "womens-rights",
    "disability-rights",
    "migrants-and-refugees",
    "human-trafficking",
    "violence-and-harassment-at-work",
    "criminal-justice",
    "law-enforcement",
    "judicial-system",
    "rights-of-detainees",
    "human-rights-education",
    "international-cooperation",
)
FIELDS = (
    "Justice",
    "Internal Affairs",
    "Labour and Social Protection",
    "Education",
    "Health",
    "Culture and Information",
    "Foreign Affairs",
    "Finance",
    "Digital Development",
    "Ecology",
    "Agriculture",
    "Energy",
    "Emergency Situations",
    "Trade and Integration",
    "Youth Policy",
    "Religious Affairs",
    "National Economy",
    "Transport",
    "Industry",
    "Science",
)
BODY_FORMS = (
    "Ministry of {f}",
    "Committee on {f}",
    "Agency for {f}",
    "Commission on {f}",
    "Department of {f} of {r}",
    "Council on {f}",
    "Inspectorate for {f} of {r}",
)
REGIONS = (
    "Almaty",
    "Astana",
    "Shymkent",
    "Akmola Region",
    "Aktobe Region",
    "Atyrau Region",
    "East Kazakhstan Region",
    "Jambyl Region",
    "Karaganda Region",
    "Kostanay Region",
    "Kyzylorda Region",
    "Mangystau Region",
    "North Kazakhstan Region",
    "Pavlodar Region",
    "Turkistan Region",
    "West Kazakhstan Region",
    "Abai Region",
    "Jetisu Region",
    "Ulytau Region",
)
FIRST_M = (
    "Nurlan",
    "Yerlan",
    "Askar",
    "Daniyar",
    "Marat",
    "Serik",
    "Bolat",
    "Timur",
    "Arman",
    "Kairat",
    "Yerzhan",
    "Azamat",
    "Baurzhan",
    "Dauren",
    "Galym",
    "Ruslan",
    "Samat",
    "Talgat",
    "Zhanibek",
    "Murat",
    "Olzhas",
    "Kanat",
    "Almas",
    "Berik",
    "Dias",
    "Igor",
    "Sergei",
    "Viktor",
    "Ilyas",
)
FIRST_F = (
    "Aigerim",
    "Aliya",
    "Dinara",
    "Gulnara",
    "Saule",
    "Zhanar",
    "Aizhan",
    "Madina",
    "Asel",
    "Bakhyt",
    "Dana",
    "Elmira",
    "Gaukhar",
    "Kamila",
    "Laura",
    "Meruyert",
    "Nazgul",
    "Raushan",
    "Symbat",
    "Togzhan",
    "Zarina",
    "Ainur",
    "Akmaral",
    "Assem",
    "Botagoz",
    "Olga",
    "Tatyana",
)
SURNAMES = (
    "Nurlan",
    "Abdrakhman",
    "Bekmukhamed",
    "Zhaksylyk",
    "Tokhtar",
    "Sarsenbay",
    "Omar",
    "Kassym",
    "Akhmet",
    "Baimukhan",
    "Dossan",
    "Yesim",
    "Kuanysh",
    "Mukhametzhan",
    "Suleimen",
    "Tulegen",
    "Utemis",
    "Zhumabek",
    "Amanzhol",
    "Iskak",
    "Karim",
    "Myrzakhmet",
    "Orazbek",
    "Rakhimzhan",
    "Seitkali",
    "Temirbek",
    "Yerkin",
    "Zhakup",
    "Aubakir",
    "Bektur",
    "Ibrai",
)
ROLES = (
    "chair",
    "deputy-chair",
    "minister",
    "vice-minister",
    "member",
    "head",
    "judge",
    "secretary",
)
MEASURE_ACTIONS = (
    "Lower",
    "Raise",
    "Introduce",
    "Abolish",
    "Extend",
    "Simplify",
    "Strengthen",
    "Digitise",
    "Guarantee",
    "Reform",
    "Expand",
    "Publish",
)
MEASURE_OBJECTS = (
    ("the threshold for registering political parties", "political-participation"),
    ("notification of peaceful assemblies", "civil-and-political-rights"),
    ("legal aid for detainees", "rights-of-detainees"),
    ("video recording in police interrogation rooms", "prevention-of-torture"),
    ("independent monitoring of places of detention", "prevention-of-torture"),
    ("quotas for women on party lists", "womens-rights"),
    ("accessibility standards for public buildings", "disability-rights"),
    ("registration of religious associations", "freedom-of-religion"),
    ("registration of public associations", "freedom-of-association"),
    ("protection orders for victims of domestic violence", "womens-rights"),
    ("jury trials for serious crimes", "judicial-system"),
    ("appeal rights in administrative courts", "judicial-system"),
    ("pre-trial detention limits", "criminal-justice"),
    ("the minimum age of criminal responsibility", "criminal-justice"),
    ("the Commissioner for Human Rights' mandate", "human-rights"),
    ("human-rights training for police officers", "law-enforcement"),
    ("human-rights education in schools", "human-rights-education"),
    ("residence permits for labour migrants", "migrants-and-refugees"),
    ("shelters for victims of trafficking", "human-trafficking"),
    ("sanctions for harassment at work", "violence-and-harassment-at-work"),
    ("the moratorium on the death penalty", "right-to-life"),
    ("reporting to UN treaty bodies", "international-cooperation"),
    ("anti-discrimination complaints procedures", "non-discrimination"),
    ("judicial review of detention orders", "rule-of-law"),
)
QUALIFIERS = ("", "", "", " in {r}", " for young people", " in rural districts", " nationwide")
TREATY_FORMS = (
    "Convention on {s}",
    "Optional Protocol on {s}",
    "Covenant on {s}",
    "Agreement on {s}",
    "Charter on {s}",
)
TREATY_SUBJECTS = (
    ("the Rights of Persons with Disabilities", "disability-rights"),
    ("the Elimination of Discrimination against Women", "womens-rights"),
    ("the Prevention of Torture", "prevention-of-torture"),
    ("Civil and Political Rights", "civil-and-political-rights"),
    ("the Protection of Migrant Workers", "migrants-and-refugees"),
    ("Action against Trafficking in Human Beings", "human-trafficking"),
    ("Violence and Harassment in the World of Work", "violence-and-harassment-at-work"),
    ("the Abolition of the Death Penalty", "right-to-life"),
    ("Mutual Legal Assistance in Criminal Matters", "criminal-justice"),
    ("Freedom of Association", "freedom-of-association"),
    ("the Independence of the Judiciary", "judicial-system"),
    ("Human Rights Education", "human-rights-education"),
)
STATE_STEMS = (
    "Ar",
    "Bel",
    "Cor",
    "Dal",
    "Es",
    "Fan",
    "Gor",
    "Hal",
    "Il",
    "Jor",
    "Kel",
    "Lor",
    "Mar",
    "Nor",
    "Os",
    "Par",
    "Quel",
    "Ros",
    "Sal",
    "Tor",
    "Ul",
    "Val",
    "Wes",
    "Zan",
)
STATE_ENDS = ("ania", "istan", "onia", "ia", "and", "ovia", "esia", "ara")
ORG_NAMES = (
    "United Nations",
    "Council of Europe",
    "International Labour Organization",
    "OSCE",
    "OECD",
    "European Commission for Democracy through Law",
    "UN Human Rights Committee",
    "UN Committee against Torture",
    "World Health Organization",
    "UNICEF",
    "UNHCR",
    "International Organization for Migration",
    "Organisation of Islamic Cooperation",
    "Commonwealth of Independent States",
    "Shanghai Cooperation Organisation",
)
OUTLETS = (
    "EU Reporter",
    "Steppe Herald",
    "Astana Times Review",
    "Caspian Post",
    "Silk Road Daily",
    "Almaty Courier",
    "Central Asia Monitor",
    "Legal Bulletin of the Republic",
    "Rights Watch Digest",
    "Eurasia Policy Review",
    "Kazakh Law Journal",
    "The Region Today",
)
CLAIM_TEMPLATES = (
    ("{x} is a decisive step for human rights", "Assessment"),
    ("we welcome {x}", "Stance"),
    ("we will see {x} through to the end", "Commitment"),
    ("{x} will bring the country closer to international standards", "Expectation"),
    ("{x} was long overdue", "Assessment"),
    ("{x} does not go far enough", "Assessment"),
    ("we remain committed to {x}", "Commitment"),
    ("the authorities see {x} as a top priority", "Characterisation"),
)
QUOTE_TEMPLATES = (
    "According to the article, {a} {v} {b}.",
    "{a} {v} {b}, the outlet reported.",
    "As the commissioner put it, {a} {v} {b}.",
    "The report notes that {a} {v} {b} this year.",
    "In its statement the government said {a} {v} {b}.",
)


@dataclass
class Manifest:
    """What was generated: counts, files and the benchmark's query parameters."""

    size: str
    seed: int
    target: int
    quads: int = 0
    triples: int = 0
    graphs: int = 0
    entities: Counter[str] = field(default_factory=Counter)
    hub: str = KZR + "government-of-kazakhstan"
    hub_degree: int = 0
    lookup_subjects: list[str] = field(default_factory=list)
    provenance_triple: list[str] = field(default_factory=list)
    label_word: str = "Justice"
    decree_sample: str = ""
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, object]:
        data = dict(self.__dict__)
        data["entities"] = dict(sorted(self.entities.items()))
        data["generator_version"] = GENERATOR_VERSION
        return data


class Generator:
    """Emits quads as N-Quads lines, passage by passage, until ``target`` is reached."""

    def __init__(self, target: int, seed: int = DEFAULT_SEED, size: str = "custom") -> None:
        self.rng = random.Random(seed)
        self.target = target
        self.manifest = Manifest(size=size, seed=seed, target=target)
        self.count = 0
        self.counters: Counter[str] = Counter()
        self.states: list[str] = []
        self.orgs: list[str] = []
        self.outlets: list[str] = []
        self.roles: list[str] = []
        self.persons: list[str] = []
        self.presidents: list[str] = []
        self.bodies: list[str] = []
        self.acts: list[str] = []
        self.measures: list[str] = []
        self.treaties: list[str] = []
        self.events: list[str] = []
        self.labels: dict[str, str] = {}
        self.article: str | None = None
        self.article_left = 0
        self.paragraph = 0
        self.offset = 0
        self.article_no = 0
        self.hub_degree = 0
        self.shared: list[tuple[str, str, str]] = []  # triples stated by two sources

    # -- naming --

    def new(self, kind: str) -> str:
        self.counters[kind] += 1
        self.manifest.entities[kind] += 1
        return iri(f"{KZR}{kind}-{self.counters[kind]:06d}")

    def person_name(self) -> str:
        female = self.rng.random() < 0.45
        first = self.rng.choice(FIRST_F if female else FIRST_M)
        stem = self.rng.choice(SURNAMES)
        ending = "ova" if female else "ov"
        if stem.endswith(("ay", "ai")):
            ending = "eva" if female else "ev"
        return f"{first} {stem}{ending}"

    # -- writing --

    def quad(self, s: str, p: str, o: str, g: str) -> str:
        self.count += 1
        if o == GOVERNMENT:
            self.hub_degree += 1
        return f"{s} {p} {o} {g} .\n"

    def passage(
        self,
        triples: list[tuple[str, str, str]],
        claimant: str | None = None,
        mode: str | None = None,
    ) -> Iterator[str]:
        """One evidence graph and its provenance record (and its source, when a new one starts)."""
        if self.article is None or self.article_left <= 0:
            yield from self.new_article()
        assert self.article is not None
        self.article_left -= 1
        self.paragraph += 1
        number = self.counters["passage"] = self.counters["passage"] + 1
        graph = iri(f"{KZE}{self.article[len(KZR) + 1 : -1]}-p{self.paragraph:02d}-{number:07d}")
        mode = mode or self.rng.choice(
            ("Narration", "DirectQuote", "ReportedSpeech", "AuthorStatement")
        )
        if claimant is None:
            claimant = (
                self.outlet
                if mode in ("Narration", "AuthorStatement")
                else self.rng.choice(self.persons or [self.outlet])
            )
        quote = self.quote(triples)
        start = self.offset + self.rng.randint(1, 40)
        end = start + len(quote)
        self.offset = end
        pg = G_PROVENANCE
        yield self.quad(graph, A, C["Assertion"], pg)
        yield self.quad(graph, P["derivedFrom"], self.article, pg)
        yield self.quad(graph, P["attributedTo"], claimant, pg)
        yield self.quad(graph, P["assertionMode"], K[mode], pg)
        yield self.quad(graph, P["paragraph"], typed(self.paragraph, "integer"), pg)
        yield self.quad(graph, P["startOffset"], typed(start, "integer"), pg)
        yield self.quad(graph, P["endOffset"], typed(end, "integer"), pg)
        yield self.quad(graph, P["quote"], plain(quote), pg)
        for s, p, o in triples:
            yield self.quad(s, p, o, graph)
        self.manifest.graphs += 1

    def quote(self, triples: list[tuple[str, str, str]]) -> str:
        names = [self.labels[s] for s, _p, _o in triples if s in self.labels]
        objects = [self.labels[o] for _s, _p, o in triples if o in self.labels]
        a = names[0] if names else "the authorities"
        b = objects[-1] if objects else "the reform"
        verb = self.rng.choice(("is linked to", "concerns", "was discussed with", "refers to"))
        text = self.rng.choice(QUOTE_TEMPLATES).format(a=a, v=verb, b=b)
        return text[:300].strip()

    def new_article(self) -> Iterator[str]:
        self.article_no += 1
        self.article = self.new("article")
        self.outlet = self.rng.choice(self.outlets)
        self.article_left = self.rng.randint(12, 40)
        self.paragraph = 0
        self.offset = 0
        year = self.rng.randint(2015, 2024)
        month = self.rng.randint(1, 12)
        title = f"Synthetic article {self.article_no}: {self.rng.choice(FIELDS)} reforms in {year}"
        g = G_SOURCES
        a = self.article
        yield self.quad(a, A, C["Article"], g)
        yield self.quad(a, A, C["ProvEntity"], g)
        yield self.quad(a, LABEL, en(title), g)
        yield self.quad(a, P["title"], en(title), g)
        yield self.quad(a, P["language"], plain("en"), g)
        yield self.quad(a, P["publisher"], self.outlet, g)
        yield self.quad(a, P["publishedNotBefore"], typed(f"{year}-{month:02d}-01", "date"), g)
        yield self.quad(a, P["publishedNotAfter"], typed(f"{year}-{month:02d}-28", "date"), g)
        # no such file exists: the name and hash only complete the shape of a source record
        yield self.quad(a, P["localFile"], plain(f"synthetic-article-{self.article_no:06d}.txt"), g)
        yield self.quad(a, P["sha256"], plain(hashlib.sha256(title.encode()).hexdigest()), g)

    def labelled(self, s: str, cls: str, label: str) -> list[tuple[str, str, str]]:
        self.labels[s] = label
        return [(s, A, cls), (s, LABEL, en(label))]

    def again(self, s: str, cls: str) -> list[tuple[str, str, str]]:
        """Type and label of an entity met before, repeated by the passage that names it."""
        return [(s, A, cls), (s, LABEL, en(self.labels[s]))]

    def date(self, lo: int = 2005, hi: int = 2024) -> str:
        y = self.rng.randint(lo, hi)
        return typed(f"{y}-{self.rng.randint(1, 12):02d}-{self.rng.randint(1, 28):02d}", "date")

    # -- the world --

    def fixed(self) -> Iterator[str]:
        """The home state and government, other states, organisations, outlets and roles."""
        yield from self.ontology()
        self.labels[HOME] = "Kazakhstan"
        self.labels[GOVERNMENT] = "Government of Kazakhstan"
        self.outlets = []
        for name in OUTLETS:
            outlet = self.new("outlet")
            self.outlets.append(outlet)
            self.labels[outlet] = name
        self.outlet = self.outlets[0]
        triples = self.labelled(HOME, C["State"], "Kazakhstan")
        triples += self.labelled(GOVERNMENT, C["StateBody"], "Government of Kazakhstan")
        yield from self.passage(triples, mode="Narration")
        for outlet in self.outlets:
            yield from self.passage(
                self.labelled(outlet, C["NewsOutlet"], self.labels[outlet]),
                claimant=outlet,
                mode="AuthorStatement",
            )
        for role in ROLES:
            r = iri(f"{KZR}role-{role}")
            self.roles.append(r)
            yield from self.passage(
                self.labelled(r, C["Role"], role.replace("-", " ").capitalize()), mode="Narration"
            )
        for name in ORG_NAMES:
            o = self.new("organisation")
            self.orgs.append(o)
            yield from self.passage(self.labelled(o, C["InternationalOrganization"], name))
        # about one state per 5,000 quads, between 24 and all 192 names
        wanted = max(24, min(len(STATE_STEMS) * len(STATE_ENDS), self.target // 5_000))
        names = [stem + end for stem in STATE_STEMS for end in STATE_ENDS]
        for name in self.rng.sample(names, wanted):
            s = self.new("state")
            self.states.append(s)
            yield from self.passage(self.labelled(s, C["State"], name), mode="Narration")
        for _ in range(3):
            person = self.new("person")
            self.persons.append(person)
            self.presidents.append(person)
            post = self.new("post")
            name = self.person_name()
            triples = self.labelled(person, C["Person"], name)
            triples += self.labelled(post, C["Post"], "President of Kazakhstan")
            triples += [
                (post, P["postIn"], HOME),
                (post, P["heldBy"], person),
                (person, P["holds"], post),
            ]
            yield from self.passage(triples)

    def ontology(self) -> Iterator[str]:
        """The real ontology and topics, as ``kzg:ontology`` (parsed by Oxigraph)."""
        import pyoxigraph as ox

        files = sorted(
            p for p in (REPO / "ontology").glob("*.ttl") if not p.name.endswith("shapes.ttl")
        )
        lines: set[str] = set()
        for path in files:
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
                lines.add(f"{q.subject} {q.predicate} {q.object} {G_ONTOLOGY} .\n")
        for line in sorted(lines):
            self.count += 1
            yield line

    def body_unit(self) -> Iterator[str]:
        body = self.new("body")
        form = self.rng.choice(BODY_FORMS)
        name = form.format(f=self.rng.choice(FIELDS), r=self.rng.choice(REGIONS))
        triples = self.labelled(body, C["StateBody"], name)
        triples.append((body, P["subOrganizationOf"], GOVERNMENT))
        triples.append((body, P["prioritises"], iri(KZT + self.rng.choice(TOPICS))))
        self.bodies.append(body)
        yield from self.passage(triples)
        for _ in range(self.rng.randint(1, 3)):
            role = self.rng.choice(self.roles)
            post = self.new("post")
            person = self.new("person")
            pname = self.person_name()
            rlabel = role[len(KZR) + 6 : -1].replace("-", " ").capitalize()
            triples = self.labelled(post, C["Post"], f"{rlabel} of the {name}")
            triples += [
                (post, P["postIn"], body),
                (post, P["role"], role),
                (post, P["heldBy"], person),
            ]
            triples += self.labelled(person, C["Person"], pname)
            triples += [
                (person, P["holds"], post),
                (person, P["description"], en(f"{rlabel} of the {name}.")),
            ]
            self.persons.append(person)
            yield from self.passage(triples)
            membership = self.new("membership")
            current = self.rng.random() < 0.7
            triples = self.labelled(
                membership, C["Membership"], f"{pname}, {rlabel.lower()} of the {name}"
            )
            triples += [
                (membership, P["member"], person),
                (membership, P["organization"], body),
                (membership, P["role"], role),
                (membership, P["tenureStatus"], K["CurrentTenure" if current else "FormerTenure"]),
            ]
            triples += self.again(body, C["StateBody"])
            yield from self.passage(triples, claimant=person, mode="ReportedSpeech")

    def measure(self) -> tuple[str, list[tuple[str, str, str]]]:
        m = self.new("measure")
        obj, topic = self.rng.choice(MEASURE_OBJECTS)
        qual = self.rng.choice(QUALIFIERS).format(r=self.rng.choice(REGIONS))
        label = f"{self.rng.choice(MEASURE_ACTIONS)} {obj}{qual}"
        triples = self.labelled(m, C["ReformMeasure"], label)
        triples += [
            (
                m,
                P["status"],
                K[self.rng.choice(("Proposed", "Approved", "Introduced", "InProgress"))],
            ),
            (m, P["subject"], iri(KZT + topic)),
        ]
        if self.bodies:
            triples.append((m, P["responsibleBody"], self.rng.choice(self.bodies)))
        if self.rng.random() < 0.2:
            old = self.rng.randint(2, 400) * 50
            triples += [
                (m, P["changedQuantity"], plain(f"a number set by {obj}")),
                (m, P["oldValue"], typed(old, "integer")),
                (m, P["newValue"], typed(old // self.rng.randint(2, 5), "integer")),
                (m, P["unitText"], plain("members")),
            ]
        if self.events and self.rng.random() < 0.15:
            triples.append((m, P["respondsTo"], self.rng.choice(self.events)))
        self.measures.append(m)
        return m, triples

    def decree_unit(self) -> Iterator[str]:
        decree = self.new("decree")
        number = self.counters["decree"] + 100
        obj, topic = self.rng.choice(MEASURE_OBJECTS)
        year = self.rng.randint(2005, 2022)
        signer = self.rng.choice(self.presidents)
        triples = self.labelled(decree, C["Decree"], f"Decree {number} on {obj}")
        triples += [
            (decree, P["id_local"], plain(str(number))),
            (decree, P["dateSigned"], self.date(year, year)),
            (decree, P["signedBy"], signer),
            (decree, P["subject"], iri(KZT + topic)),
        ]
        for _ in range(self.rng.randint(1, 3)):
            m, mt = self.measure()
            triples.append((decree, P["includesMeasure"], m))
            triples += mt
        if self.treaties and self.rng.random() < 0.3:
            triples.append((decree, P["applies"], self.rng.choice(self.treaties)))
        self.acts.append(decree)
        yield from self.passage(triples)
        previous = decree
        chain = self.rng.choice((0, 0, 1, 1, 2, 3, 4, 6))
        if chain >= 3 and not self.manifest.decree_sample:
            self.manifest.decree_sample = decree[1:-1]
        for k in range(1, chain + 1):
            amendment = iri(f"{decree[1:-1]}-amendment-{k}")
            self.manifest.entities["amendment"] += 1
            year = min(2024, year + self.rng.randint(0, 2))
            alabel = f"Amendment {k} to Decree {number}"
            triples = self.labelled(amendment, C["AmendingAct"], alabel)
            triples += [
                (amendment, P["amends"], previous),
                (previous, P["amended_by"], amendment),
                (amendment, P["dateSigned"], self.date(year, year)),
                (amendment, P["signedBy"], signer),
            ]
            triples += self.again(previous, C["Decree"] if previous == decree else C["AmendingAct"])
            m, mt = self.measure()
            triples.append((amendment, P["includesMeasure"], m))
            triples += mt
            yield from self.passage(triples)
            signing = self.new("signing")
            triples = self.labelled(signing, C["Signing"], f"Signing of {alabel}")
            triples += [
                (signing, P["signatory"], signer),
                (signing, P["signedInstrument"], amendment),
                (signing, P["startDate"], self.date(year, year)),
            ]
            yield from self.passage(triples)
            if self.rng.random() < 0.25:  # a second source states the same amendment
                self.shared.append((amendment, P["amends"], previous))
                yield from self.passage(
                    [(amendment, P["amends"], previous), *self.again(amendment, C["AmendingAct"])]
                )
            previous = amendment

    def treaty_unit(self) -> Iterator[str]:
        treaty = self.new("treaty")
        subject, topic = self.rng.choice(TREATY_SUBJECTS)
        year = self.rng.randint(1966, 2020)
        label = f"{self.rng.choice(TREATY_FORMS).format(s=subject)} ({year})"
        triples = self.labelled(treaty, C["Treaty"], label)
        triples += [
            (treaty, P["instrumentOf"], self.rng.choice(self.orgs)),
            (treaty, P["subject"], iri(KZT + topic)),
            (treaty, P["dateSigned"], self.date(year, year)),
        ]
        self.treaties.append(treaty)
        yield from self.passage(triples)
        parties = self.rng.sample(self.states, self.rng.randint(3, min(40, len(self.states))))
        if self.rng.random() < 0.6:
            parties.append(HOME)
        for state in parties:
            accession = self.new("accession")
            done = self.rng.random() < 0.85
            slabel = self.labels[state]
            triples = self.labelled(
                accession, C["TreatyAccession"], f"{slabel}'s accession to the {label}"
            )
            triples += [
                (accession, P["acceding"], state),
                (accession, P["treaty"], treaty),
                (accession, P["status"], K["Approved" if done else "Anticipated"]),
            ]
            if done:
                triples += [
                    (state, P["partyTo"], treaty),
                    (accession, P["startDate"], self.date(year, 2024)),
                ]
            else:
                triples.append((accession, P["anticipatedBy"], self.rng.choice(self.persons)))
            yield from self.passage(triples)

    def event_unit(self) -> Iterator[str]:
        kind = self.rng.choice(("Unrest", "Investigation", "Address"))
        event = self.new("event")
        region = self.rng.choice(REGIONS)
        label = {
            "Unrest": f"Protests in {region}",
            "Investigation": f"Inquiry into events in {region}",
            "Address": "State-of-the-nation address",
        }[kind]
        year = self.rng.randint(2010, 2024)
        triples = self.labelled(event, C[kind], f"{label} ({year})")
        triples += [(event, P["location"], HOME), (event, P["startDate"], self.date(year, year))]
        if kind == "Investigation":
            triples.append((event, P["about"], self.events[-1] if self.events else HOME))
        if kind == "Address":
            triples += [
                (event, P["title"], en(f"Address to the nation, {year}")),
                (event, iri(KZ + "deliveredBy"), self.rng.choice(self.presidents)),
            ]
        self.events.append(event)
        yield from self.passage(triples)

    def claim_unit(self) -> Iterator[str]:
        claim = self.new("claim")
        about = self.rng.choice(self.measures or self.bodies or [HOME])
        author = self.rng.choice(self.persons)
        template, kind = self.rng.choice(CLAIM_TEMPLATES)
        text = template.format(x=self.labels[about][0].lower() + self.labels[about][1:])[:200]
        triples = self.labelled(claim, C["Claim"], f"Claim: {text}")
        triples += [
            (claim, P["author"], author),
            (claim, P["about"], about),
            (claim, P["text"], en(text)),
            (claim, P["claimKind"], K[kind]),
        ]
        yield from self.passage(triples, claimant=author, mode="DirectQuote")

    def lines(self) -> Iterator[str]:
        yield from self.fixed()
        units = (
            self.body_unit,
            self.decree_unit,
            self.treaty_unit,
            self.event_unit,
            self.claim_unit,
        )
        weights = (3.0, 3.0, 0.25, 0.5, 2.0)
        while self.count < self.target:
            unit = self.rng.choices(units, weights)[0]
            if unit is self.treaty_unit and not self.persons:
                continue
            yield from unit()
        m = self.manifest
        m.quads = self.count
        m.hub_degree = self.hub_degree
        m.lookup_subjects = [
            p[1:-1] for p in self.rng.sample(self.persons, min(50, len(self.persons)))
        ]
        if self.shared:
            s, p, o = self.shared[len(self.shared) // 2]
            m.provenance_triple = [s[1:-1], p[1:-1], o[1:-1]]


def parse_size(size: str) -> int:
    """``10k`` -> 10000, ``1m`` -> 1000000, ``2500`` -> 2500."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([km]?)", size.strip().lower())
    if not match:
        raise ValueError(f"not a size: {size!r} (e.g. 10k, 100k, 1m)")
    return int(float(match.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2)])


def generate(
    out_dir: str | Path, size: str = "10k", seed: int = DEFAULT_SEED, target: int | None = None
) -> Manifest:
    """Write ``kzgraph-<size>.nq``, ``.nt`` and ``.json`` (the manifest) into ``out_dir``.

    Files already there with the same seed, size and generator version are reused.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    goal = target if target is not None else parse_size(size)
    stem = f"kzgraph-{size}-s{seed}-v{GENERATOR_VERSION}"
    manifest_path = out / f"{stem}.json"
    if manifest_path.is_file():
        data = json.loads(manifest_path.read_text("utf-8"))
        if (
            all((out / name).is_file() for name in data["files"].values())
            and data["target"] == goal
        ):
            manifest = Manifest(**{k: v for k, v in data.items() if k != "generator_version"})
            manifest.entities = Counter(data["entities"])
            return manifest
    gen = Generator(goal, seed, size)
    nq_path, nt_path = out / f"{stem}.nq", out / f"{stem}.nt"
    seen: set[bytes] = set()
    with (
        open(nq_path.with_suffix(".nq.part"), "w", encoding="utf-8") as nq,
        open(nt_path.with_suffix(".nt.part"), "w", encoding="utf-8") as nt,
    ):
        buffer_q: list[str] = []
        buffer_t: list[str] = []
        for line in gen.lines():
            buffer_q.append(line)
            triple = line[: line.rindex(" <")] + " .\n"
            digest = hashlib.blake2b(triple.encode(), digest_size=12).digest()
            if digest not in seen:
                seen.add(digest)
                buffer_t.append(triple)
            if len(buffer_q) >= 50_000:
                nq.writelines(buffer_q)
                nt.writelines(buffer_t)
                buffer_q.clear()
                buffer_t.clear()
        nq.writelines(buffer_q)
        nt.writelines(buffer_t)
    nq_path.with_suffix(".nq.part").replace(nq_path)
    nt_path.with_suffix(".nt.part").replace(nt_path)
    manifest = gen.manifest
    manifest.triples = len(seen)
    manifest.files = {"nquads": nq_path.name, "ntriples": nt_path.name}
    manifest_path.write_text(json.dumps(manifest.to_json(), indent=1) + "\n", "utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate",
        description="Write a synthetic kzgraph dataset (N-Quads, N-Triples, manifest).",
        epilog="example:\n  python -m benchmarks.generate --size 100k -o benchmarks/data",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--size", default="10k", help="number of quads: 10k, 100k, 1m, ...")
    parser.add_argument("--quads", type=int, help="a custom target number of quads")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("-o", "--output", default=str(Path(__file__).parent / "data"))
    args = parser.parse_args(argv)
    size = args.size if args.quads is None else f"q{args.quads}"
    manifest = generate(args.output, size, args.seed, args.quads)
    print(
        f"{manifest.quads:,} quads, {manifest.triples:,} distinct triples, {manifest.graphs:,}"
        f" evidence graphs -> {Path(args.output) / manifest.files['nquads']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
