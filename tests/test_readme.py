"""Every command block of README.md runs (the issue's "Every README command block runs in a test").

The ```bash and ```python blocks are read from README.md when the test runs, so the README as
written is what runs.  All blocks run once, in README order, with bash, in one temporary folder
laid out as the README assumes (it is the working directory); each block is then its own test.
That run takes 5-15 minutes on 2 shared cores (each command loads a model), so it is ``slow`` (``make
test-slow``, which CI runs); the default run checks, in seconds, that every ``recsys`` line of
the README and of ``make demo`` parses against the CLI (commands, options, choice values) and
the two slips the issue found (curl's Content-Type, ``index build``'s ``--config``).

Set-up, what ``make demo`` leaves behind: the Makefile's own demo recipe (``make -n -o install
demo``: its commands without the install step) runs in that folder, on a tiny world:

- ``worlds/demo`` is a tiny generated world (400 candidates, 60 roles, seed 3) instead of
  configs/world-demo.yaml's 3,000 x 300; the recipe skips ``recsys generate`` when a world is
  there, as it does on a second ``make demo``.
- ``configs/`` is the repository's, with every ``embedding`` section on the hashing test encoder
  (``hashing:128``) and the train configs fitting 60 trees without masking and without the
  text-only model (seconds instead of minutes).  (``_run_all(fast=False)`` keeps the files and
  encoder defaults as shipped: the packaged MiniLM, the repository's ``.cache/embeddings``
  linked in; tests/data/test_ats_import.py runs the ATS block so in ``make test-slow``.)
- MLflow writes to ``sqlite:///<folder>/mlflow.db`` (``MLFLOW_TRACKING_URI``); ``examples/`` is the
  repository's.

Substitutions in the commands (each one below is the only change made):

- ``\\`` continuations are joined, trailing ``  # comments`` dropped, and optional options shown
  in brackets are given (``[--json]`` -> ``--json``).
- Ids the tiny world lacks: ``C00042`` -> an employee of worlds/demo; ``C-123`` -> a candidate
  of stores/live (so the erasure erases someone).
- ``recsys serve`` runs in the background until it prints the URL it listens on and ``/readyz``
  answers there; the rest of its block runs against it, then it is stopped.  Its port is a free
  one (``--port 8000`` and ``localhost:8000`` rewritten; a serve line without ``--port`` gets one).
- ``curl`` gets ``--fail-with-body -sS``: an HTTP error (the 422 of a body without
  ``Content-Type: application/json``) fails the test.
- Files the README's commands read but the repository does not ship are written first:
  ``resumes/*.pdf``, ``resumes/*.docx`` (tests/ingest/resume_files.py), ``people.json``
  (examples/ingest/resume-priya.json), ``postings.jsonld`` (examples/ingest/posting-data-engineer.json),
  ``candidates.csv`` (two candidates), ``pool.parquet`` (200 candidate-role pairs of worlds/demo)
  and ``my_pool/`` (examples/realtext: candidates.csv, roles.csv, labels.csv).
- The commands that would embed the whole taxonomy with the packaged MiniLM (minutes on a cold
  cache) get the hashing encoder: ``recsys import`` ``--encoder hashing:128``,
  ``recsys skills extract`` and ``recsys occupations`` ``--model hashing:128``.
- The Python block runs as a script with ``pairs_frame`` (two pairs of worlds/demo) defined first.

``make test`` is not started from inside the suite it starts: CI's .ci/run runs it, and the test
checks that and that ``make -n test`` is the pytest call.  Besides exit status 0, outputs are
checked: ``--json`` output parses, tables name what they rank, the README's ``index build`` fills
the embedding cache (its ``--config``), curl gets a shortlist back, the erasure erases one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FAST_ENCODER = "hashing:128"


@dataclass
class Block:
    heading: str
    lang: str
    text: str
    commands: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def id(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.heading.lower()).strip("-") + f"-{self.lang}"


def readme_blocks(text: str) -> list[Block]:
    """The fenced bash and python blocks with the heading they sit under."""
    blocks, heading = [], ""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#") and not line.startswith("#!"):
            heading = line.lstrip("#").strip()
        fence = re.match(r"^```(bash|python)\s*$", line)
        if fence:
            end = lines.index("```", i + 1)
            blocks.append(Block(heading, fence.group(1), "\n".join(lines[i + 1 : end])))
            i = end
        i += 1
    return blocks


def shell_commands(text: str) -> list[str]:
    """One string per command: continuations joined, comments dropped, [--options] given."""
    joined = re.sub(r"\s*\\\n\s*", " ", text)
    out = []
    for line in joined.splitlines():
        line = re.sub(r"\s{2,}#.*$", "", line).strip()
        line = re.sub(r"\[(--[^\]]+)\]", r"\1", line)
        if line and not line.startswith("#"):
            out.append(line)
    return out


def test_readme_has_blocks_and_commands_are_parsed():
    blocks = readme_blocks(README.read_text("utf-8"))
    assert sum(b.lang == "bash" for b in blocks) >= 6
    text = "recsys a --x 1 \\\n    --y 2   # note [--z]\nrecsys b [--json]\n# only a comment"
    assert shell_commands(text) == ["recsys a --x 1 --y 2", "recsys b --json"]


# ------------------------------------------------------------------------------ the folder
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fast_configs(folder: Path) -> None:
    import yaml

    for path in folder.glob("*.yaml"):
        cfg = yaml.safe_load(path.read_text("utf-8")) or {}
        if isinstance(cfg.get("embedding"), dict):
            cfg["embedding"]["model"] = FAST_ENCODER
        if path.name.startswith("train"):
            cfg.setdefault("fit", {}).update(n_estimators=60, text_model=False)
            cfg["mask"] = {"candidates": 0.0, "roles": 0.0, "text_only_eval": False}
        path.write_text(yaml.safe_dump(cfg), "utf-8")


def _inputs(root: Path) -> None:
    """The files the README's commands read that the repository does not ship."""
    import numpy as np
    import pandas as pd
    from ingest.resume_files import plain_pdf, resume_docx

    (root / "resumes").mkdir()
    plain_pdf(root / "resumes" / "renee.pdf")
    resume_docx(root / "resumes" / "ana.docx")
    shutil.copy(ROOT / "examples/ingest/resume-priya.json", root / "people.json")
    shutil.copy(ROOT / "examples/ingest/posting-data-engineer.json", root / "postings.jsonld")
    (root / "candidates.csv").write_text(
        "candidate_id,headline,resume_text,years_experience,location\n"
        "X-1,Backend engineer,Backend engineer: Python and PostgreSQL APIs.,6,Berlin\n"
        "X-2,Nurse,Registered nurse in intensive care.,4,Paris\n",
        "utf-8",
    )
    world = root / "worlds" / "demo"
    cands = pd.read_parquet(world / "candidates.parquet")["candidate_id"].to_numpy()
    roles = pd.read_parquet(world / "roles.parquet")["role_id"].to_numpy()
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {"candidate_id": rng.choice(cands, 200), "role_id": rng.choice(roles, 200)}
    ).to_parquet(root / "pool.parquet", index=False)
    (root / "my_pool").mkdir()
    for name in ("candidates.csv", "roles.csv", "labels.csv"):
        shutil.copy(ROOT / "examples" / "realtext" / name, root / "my_pool" / name)


