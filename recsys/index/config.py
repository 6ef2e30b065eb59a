"""Index configuration and the automatic choice of FAISS index by size.

Presets (``factory`` may also be any FAISS ``index_factory`` string; ``{nlist}`` is filled in):

===========  ======================  ============================================================
preset       factory                 when
===========  ======================  ============================================================
exact        ``Flat``                below ``flat_below`` vectors (default 50k): exact, no training
ivf-sq8      ``IVF{nlist},SQ8``      the large-set default: 4x smaller than Flat, recall@100 ~0.98+
ivf-flat     ``IVF{nlist},Flat``     large sets when memory is no concern (highest ANN recall)
hnsw         ``HNSW32,Flat``         no training, fast queries; more memory, slow build, no true remove
ivf-pq       ``IVF{nlist},PQ{m}``    memory above all (~6x smaller than SQ8); lower recall
===========  ======================  ============================================================

``auto`` = ``exact`` below ``flat_below``, else ``ivf-sq8`` (measured in STACK.md and
``benchmarks/retrieval.py``).  ``nlist`` auto = ``4 * sqrt(n)`` rounded to a power of two, at most
``n / 39`` (FAISS wants ~39 training points per centroid) and between 16 and 65536.  PQ ``m`` =
the largest divisor of ``dim`` not above ``dim / 8`` (48 bytes per vector at 384-d).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

PRESETS: dict[str, str] = {
    "exact": "Flat",
    "ivf-sq8": "IVF{nlist},SQ8",
    "ivf-flat": "IVF{nlist},Flat",
    "hnsw": "HNSW32,Flat",
    "ivf-pq": "IVF{nlist},PQ{pq_m}",
}


class IndexConfig(BaseModel):
    """The ``index`` section of ``configs/index.yaml``."""

    model_config = ConfigDict(extra="forbid")

    factory: str = Field("auto", description="'auto', a preset name, or a FAISS factory string")
    flat_below: int = Field(50_000, ge=1, description="auto: exact Flat below this many vectors")
    nlist: int | None = Field(None, ge=1, description="IVF lists; None = auto from size")
    nprobe: int = Field(16, ge=1, description="IVF lists probed per query")
    ef_search: int = Field(128, ge=1, description="HNSW efSearch")
    ef_construction: int = Field(40, ge=1, description="HNSW efConstruction")
    train_size: int = Field(
        200_000, ge=1000, description="at most this many vectors are used to train IVF/PQ"
    )
    exact_subset_max: int = Field(
        20_000,
        ge=0,
        description="filtered search scores the allowed subset exactly when it is at most this big",
    )
    threads: int = Field(0, ge=0, description="FAISS OpenMP threads; 0 = leave FAISS's default")
    seed: int = 0


def auto_nlist(n: int) -> int:
    """Number of IVF lists for ``n`` vectors (see the module docstring)."""
    target = 4 * math.sqrt(max(n, 1))
    nlist = 2 ** round(math.log2(max(target, 1)))
    return int(max(16, min(nlist, max(n // 39, 16), 65536)))


def pq_m(dim: int) -> int:
    """PQ sub-quantizers for ``dim``: the largest divisor of ``dim`` that is at most ``dim / 8``."""
    return max([m for m in range(1, max(dim // 8, 1) + 1) if dim % m == 0])


def resolve_factory(n: int, config: IndexConfig, dim: int = 384) -> str:
    """The concrete FAISS factory string for ``n`` vectors of ``dim`` under ``config``."""
    factory = config.factory
    if factory == "auto":
        factory = "exact" if n < config.flat_below else "ivf-sq8"
    factory = PRESETS.get(factory, factory)
    if "{nlist}" in factory:
        factory = factory.replace("{nlist}", str(config.nlist or auto_nlist(n)))
    if "{pq_m}" in factory:
        factory = factory.replace("{pq_m}", str(pq_m(dim)))
    return factory
