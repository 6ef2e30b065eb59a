"""Domain-adapt the sentence encoder on taxonomy structure (an experiment; docs/skills.md has the result).

Contrastive pairs come from the shipped taxonomy only, never from the annotated dev sentences:

- an ESCO skill's alt label → its preferred label; its description → its label;
- an O*NET technology's alias → its name (the form the skill vocabulary embeds), and a technology
  linked to an ESCO skill → that skill's label;
- an O*NET task statement → its occupation's title; a (non-held-out) O*NET alternate title → the
  occupation's title.

Three steps, the middle one on a GPU when one is lent (it needs only torch and
sentence-transformers, not recsys):

    python scripts/finetune_encoder.py pairs --out .gpu/pairs.parquet
    python scripts/finetune_encoder.py train --pairs .gpu/pairs.parquet --base MODEL_DIR \\
        --out tuned --shards OUT_DIR          # fp16 shards of <= 15 MB, to carry back
    python scripts/finetune_encoder.py merge --shards OUT_DIR --base MODEL_DIR --out tuned
    python benchmarks/realtext.py --encoder tuned --skip occupations pool onet_roles throughput

Loss: in-batch multiple-negatives ranking (cross-entropy over scaled cosines), a pair's other
anchors sharing its positive masked out as negatives.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd


def build_pairs(seed: int = 0, max_titles: int = 15_000) -> pd.DataFrame:
    """(anchor, positive, source) rows from the shipped taxonomy (see the module doc)."""
    from recsys.data import taxonomy

    rows: list[tuple[str, str, str]] = []
    skills = taxonomy.skills()
    label_of = dict(zip(skills["skill_id"], skills["label"], strict=True))
    for label, alts, desc in zip(
        skills["label"], skills["alt_labels"], skills["description"], strict=True
    ):
        for alt in list(alts if alts is not None else []):
            if alt and alt != label:
                rows.append((str(alt), str(label), "esco_alt"))
        if isinstance(desc, str) and desc.strip():
            rows.append((desc.strip(), str(label), "esco_description"))
    tech = taxonomy.technologies()
    for name, aliases, esco in zip(
        tech["name"], tech["aliases"], tech["esco_skill_id"], strict=True
    ):
        for alias in list(aliases if aliases is not None else []):
            if alias and alias != name:
                rows.append((str(alias), str(name), "tech_alias"))
        if isinstance(esco, str) and esco in label_of:
            rows.append((str(name), str(label_of[esco]), "tech_esco"))
    occ = taxonomy.onet_occupations().set_index("onet_code")["title"]
    tasks = taxonomy.onet_tasks()
    for code, task in zip(tasks["onet_code"], tasks["task"], strict=True):
        if code in occ.index:
            rows.append((str(task), str(occ[code]), "onet_task"))
    alt = taxonomy.onet_alt_titles()
    alt = alt[~alt["holdout"].astype(bool)]  # the held-apart slice evaluates occupation inference
    for code, title in zip(alt["onet_code"], alt["title"], strict=True):
        if code in occ.index and title != occ[code]:
            rows.append((str(title), str(occ[code]), "onet_alt_title"))
    out = pd.DataFrame(rows, columns=["anchor", "positive", "source"]).drop_duplicates()
    out = out[out["anchor"].str.strip().str.lower() != out["positive"].str.strip().str.lower()]
    # alternate titles outnumber everything else 3:1 and teach occupations, not skills: a sample
    titles = out[out["source"] == "onet_alt_title"]
    out = pd.concat(
        [
            out[out["source"] != "onet_alt_title"],
            titles.sample(min(len(titles), max_titles), random_state=seed),
        ]
    )
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True)


LORA_TARGETS = (
    "query",
    "key",
    "value",
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
)


def add_lora(model, rank: int, alpha: float) -> list[str]:
    """Freeze ``model`` and give each transformer linear a trainable low-rank update
    ``W + (alpha / rank) * B @ A`` (B starts at zero: training starts from the base model)."""
    import torch

    class LoRALinear(torch.nn.Module):
        def __init__(self, base: torch.nn.Linear) -> None:
            super().__init__()
            self.base = base
            self.lora_A = torch.nn.Parameter(
                torch.randn(rank, base.in_features) / base.in_features**0.5
            )
            self.lora_B = torch.nn.Parameter(torch.zeros(base.out_features, rank))
            self.scale = alpha / rank

        def forward(self, x):  # noqa: ANN001
            return self.base(x) + self.scale * (x @ self.lora_A.T) @ self.lora_B.T

    for p in model.parameters():
        p.requires_grad_(False)
    wrapped = []
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if isinstance(child, torch.nn.Linear) and full.endswith(LORA_TARGETS):
                setattr(module, child_name, LoRALinear(child).to(child.weight.device))
                wrapped.append(full)
    return wrapped


def fold_lora(model) -> dict:
    """Merge every LoRA update into its base weight (in place); returns the adapter tensors."""
    import torch

    adapter = {}
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            if hasattr(child, "lora_A"):
                full = f"{name}.{child_name}" if name else child_name
                with torch.no_grad():
                    child.base.weight += child.scale * child.lora_B @ child.lora_A
                adapter[f"{full}.lora_A"] = child.lora_A.detach().cpu().contiguous()
                adapter[f"{full}.lora_B"] = (child.scale * child.lora_B).detach().cpu().contiguous()
                setattr(module, child_name, child.base)
    return adapter


def train(
    pairs: pd.DataFrame,
    base: str,
    out: Path,
    *,
    epochs: int = 1,
    batch: int = 256,
    lr: float = 2e-5,
    scale: float = 20.0,
    seed: int = 0,
    lora: int = 0,
) -> dict:
    """Fine-tune ``base`` on ``pairs``; saves a sentence-transformers folder at ``out``.  With
    ``lora`` > 0 only a rank-``lora`` update of each linear is trained; it is folded into the saved
    weights and also written alone to ``out/adapter.safetensors`` (small enough to ship)."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = SentenceTransformer(base, device=device)
    model.max_seq_length = 128
    if lora:
        add_lora(model, lora, 2.0 * lora)
    pos_codes, _ = pd.factorize(pairs["positive"])
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    n = len(pairs)
    steps = epochs * (n // batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / max(1, steps))
    )
    rng = np.random.default_rng(seed)
    anchors, positives = pairs["anchor"].tolist(), pairs["positive"].tolist()
    log, t0, step = [], time.perf_counter(), 0
    model.train()
    for _ in range(epochs):
        order = rng.permutation(n)
        for lo in range(0, n - batch + 1, batch):
            idx = order[lo : lo + batch]
            feats = [
                {
                    k: v.to(device)
                    for k, v in model.tokenize([t[i] for i in idx]).items()
                    if isinstance(v, torch.Tensor)
                }
                for t in (anchors, positives)
            ]
            with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
                a = model(feats[0])["sentence_embedding"]
                p = model(feats[1])["sentence_embedding"]
            a = torch.nn.functional.normalize(a.float(), dim=1)
            p = torch.nn.functional.normalize(p.float(), dim=1)
            logits = scale * a @ p.T
            code = torch.as_tensor(pos_codes[idx], device=device)
            same = (code[:, None] == code[None, :]) & ~torch.eye(
                len(idx), dtype=torch.bool, device=device
            )
            logits = logits.masked_fill(same, float("-inf"))
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(idx), device=device))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            step += 1
            if step % 50 == 0 or step == steps:
                log.append({"step": step, "loss": round(float(loss.detach()), 4)})
    model.eval()
    model.max_seq_length = 256
    adapter = fold_lora(model) if lora else {}
    model.save(str(out))
    if adapter:
        from safetensors.torch import save_file

        save_file({k: v.half() for k, v in adapter.items()}, str(out / "adapter.safetensors"))
    return {
        "pairs": n,
        "steps": step,
        "seconds": round(time.perf_counter() - t0, 1),
        "device": device,
        "log": log,
    }


