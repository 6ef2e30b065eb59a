"""``OccupationMatcher``: job title or free text → ESCO occupations and O*NET-SOC codes, scored.

Method (choices tuned on a validation slice; figures in ``docs/occupations.md``):

1. **Title channel.**  The query's title (the whole text when it has at most ``title_words``
   words; else its first line when that is short; else the whole text) is compared with every
   building string (~74k unique: ESCO labels and alt labels, O*NET titles, alternate and short
   titles; held-out strings excluded, see :mod:`recsys.occupations._catalogue`).  Per string,
   ``s = (cosine + lexical_weight * tfidf) / (1 + lexical_weight)``: dense cosine of the
   encoder's vectors plus character 3–5-gram TF-IDF cosine.  An occupation scores
   ``(best s + support_weight * second-best s) / (1 + support_weight)`` over its strings.
   With ``clean_titles`` the title without bracketed asides and a leading "Senior"/"Junior"
   is scored too, and each string keeps the better of the two.
2. **Link.**  ``esco = max(esco, link_weight * onet[link])``: an ESCO occupation takes most of
   its linked O*NET occupation's score (US job titles live mostly on the O*NET side).  The link
   is recomputed from building strings only (see :mod:`recsys.occupations._catalogue`); lifting
   O*NET from ESCO measured no gain, so it is one-way.
3. **Description channel.**  The whole text's vector against "label. description" vectors
   of every occupation (cosine).  ``score = (1 - w) * title + w * description`` with
   ``w = description_weight`` for titles and ``text_weight`` for long texts.

Scores are on the cosine scale (about 0–1).  ``distribution`` turns the top ``k`` into a softmax
at ``temperature`` (0.03: lowest validation log-loss).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys.occupations import _features
from recsys.occupations._catalogue import build_catalogue, clean_title, norm_text
from recsys.occupations._checks import as_texts, check_k, check_params
from recsys.occupations._scoring import (
    Groups,
    embed,
    group_max_second,
    lexical_vectorizer,
    sparse_dense_dot,
    top_k,
)

__all__ = ["OccupationMatcher"]


class OccupationMatcher:
    """Job title or free text → ESCO occupations and O*NET-SOC codes with scores.

    Parameters
    ----------
    encoder: object with ``.encode(list[str]) -> ndarray`` (L2-normalised float32) and
        ``.model_id``; ``None`` = :class:`recsys.embedding.Encoder` (packaged MiniLM, memory cache
        only: pass ``Encoder(cache_dir=...)`` so the ~78k strings are embedded once).
    lexical_weight: weight of the TF-IDF cosine next to the dense cosine per string, >= 0.
    support_weight: weight of an occupation's second-best string next to its best (several
        close titles are more evidence than one), >= 0.
    link_weight: share of its linked O*NET occupation's score an ESCO occupation is lifted to,
        in [0, 1].
    description_weight: weight of the description channel for short texts, in [0, 1].
    text_weight: weight of the description channel for long texts, in [0, 1].
    title_words: a text of at most this many words is a title; longer ones are long texts.
    clean_titles: also match the title without bracketed asides and a leading "Senior" or
        "Junior"; each string keeps the better of the two scores.
    temperature: softmax temperature of :meth:`distribution`, > 0.
    esco_holdout: share of ESCO alt labels held apart for evaluation (by seeded hash), in [0, 0.5].
    validation: a further share of ESCO alt labels and O*NET alternate titles held apart for
        tuning, in [0, 0.5] (0 outside tuning).
    random_state: seed of the held-apart slices.
    chunk_size: queries scored per block (memory ~ chunk_size × 78k floats).
    """

    def __init__(
        self,
        encoder: Any = None,
        lexical_weight: float = 0.25,
        support_weight: float = 0.5,
        link_weight: float = 0.95,
        description_weight: float = 0.2,
        text_weight: float = 0.5,
        title_words: int = 8,
        clean_titles: bool = True,
        temperature: float = 0.03,
        esco_holdout: float = 0.1,
        validation: float = 0.0,
        random_state: int = 0,
        chunk_size: int = 256,
    ) -> None:
        self.encoder = encoder
        self.lexical_weight = lexical_weight
        self.support_weight = support_weight
        self.link_weight = link_weight
        self.description_weight = description_weight
        self.text_weight = text_weight
        self.title_words = title_words
        self.clean_titles = clean_titles
        self.temperature = temperature
        self.esco_holdout = esco_holdout
        self.validation = validation
        self.random_state = random_state
        self.chunk_size = chunk_size

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        occupations: pd.DataFrame | None = None,
        onet_occupations: pd.DataFrame | None = None,
        onet_alt_titles: pd.DataFrame | None = None,
    ) -> OccupationMatcher:
        """Build from the shipped taxonomy (or the tables given, same columns); returns ``self``.

        Never reads ``onet_alt_titles`` rows with ``holdout=True`` nor task statements.
        """
        check_params(self)
        from recsys.data import taxonomy

        cat = build_catalogue(
            taxonomy.occupations() if occupations is None else occupations,
            taxonomy.onet_occupations() if onet_occupations is None else onet_occupations,
            taxonomy.onet_alt_titles() if onet_alt_titles is None else onet_alt_titles,
            self.esco_holdout,
            self.validation,
            self.random_state,
        )
        if self.encoder is None:
            from recsys.embedding import Encoder

            self.encoder_ = Encoder()
        else:
            self.encoder_ = self.encoder
        self.occupations_ = cat.esco
        self.onet_ = cat.onet
        self.entries_ = cat.entries
        self.link_ = cat.link
        self.esco_heldout_ = cat.esco_heldout
        self.validation_ = cat.validation
        self.occupation_ids_ = cat.esco["occupation_id"].astype(str).to_numpy()
        self.onet_codes_ = cat.onet["onet_code"].astype(str).to_numpy()

        texts, column = np.unique(cat.entries["text"].to_numpy(dtype=object), return_inverse=True)
        self.strings_ = texts
        side = cat.entries["side"].to_numpy()
        owner = cat.entries["owner"].to_numpy()
        esco_mask, onet_mask = side == "esco", side == "onet"
        self.esco_groups_ = Groups.build(owner[esco_mask], column[esco_mask], len(cat.esco))
        self.onet_groups_ = Groups.build(owner[onet_mask], column[onet_mask], len(cat.onet))
        self.string_vectors_ = embed(self.encoder_, texts.tolist())
        self.vectorizer_ = lexical_vectorizer()
        self.lexical_t_ = self.vectorizer_.fit_transform(texts.tolist()).T.tocsr()
        describe = [
            f"{norm_text(lab)}. {norm_text(d)}"
            for lab, d in zip(cat.esco["label"], cat.esco["description"].fillna(""), strict=True)
        ]
        self.occupation_vectors_ = embed(self.encoder_, describe)
        describe = [
            f"{norm_text(t)}. {norm_text(d)}"
            for t, d in zip(cat.onet["title"], cat.onet["description"].fillna(""), strict=True)
        ]
        self.onet_vectors_ = embed(self.encoder_, describe)
        self.isco_onehot_ = _features.isco_onehot(cat.esco)
        self.essential_, self.optional_, self.skill_ids_ = _features.skill_matrices(cat.esco)
        self.esco_onet_, self.esco_onet_source_ = self._esco_to_onet(cat.esco)
        return self

    def _esco_to_onet(self, esco: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Shipped ``onet_code`` where present (and known), else the O*NET side's best code for
        the ESCO label (vectorised over all unlinked occupations)."""
        shipped = (
            esco["onet_code"] if "onet_code" in esco.columns else pd.Series([None] * len(esco))
        )
        known = set(self.onet_codes_)
        codes = np.asarray([c if c in known else None for c in shipped], dtype=object)
        source = np.where(pd.isna(codes), "matched", "taxonomy").astype(object)
        todo = np.flatnonzero(source == "matched")
        if len(todo):
            labels = esco["label"].to_numpy(dtype=object)[todo].tolist()
            best = np.concatenate([o.argmax(axis=1) for _, _, o in self._scores(labels)])
            codes[todo] = self.onet_codes_[best]
        return codes, source

    def _fitted(self) -> None:
        if not hasattr(self, "strings_"):
            raise RuntimeError(
                "This OccupationMatcher is not fitted yet. Call fit() before using it."
            )

    # ------------------------------------------------------------------ scoring
    def _queries(self, texts: list[str]) -> tuple[list[str], list[str], np.ndarray]:
        """(title query, whole-text query, is_long) per text (see the module docstring)."""
        titles, wholes, long_ = [], [], []
        for text in texts:
            whole = norm_text(text)
            n = len(whole.split())
            if n <= self.title_words:
                title = whole
                long_.append(False)
            else:
                first = next((ln for ln in text.splitlines() if ln.strip()), "")
                title = norm_text(first) if len(first.split()) <= self.title_words else whole
                long_.append(True)
            titles.append(title)
            wholes.append(whole)
        return titles, wholes, np.asarray(long_, dtype=bool)

    def _scores(self, texts: list[str]) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Yield ``(start, esco, onet)`` score blocks of ``chunk_size`` texts each."""
        for lo in range(0, len(texts), self.chunk_size):
            titles, wholes, long_ = self._queries(texts[lo : lo + self.chunk_size])
            cleaned = [clean_title(t) for t in titles] if self.clean_titles else titles
            unique = list(dict.fromkeys(titles + cleaned + wholes))
            row = {t: i for i, t in enumerate(unique)}
            vecs = self.encoder_.encode(unique)
            esco_t, onet_t = self._lift(
                *self._own_scores(titles, cleaned, vecs[[row[t] for t in titles + cleaned]])
            )
            w_vecs = vecs[[row[t] for t in wholes]]
            w = np.where(long_, self.text_weight, self.description_weight)[:, None]
            w = w.astype(np.float32)
            esco = (1 - w) * esco_t + w * (w_vecs @ self.occupation_vectors_.T)
            onet = (1 - w) * onet_t + w * (w_vecs @ self.onet_vectors_.T)
            empty = np.asarray([not t for t in wholes])
            esco[empty] = 0.0
            onet[empty] = 0.0
            yield lo, esco, onet

    def _string_scores(self, titles: list[str], vecs: np.ndarray) -> np.ndarray:
        """``(titles, unique strings)``: dense cosine fused with the TF-IDF cosine."""
        lam = float(self.lexical_weight)
        block = vecs @ self.string_vectors_.T
        if lam > 0:
            block += lam * sparse_dense_dot(self.vectorizer_.transform(titles), self.lexical_t_)
            block /= 1 + lam
        return block

    def _own_scores(
        self, titles: list[str], cleaned: list[str], vecs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Title channel before the link.  A title and its cleaned form (``vecs``: both, stacked)
        each score every string; a string keeps the better of the two."""
        n = len(titles)
        block = self._string_scores(titles, vecs[:n])
        changed = [i for i in range(n) if cleaned[i] != titles[i]]
        if changed:
            other = self._string_scores([cleaned[i] for i in changed], vecs[n:][changed])
            block[changed] = np.maximum(block[changed], other)
        beta = float(self.support_weight)
        out = []
        for groups in (self.esco_groups_, self.onet_groups_):
            best, second = group_max_second(block, groups)
            out.append((best + beta * np.maximum(second, 0.0)) / (1 + beta) if beta else best)
        return out[0], out[1]

    def _lift(self, esco: np.ndarray, onet: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ESCO occupations lifted to ``link_weight`` × their linked O*NET occupation's score."""
        g = float(self.link_weight)
        if g <= 0:
            return esco, onet
        has = np.flatnonzero(self.link_ >= 0)
        esco = esco.copy()
        esco[:, has] = np.maximum(esco[:, has], g * onet[:, self.link_[has]])
        return esco, onet

    def score_matrices(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Dense ``(len(texts), n_occupations)`` ESCO and ``(len(texts), n_onet)`` O*NET scores
        (columns: ``occupation_ids_``, ``onet_codes_``).  For evaluation and small batches."""
        self._fitted()
        texts = as_texts(texts, "score_matrices")
        esco = np.zeros((len(texts), len(self.occupation_ids_)), dtype=np.float32)
        onet = np.zeros((len(texts), len(self.onet_codes_)), dtype=np.float32)
        for lo, e, o in self._scores(texts):
            esco[lo : lo + len(e)], onet[lo : lo + len(o)] = e, o
        return esco, onet

    # ------------------------------------------------------------------ public
    def _ranked(self, texts: Sequence[str], k: int, side: str, method: str) -> tuple:
        self._fitted()
        texts = as_texts(texts, method)
        n = len(self.occupation_ids_) if side == "esco" else len(self.onet_codes_)
        k = check_k(k, "k", f"OccupationMatcher.{method}", n)
        docs, cols, vals = [], [], []
        for lo, esco, onet in self._scores(texts):
            scores = esco if side == "esco" else onet
            c, v = top_k(scores, k)
            keep = np.asarray([bool(t.strip()) for t in texts[lo : lo + len(scores)]])
            docs.append(np.repeat(np.arange(lo, lo + len(scores))[keep], k))
            cols.append(c[keep].ravel())
            vals.append(v[keep].ravel())
        if not docs:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32), k
        return np.concatenate(docs), np.concatenate(cols), np.concatenate(vals), k

    def predict(self, texts: Sequence[str], k: int = 5) -> pd.DataFrame:
        """Top ``k`` ESCO occupations per text: long frame ``doc`` (position in ``texts``),
        ``rank`` (1 = best), ``occupation_id``, ``label``, ``isco_code``, ``score``, ``onet_code``
        (the taxonomy's link, else the O*NET side's best match for the label; see
        ``esco_onet_source_``).  Empty texts get no rows."""
        doc, col, val, k = self._ranked(texts, k, "esco", "predict")
        occ = self.occupations_
        return pd.DataFrame(
            {
                "doc": doc,
                "rank": np.tile(np.arange(1, k + 1), len(doc) // k if k else 0),
                "occupation_id": self.occupation_ids_[col],
                "label": occ["label"].to_numpy(dtype=object)[col],
                "isco_code": occ["isco_code"].to_numpy(dtype=object)[col],
                "score": val.astype(np.float64).round(6),
                "onet_code": self.esco_onet_[col],
            }
        )

    def predict_onet(self, texts: Sequence[str], k: int = 5) -> pd.DataFrame:
        """Top ``k`` O*NET-SOC occupations per text: long frame ``doc``, ``rank``, ``onet_code``,
        ``title``, ``score``.  Empty texts get no rows."""
        doc, col, val, k = self._ranked(texts, k, "onet", "predict_onet")
        return pd.DataFrame(
            {
                "doc": doc,
                "rank": np.tile(np.arange(1, k + 1), len(doc) // k if k else 0),
                "onet_code": self.onet_codes_[col],
                "title": self.onet_["title"].to_numpy(dtype=object)[col],
                "score": val.astype(np.float64).round(6),
            }
        )

    def distribution(self, texts: Sequence[str], k: int = 10) -> sp.csr_matrix:
        """Sparse ``(len(texts), n_occupations)`` rows: softmax of the top ``k`` ESCO scores at
        ``temperature`` (each row sums to 1; an empty text's row is all zero).  Columns follow
        ``occupation_ids_``."""
        self._fitted()
        texts = as_texts(texts, "distribution")
        k = check_k(k, "k", "OccupationMatcher.distribution", len(self.occupation_ids_))
        blocks = []
        for lo, esco, _ in self._scores(texts):
            c, v = top_k(esco, k)
            empty = [not t.strip() for t in texts[lo : lo + len(esco)]]
            blocks.append(_features.softmax_rows(c, v, self.temperature, empty, esco.shape[1]))
        if not blocks:
            return sp.csr_matrix((0, len(self.occupation_ids_)), dtype=np.float32)
        return sp.vstack(blocks, format="csr")

    def occupation_similarity(
        self, a: sp.spmatrix | np.ndarray, b: sp.spmatrix | np.ndarray, method: str = "embedding"
    ) -> np.ndarray:
        """Similarity in [0, 1] of aligned rows of two :meth:`distribution` matrices.

        ``"embedding"``: cosine of the expected occupation vectors ("label. description"
        embeddings), clipped at 0; ``"isco"``: Bhattacharyya coefficient of the ISCO unit-group
        distributions.  Identical non-empty rows give 1; an empty row gives 0.
        """
        self._fitted()
        return _features.similarity(self, a, b, method)

    def expected_skills(
        self,
        texts: Sequence[str] | sp.spmatrix | np.ndarray,
        k: int = 10,
        top: int = 30,
        optional_weight: float = 0.5,
    ) -> pd.DataFrame:
        """ESCO skills of each text's likely occupations: long frame ``doc``, ``rank``,
        ``skill_id``, ``label``, ``weight``, ``essential_weight``; at most ``top`` per text.

        ``weight = P(essential) + optional_weight * P(optional)`` under the text's
        :meth:`distribution` over ``k`` occupations (or the distribution matrix given).
        """
        self._fitted()
        return _features.expected_skills(self, texts, k, top, optional_weight)
