"""The skill graph: which credentials certify which skills and map to which contracts, which
contracts need which skills, which roles require them and own which contracts, how roles' ESCO
occupations relate, and what each candidate holds as of a date.

It is held as scipy.sparse CSR incidence matrices with ``pd.Index`` id maps, not as a networkx
graph.  The queries are joins of relations (credential → skill ← role, role → occupation ↔
occupation ← role), which are sparse matrix products over every row at once: one vectorised call
for a whole candidate set or role list instead of a Python walk per node.  Memory is linear in the
number of edges (three arrays per matrix), so a world of 10^6 candidates with ten claimed skills
each costs ~10^7 non-zeros (~120 MB); networkx keeps a dict per node and per edge, several hundred
bytes each, and would need tens of GB for the same graph.

``SkillGraph.from_world(world)`` builds it; the queries are documented on the class.
"""

from __future__ import annotations

from recsys.graph.occupations import OccupationRelations, occupation_relations
from recsys.graph.skill_graph import NEAR_WEIGHTS, Held, SkillGraph

__all__ = ["NEAR_WEIGHTS", "Held", "OccupationRelations", "SkillGraph", "occupation_relations"]