def write_shards(model_dir: Path, shards: Path, max_bytes: int = 15_000_000) -> list[str]:
    """The model's weights as fp16 safetensors shards of at most ``max_bytes`` (to carry back); a
    tensor larger than that is cut by rows into ``name::k`` pieces."""
    from safetensors.torch import load_file, save_file

    state = load_file(str(model_dir / "model.safetensors"))
    pieces = {}
    for key in sorted(state):
        t = state[key].half().contiguous()
        if t.numel() * 2 <= max_bytes:
            pieces[key] = t
            continue
        rows = max(1, max_bytes // (2 * max(1, t[0].numel())))
        for k, lo in enumerate(range(0, t.shape[0], rows)):
            pieces[f"{key}::{k:03d}"] = t[lo : lo + rows].contiguous()
    shards.mkdir(parents=True, exist_ok=True)
    names, part, size = [], {}, 0
    for key, t in pieces.items():
        if part and size + t.numel() * 2 > max_bytes:
            names.append(f"w{len(names):02d}.safetensors")
            save_file(part, str(shards / names[-1]))
            part, size = {}, 0
        part[key], size = t, size + t.numel() * 2
    names.append(f"w{len(names):02d}.safetensors")
    save_file(part, str(shards / names[-1]))
    return names


def merge(shards: Path, base: Path, out: Path) -> None:
    """Rebuild a sentence-transformers folder: ``base``'s files with the shards' weights (fp32)."""
    from safetensors.torch import load_file, save_file

    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(base, out)
    import torch

    parts: dict[str, dict[str, torch.Tensor]] = {}
    for f in sorted(shards.glob("w*.safetensors")):
        for k, v in load_file(str(f)).items():
            name, _, piece = k.partition("::")
            parts.setdefault(name, {})[piece] = v.float()
    state = {n: torch.cat([p[k] for k in sorted(p)]) for n, p in parts.items()}
    save_file(state, str(out / "model.safetensors"), metadata={"format": "pt"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pairs")
    p.add_argument("--out", type=Path, required=True)
    t = sub.add_parser("train")
    t.add_argument("--pairs", type=Path, required=True)
    t.add_argument("--base", required=True)
    t.add_argument("--out", type=Path, required=True)
    t.add_argument("--shards", type=Path)
    t.add_argument("--epochs", type=int, default=1)
    t.add_argument("--batch", type=int, default=256)
    t.add_argument("--lr", type=float, default=2e-5)
    t.add_argument("--lora", type=int, default=0, help="rank of a LoRA update (0 = full fine-tune)")
    m = sub.add_parser("merge")
    m.add_argument("--shards", type=Path, required=True)
    m.add_argument("--base", type=Path, required=True)
    m.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.cmd == "pairs":
        pairs = build_pairs()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        pairs.to_parquet(args.out, index=False)
        print(json.dumps(pairs["source"].value_counts().to_dict()))
    elif args.cmd == "train":
        report = train(
            pd.read_parquet(args.pairs),
            args.base,
            args.out,
            epochs=args.epochs,
            batch=args.batch,
            lr=args.lr,
            lora=args.lora,
        )
        if args.shards:
            report["shards"] = write_shards(args.out, args.shards)
            (args.shards / "train.json").write_text(json.dumps(report, indent=1))
        print(json.dumps(report))
    else:
        merge(args.shards, args.base, args.out)


if __name__ == "__main__":
    main()