class Site:
    """The temporary folder the README's commands run in (see the module doc)."""

    def __init__(self, root: Path, fast: bool) -> None:
        self.root, self.fast = root, fast
        shutil.copytree(ROOT / "configs", root / "configs")
        (root / "examples").symlink_to(ROOT / "examples", target_is_directory=True)
        if fast:
            _fast_configs(root / "configs")
        else:
            (root / ".cache").symlink_to(ROOT / ".cache", target_is_directory=True)
        bin_dir = Path(sys.executable).parent
        self.env = {
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "TOKENIZERS_PARALLELISM": "false",
            "COLUMNS": "160",
        }
        self.env.pop("RECSYS_STORE", None)
        self.servers: list[subprocess.Popen] = []
        self.port = _free_port()

    # -------------------------------------------------------------------- running commands
    def run(self, command: str, timeout: int = 900) -> str:
        res = subprocess.run(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if res.returncode != 0:
            raise AssertionError(
                f"exit {res.returncode}: {command}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
            )
        return res.stdout

    def serve(self, command: str) -> str:
        proc = subprocess.Popen(
            ["bash", "-c", command],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.servers.append(proc)
        first = proc.stdout.readline()
        if "listening on http://" not in first:
            try:
                rest = proc.communicate(timeout=30)[0]
            except subprocess.TimeoutExpired:
                rest = ""
            raise AssertionError(f"{command}: no URL printed; got {first + rest}")
        url = first.split("listening on ", 1)[1].split()[0].rstrip(":")
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"{url}/readyz", timeout=5) as res:
                    if res.status == 200:
                        return first
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{command}: {url}/readyz never answered 200")
            time.sleep(0.5)

    def stop_servers(self) -> None:
        for proc in self.servers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)  # the server and the workers it started
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)
        self.servers = []

    # -------------------------------------------------------------------- substitutions
    def substitute(self, command: str) -> str:
        import pandas as pd

        if "C00042" in command:
            cands = pd.read_parquet(self.root / "worlds/demo/candidates.parquet")
            employee = cands.loc[cands["is_employee"].astype(bool), "candidate_id"].iloc[0]
            command = command.replace("C00042", str(employee))
        if "--candidate C-123" in command:
            cands = pd.read_parquet(self.root / "worlds/ats/candidates.parquet")
            command = command.replace("C-123", str(cands["candidate_id"].iloc[0]))
        if command.split()[:2] == ["recsys", "serve"] or " recsys serve " in command:
            if "--port" in command:
                command = re.sub(r"--port \d+", f"--port {self.port}", command)
            else:
                command += f" --port {self.port}"
        command = command.replace("localhost:8000", f"localhost:{self.port}")
        if command.startswith("curl "):
            command = "curl --fail-with-body -sS " + command.removeprefix("curl ")
        if self.fast:
            if command.startswith("recsys import "):
                command += f" --encoder {FAST_ENCODER}"
            if command.startswith(("recsys skills extract", "recsys occupations")):
                command += f" --model {FAST_ENCODER}"
        return command

    # -------------------------------------------------------------------- the make targets
    def make_demo(self) -> list[str]:
        """The demo recipe as make prints it (install assumed done), one command per line."""
        res = subprocess.run(
            ["make", "-s", "-n", "-o", "install", "-C", str(ROOT), "demo"]
            + [f"VENV={Path(sys.executable).parents[1]}", f"PY={sys.executable}"],
            capture_output=True,
            text=True,
            check=True,
        )
        text = re.sub(r"\\\n\s*", " ", res.stdout)
        return [line.strip() for line in text.splitlines() if line.strip()]


