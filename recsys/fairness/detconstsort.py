"""DetConstSort (Geyik, Ambler & Kenthapadi, KDD 2019) over per-prefix minimum counts.

The constraint is a table ``mins[j - 1, g]``: at least that many items of group ``g`` among the
first ``j`` positions.  Because an item never passes a better item of its own group, the table is a
*deadline* per item: the ``m``-th best item of ``g`` must stand at position ``<= d_g(m)``, the first
``j`` with ``mins[j - 1, g] >= m`` (no deadline when the table never asks for ``m``).

The paper's algorithm walks ``k' = 1, 2, ...``; at each ``k'`` it appends, best first, the items
whose deadline is ``k'`` (its "minimum count went up" step), and moves each appended item up past
worse items as long as every item it pushes down stays within its own deadline (its insertion sort
with ``maxIndices``).  The paper's desired proportions sum to one, so every position is owed to some
group.  Here the table may leave room (proportions summing to less than one, a minimum ratio, a
FA*IR table): after the items due at ``k'``, the best remaining item of any group is appended too,
as long as the list stays within ``T(k') = sum_g mins[k'-1, g] + min_{j >= k'} (j - sum_g mins[j-1,
g])`` items — the most that can stand before position ``k'`` without leaving a later deadline
unmeetable.  When the table leaves no room this adds nothing and the algorithm is the paper's.

Every appended item lands at an index below its deadline and no move pushes an item past its own,
so the result meets the table at every prefix wherever the groups have the items.  An item moves up
only past *worse* items (lower original rank), so each group keeps its original order; and when the
original order already meets the table, the result is the original order (a move is blocked only
where the original order itself would miss a deadline).
"""

from __future__ import annotations

import numpy as np

NO_DEADLINE = np.iinfo(np.int64).max // 2


def deadlines(codes: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Per item (in original order, group ``codes[i]`` in ``0..G-1``, -1 for none): the last
    1-based position it may take, ``NO_DEADLINE`` where the table never asks for it."""
    n = len(codes)
    out = np.full(n, NO_DEADLINE, dtype=np.int64)
    for g in range(mins.shape[1]):
        items = np.flatnonzero(codes == g)
        if len(items) == 0:
            continue
        m = np.arange(1, len(items) + 1)
        due = np.searchsorted(mins[:, g], m, side="left") + 1  # first j with mins >= m
        out[items] = np.where(due <= mins.shape[0], due, NO_DEADLINE)
    return out


def room(mins: np.ndarray, available: np.ndarray) -> np.ndarray:
    """``T(j)`` for ``j = 1..len(mins)``: how many items may stand in the list after step ``j``.
    ``available`` caps each group's minimums at what the group has."""
    need = np.minimum(mins, available[None, :]).sum(axis=1)
    j = np.arange(1, len(mins) + 1)
    slack = np.minimum.accumulate((j - need)[::-1])[::-1]  # min over j' >= j
    return need + np.maximum(slack, 0)


def detconstsort(codes: np.ndarray, mins: np.ndarray) -> np.ndarray:
    """Order of items ``0..n-1`` (given best first, group per item in ``codes``, -1 for an item no
    minimum counts) meeting ``mins`` (shape ``(length, G)``) in its first ``length`` positions;
    items past ``length`` follow in their original order.  Returns the item indices, new order."""
    codes = np.asarray(codes, dtype=np.int64)
    n, length = len(codes), min(len(mins), len(codes))
    if n == 0 or length == 0:
        return np.arange(n)
    mins = np.asarray(mins, dtype=np.int64)[:length]
    available = np.bincount(codes[codes >= 0], minlength=mins.shape[1])[: mins.shape[1]]
    due = deadlines(codes, mins)
    limit = room(mins, available).tolist()
    owed = np.flatnonzero(due <= length)
    owed = owed[np.lexsort((owed, due[owed]))]  # by deadline, then best first
    owed_due, owed = due[owed].tolist(), owed.tolist()
    dl = due.tolist()
    taken = bytearray(n)
    placed: list[int] = []
    e, best, n_owed = 0, 0, len(owed)
    for step in range(1, length + 1):
        cap = limit[step - 1]
        while True:
            if e < n_owed and owed_due[e] <= step:  # owed now: the paper's "minimum went up"
                item = owed[e]
                e += 1
                if taken[item]:
                    continue
            elif len(placed) < cap:  # room left: the best remaining row of any group
                while best < n and taken[best]:
                    best += 1
                if best == n:
                    break
                item = best
            else:
                break
            taken[item] = 1
            i = len(placed)
            # up past worse items whose deadline allows one place lower (1-based i + 1)
            while i > 0 and placed[i - 1] > item and dl[placed[i - 1]] > i:
                i -= 1
            placed.insert(i, item)
    rest = [i for i in range(n) if not taken[i]]
    return np.asarray(placed + rest, dtype=np.int64)


def proportional(shares: np.ndarray, length: int, eps: float = 1e-9) -> np.ndarray:
    """DetConstSort's minimums: ``floor(j * p_g)`` for ``j = 1..length`` (``eps`` absorbs float
    error, so ``0.3 * 10`` counts as 3)."""
    j = np.arange(1, length + 1, dtype=np.float64)[:, None]
    return np.floor(j * np.asarray(shares, dtype=np.float64)[None, :] + eps).astype(np.int64)


def shortfalls(codes: np.ndarray, mins: np.ndarray) -> list[dict]:
    """Per group whose count misses its minimum at some prefix of ``codes`` (groups in final
    order): the first such prefix (1-based), the minimum there, the count there, and the largest
    shortfall over all prefixes."""
    length = min(len(mins), len(codes))
    out = []
    for g in range(mins.shape[1]):
        have = np.cumsum(codes[:length] == g)
        short = mins[:length, g] - have
        bad = np.flatnonzero(short > 0)
        if len(bad):
            j = int(bad[0])
            out.append(
                {
                    "group": g,
                    "prefix": j + 1,
                    "needed": int(mins[j, g]),
                    "got": int(have[j]),
                    "max_shortfall": int(short.max()),
                }
            )
    return out


def meets(codes: np.ndarray, mins: np.ndarray) -> bool:
    """Whether the order ``codes`` meets every minimum of ``mins`` (vectorised)."""
    length = min(len(mins), len(codes))
    if length == 0 or mins.shape[1] == 0:
        return True
    onehot = codes[:length, None] == np.arange(mins.shape[1])[None, :]
    return bool((np.cumsum(onehot, axis=0) >= mins[:length]).all())
