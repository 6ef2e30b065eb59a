"""What the model and serving code may import: never the example world's generator, never training.

A static walk of the import graph (every ``import`` and ``from … import`` in the source, function-level
ones too, ``TYPE_CHECKING`` blocks excepted) from the feature, model and serving modules.  The generator
is the world's ground truth: code that scores a user's candidates must not be able to read its rules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "recsys"

# recsys.data modules that write the example world (its texts, people, planted process and truth)
GENERATOR = {
    f"recsys.data.{m}"
    for m in (
        "catalogue",
        "generate",
        "jd_words",
        "jobtext",
        "people",
        "planted",
        "resume",
        "resume_lines",
        "resume_parts",
        "resume_real",
        "text_scan",
        "text_sources",
        "text_words",
        "textkit",
        "truth",
        "world_config",
        "world_words",
    )
}
ROOTS = (
    "recsys.features",
    "recsys.models",
    "recsys.serving",
    "recsys.recommender",
    "recsys.scoring",
    "recsys.adhoc",
    "recsys.skills",
    "recsys.occupations",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _deferred_lines(tree: ast.Module) -> set[int]:
    """Lines of ``if TYPE_CHECKING:`` blocks and of a module-level ``__getattr__`` (a lazy
    re-export: it runs only for the name asked for, checked separately below)."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                lines.update(range(sub.lineno, (sub.end_lineno or sub.lineno) + 1))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


def imports_of(name: str) -> set[str]:
    """Modules (of recsys, or training) that ``name`` imports."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    skip = _deferred_lines(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)  # `from pkg import module`
    return {m for m in out if m.split(".")[0] in ("recsys", "recsys_training")}


def reachable(starts: list[str]) -> dict[str, str]:
    """Every module reachable from ``starts`` → the module that first imported it."""
    seen = {s: "" for s in starts}
    todo = list(starts)
    while todo:
        name = todo.pop()
        for dep in imports_of(name) if name in MODULES else ():
            parents = [".".join(dep.split(".")[:i]) for i in range(1, dep.count(".") + 2)]
            for mod in parents:  # importing a.b.c runs a and a.b first
                if mod not in seen and (mod in MODULES or mod.startswith("recsys_training")):
                    seen[mod] = name
                    todo.append(mod)
    return seen


def _chain(seen: dict[str, str], mod: str) -> str:
    chain = [mod]
    while seen.get(chain[-1]):
        chain.append(seen[chain[-1]])
    return " <- ".join(chain)


def test_the_walk_sees_imports():
    # a canary: the walk must find what is really there, or the boundary test proves nothing
    assert "recsys.features.registry" in reachable(["recsys.features.builder"])
    assert "recsys.data.planted" in reachable(["recsys.data.generate"])
    assert "recsys.data.generate" in reachable(["recsys.cli.data"])


@pytest.mark.parametrize("root", ROOTS)
def test_scoring_code_never_reaches_the_generator_or_training(root):
    starts = [m for m in MODULES if m == root or m.startswith(root + ".")]
    assert starts, root
    seen = reachable(starts)
    bad = sorted(m for m in seen if m in GENERATOR or m.split(".")[0] == "recsys_training")
    assert not bad, "\n".join(_chain(seen, m) for m in bad)
    lazy = [m for m in seen if m in MODULES and "generate_world" in MODULES[m].read_text()]
    assert set(lazy) <= {"recsys.data"}, lazy  # nobody asks recsys.data for the generator