def _check(site: Site, command: str, out: str) -> None:
    """What the README promises beyond exit status 0."""
    words = command.split()
    if "--json" in words:
        start = min(i for i in (out.find("{"), out.find("[")) if i >= 0)
        json.loads(out[start:])
    if words[:3] == ["recsys", "index", "build"] and site.fast:
        cache = site.root / ".cache" / "embeddings"
        assert cache.is_dir() and any(cache.iterdir()), "index build wrote no embedding cache"
    if words[:1] == ["recsys"] and "shortlist" in words[:2] and "--json" not in words:
        assert "Shortlist for" in out, out
    if words[:1] == ["curl"]:
        assert json.loads(out)["results"], out
    if words[:3] == ["recsys", "store", "erase"]:
        assert json.loads(out)["erased"] == 1, out
    if words[:3] == ["recsys", "skills", "extract"] or words[:2] == ["recsys", "occupations"]:
        for line in out.splitlines():
            json.loads(line)


PYTHON_PRELUDE = """
import pandas as pd
pairs_frame = pd.read_parquet("pool.parquet").head(2)
"""


def _run_block(site: Site, block: Block) -> None:
    if block.lang == "python":
        script = site.root / f"readme_{block.id}.py"
        script.write_text(PYTHON_PRELUDE + block.text, "utf-8")
        block.commands = [f"python {script.name}"]
        block.outputs.append(site.run(f"{sys.executable} {script.name}"))
        return
    commands = shell_commands(block.text)
    try:
        for command in commands:
            if command.startswith("make "):
                block.commands.append(command)
                _run_make(site, command, block)
                continue
            command = site.substitute(command)
            block.commands.append(command)
            if "recsys serve" in command:
                block.outputs.append(site.serve(command))
                continue
            out = site.run(command)
            block.outputs.append(out)
            _check(site, command, out)
    finally:
        site.stop_servers()


