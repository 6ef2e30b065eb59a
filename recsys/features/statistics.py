"""``FeatureStatistics``: what the features learnt from the training world, without the world.

A trained model scores pairs of *other* data (a live store, a recruiter's pool) with the statistics
of the candidates it was trained on, so that a feature means at serving what it meant in training:

- ``history_rates_``: per tenure bin, how often a holder of an occupation has its skills
  (:func:`recsys.features.evidence.estimate_history_rates`);
- ``seniority_scale_``: typical years of experience per role level
  (:func:`recsys.features.seniority.fit_seniority_scale`);
- ``bm25``: BM25's document frequencies, corpus size and mean document length
  (:class:`recsys.features.text.HashedBM25`; hashed term counts, no document);
- the skill reader and skill-label vectors, rebuilt from the taxonomy and the encoder.

None of it holds a person's data, so a model bundle carries these instead of its training
candidates (``Recommender.save(data=False)``): this object is what a
:class:`recsys.features.FeatureBuilder` over other data takes as its ``reference``.  A builder over
its own training world is itself such a reference (same attributes and methods).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from recsys.features.evidence import HistoryRates
from recsys.features.seniority import SeniorityScale
from recsys.features.text import HashedBM25

__all__ = ["FeatureStatistics", "label_vectors"]

_JSON, _NPZ = "statistics.json", "bm25_df.npz"


def label_vectors(extractor: Any, encoder: Any, skills: pd.DataFrame) -> np.ndarray | None:
    """Vectors of the ``skills`` labels (rows in ``skills`` order; zero rows the reader lacks):
    the reader's own label matrix when it embeds, else ``encoder``'s; neither → None."""
    ids = pd.Index(skills["skill_id"].astype(str))
    if extractor is not None and getattr(extractor, "encoder", None) is not None:
        if not hasattr(extractor, "vocab_"):
            extractor.fit()
        pos = pd.Index(extractor.skill_ids_).get_indexer(ids)
        mat = extractor.label_matrix()
        vec = np.where((pos >= 0)[:, None], mat[np.maximum(pos, 0)], 0.0)
    elif encoder is not None:
        vec = encoder.encode(skills["label"].astype(str).tolist())
    else:
        return None
    return np.asarray(vec, dtype=np.float32)


class FeatureStatistics:
    """The reference statistics of a trained model's features (see the module doc)."""

    def __init__(
        self,
        skills: pd.DataFrame,
        skill_extractor: Any,
        history_rates: HistoryRates | None,
        seniority_scale: SeniorityScale | None,
        bm25: HashedBM25,
        *,
        encoder: Any = None,
        occupations: Any = None,
    ) -> None:
        self.skills = skills
        self.skill_extractor = skill_extractor
        self.skill_ids_ = pd.Index(skills["skill_id"].astype(str))
        self.history_rates_ = history_rates
        self.seniority_scale_ = seniority_scale
        self.bm25_model = bm25
        self.encoder = encoder
        self.occupations = occupations
        self._skill_vectors: Any = False  # False = not computed yet
        self._matcher: Any = False

    @classmethod
    def from_builder(cls, builder: Any) -> FeatureStatistics:
        """The statistics a builder measured on its world (or reuses from its reference)."""
        if isinstance(builder, FeatureStatistics):
            return builder
        ref = builder.reference
        if ref is not None:
            return cls.from_builder(ref)
        return cls(
            builder.world.skills,
            builder.skill_extractor,
            builder.history_rates_,
            builder.seniority_scale_,
            builder.bm25_tables()[0],
            encoder=builder.encoder,
            occupations=builder.occupations,
        )

    # ------------------------------------------------------------------ the reference API
    def skill_vectors(self) -> np.ndarray | None:
        """Embeddings of the taxonomy's skill labels, rows aligned with ``skill_ids_``."""
        if self._skill_vectors is False:
            self._skill_vectors = label_vectors(self.skill_extractor, self.encoder, self.skills)
        return self._skill_vectors

    def occupation_matcher(self) -> Any:
        """The occupation matcher of ``occ_match`` (None without an encoder)."""
        if self._matcher is False:
            from recsys.features.occupation import matcher_for

            if self.occupations is not None:
                self._matcher = self.occupations
            else:
                self._matcher = matcher_for(self.encoder) if self.encoder is not None else None
        return self._matcher

    def bm25_tables(self) -> tuple[HashedBM25, None, None]:
        """``(model, None, None)``: the fitted BM25 statistics (a builder's tables hold its own
        documents and queries besides; a reference only lends its model)."""
        return self.bm25_model, None, None

    # ------------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> None:
        """``statistics.json`` (rates, scale, BM25 sizes) and ``bm25_df.npz`` (non-zero document
        frequencies by hashed term) under ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        bm = self.bm25_model
        rates, scale = self.history_rates_, self.seniority_scale_
        doc = {
            "history_rates": None  # exact values: served scores equal the full bundle's
            if rates is None
            else {k: getattr(rates, k).tolist() for k in ("edges", "essential", "optional")},
            "seniority_scale": None
            if scale is None
            else {"levels": scale.levels.tolist(), "typical": scale.typical.tolist()},
            "bm25": {
                "k1": bm.k1,
                "b": bm.b,
                "n_features": bm.n_features,
                "n_docs": int(bm.n_docs_),
                "avgdl": float(bm.avgdl_),
            },
        }
        (folder / _JSON).write_text(json.dumps(doc, indent=1), "utf-8")
        nz = np.flatnonzero(bm.df_)
        np.savez_compressed(folder / _NPZ, terms=nz.astype(np.int64), df=bm.df_[nz])

    @classmethod
    def load(
        cls, folder: str | Path, skills: pd.DataFrame, skill_extractor: Any, encoder: Any = None
    ) -> FeatureStatistics:
        """Statistics written by :meth:`save`, with the model's taxonomy, reader and encoder."""
        folder = Path(folder)
        doc = json.loads((folder / _JSON).read_text("utf-8"))
        r, s, b = doc["history_rates"], doc["seniority_scale"], doc["bm25"]
        rates = None if r is None else HistoryRates(**{k: np.asarray(v) for k, v in r.items()})
        scale = (
            None
            if s is None
            else SeniorityScale(levels=np.asarray(s["levels"]), typical=np.asarray(s["typical"]))
        )
        bm = HashedBM25(k1=b["k1"], b=b["b"], n_features=b["n_features"])
        with np.load(folder / _NPZ, allow_pickle=False) as z:
            df = np.zeros(bm.n_features, dtype=np.float32)
            df[z["terms"]] = z["df"]
        bm.n_docs_, bm.df_, bm.avgdl_ = b["n_docs"], df, b["avgdl"]
        return cls(skills, skill_extractor, rates, scale, bm, encoder=encoder)