def _run_make(site: Site, command: str, block: Block) -> None:
    target = command.split()[1]
    if target == "demo":
        return  # run by the set-up (the_readme): every block after this one depends on it
    if target == "test":
        ci = (ROOT / ".ci" / "run").read_text("utf-8")
        assert re.search(r"^make test$", ci, re.M), ".ci/run no longer runs make test"
        res = subprocess.run(
            ["make", "-s", "-n", "-o", "install", "-C", str(ROOT), "test"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert "pytest -q" in res.stdout, res.stdout
        return
    raise AssertionError(f"no rule for README command {command!r}")


def _run_all(root: Path, fast: bool) -> dict[str, Block]:
    from trained import tiny_world

    site = Site(root, fast)
    tiny_world(root / "worlds" / "demo")
    blocks = readme_blocks(README.read_text("utf-8"))
    demo = next((b for b in blocks if "make demo" in shell_commands(b.text)), None)
    try:
        for command in site.make_demo():  # the set-up: make demo's recipe, on the tiny world
            out = site.run(command)
            if demo is not None:
                demo.commands.append(command)
                demo.outputs.append(out)
    except AssertionError as err:
        for b in blocks:
            b.error = f"make demo's recipe failed: {err}"
        return {b.id: b for b in blocks}
    _inputs(root)
    for block in blocks:
        if block.id.startswith("retrieval") and fast:
            shutil.rmtree(root / ".cache", ignore_errors=True)  # the README's line fills it anew
        try:
            _run_block(site, block)
        except Exception as err:  # reported by the block's own test
            block.error = f"{type(err).__name__}: {err}"
    return {b.id: b for b in blocks}


BLOCK_IDS = [b.id for b in readme_blocks(README.read_text("utf-8"))]


@pytest.fixture(scope="module")
def the_readme(tmp_path_factory) -> dict[str, Block]:
    return _run_all(tmp_path_factory.mktemp("readme"), fast=True)


@pytest.mark.slow
@pytest.mark.parametrize("block_id", BLOCK_IDS)
def test_readme_block_runs(the_readme, block_id):
    """Each block, run as the module doc says (all of them: 5-15 min on 2 cores, most of it
    model loading per command; hence ``make test-slow``)."""
    block = the_readme[block_id]
    assert block.error is None, f"{block.heading}:\n{block.error}"
    assert block.commands, f"{block.heading}: nothing ran"


# ------------------------------------------------------------- the default run: static checks
def _readme_commands() -> list[str]:
    cmds = []
    for block in readme_blocks(README.read_text("utf-8")):
        if block.lang == "bash":
            cmds += shell_commands(block.text)
    return cmds


def _recsys_args(command: str) -> list[str] | None:
    """The arguments of a ``recsys`` command line (env assignments before it skipped)."""
    import shlex

    words = shlex.split(re.sub(r"\$\(.*\)", "SUBSTITUTED", command))  # make demo's $(python …)
    while words and re.match(r"^[A-Z_]+=", words[0]):
        words = words[1:]
    if not words or Path(words[0]).name != "recsys":
        return None
    return words[1:]


def _parse(args: list[str]) -> list[str]:
    """Parse ``args`` as the ``recsys`` command would, without running it; the command path."""
    import typer

    from recsys.cli.main import app

    cmd = typer.main.get_command(app)
    ctx = cmd.make_context("recsys", list(args), resilient_parsing=False)
    path = []
    while hasattr(cmd, "resolve_command"):
        # the sub-command's name and what follows (click keeps the name apart: "protected")
        head = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", None)
        rest = [*(head or []), *ctx.args]
        name, cmd, rest = cmd.resolve_command(ctx, rest)
        path.append(name)
        ctx = cmd.make_context(name, rest, parent=ctx)
    return path


def test_every_readme_recsys_command_parses():
    """Fast guard for the slow run: every ``recsys`` line of the README's blocks and of ``make
    demo``'s recipe names existing commands, options and choice values."""
    site_cmds = Site.__new__(Site).make_demo()
    checked = 0
    for command in [*_readme_commands(), *site_cmds]:
        args = _recsys_args(command)
        if args is None:
            continue
        try:
            assert _parse(args), command
        except Exception as err:  # click's usage errors: name the README line
            raise AssertionError(f"{command!r}: {err}") from err
        checked += 1
    assert checked >= 25


def test_readme_requests_and_index_builds_carry_what_they_need():
    """The two slips users hit: a curl that posts JSON without saying so (FastAPI answers 422)
    and an ``index build`` without ``--config`` (the embedding cache off: a rebuild re-embeds
    everything, minutes instead of seconds)."""
    for command in _readme_commands():
        if command.startswith("curl ") and " -d " in command:
            assert "Content-Type: application/json" in command, command
        if "recsys index build" in command:
            assert "--config" in command, command
