"""scripts/finetune_encoder.py: taxonomy pairs (no held-out titles), weight shards, LoRA folding."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

_PATH = Path(__file__).resolve().parents[2] / "scripts" / "finetune_encoder.py"
_spec = importlib.util.spec_from_file_location("finetune_encoder", _PATH)
fe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fe)


def test_pairs_come_from_the_taxonomy_and_leave_held_out_titles_out():
    from recsys.data import taxonomy

    pairs = fe.build_pairs(max_titles=2_000)
    assert set(pairs["source"]) == {
        "esco_alt",
        "esco_description",
        "tech_alias",
        "tech_esco",
        "onet_task",
        "onet_alt_title",
    }
    assert (pairs["source"] == "onet_alt_title").sum() == 2_000
    assert not (pairs["anchor"] == pairs["positive"]).any()
    alt = taxonomy.onet_alt_titles()
    held = set(alt.loc[alt["holdout"].astype(bool), "title"]) - set(
        alt.loc[~alt["holdout"].astype(bool), "title"]
    )
    titles = set(pairs.loc[pairs["source"] == "onet_alt_title", "anchor"])
    assert held and not titles & held


def test_shards_cut_large_tensors_and_merge_restores_them(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    state = {"big": torch.randn(300, 40), "small": torch.randn(7)}
    save_file(state, str(model / "model.safetensors"))
    names = fe.write_shards(model, tmp_path / "shards", max_bytes=4_000)
    assert len(names) > 3
    assert all((tmp_path / "shards" / n).stat().st_size < 6_000 for n in names)
    fe.merge(tmp_path / "shards", model, tmp_path / "merged")
    back = load_file(str(tmp_path / "merged" / "model.safetensors"))
    assert (tmp_path / "merged" / "config.json").exists()
    for k, v in state.items():
        assert back[k].shape == v.shape
        assert torch.allclose(back[k], v, atol=2e-3)


def test_lora_starts_at_the_base_model_and_folds_into_its_weights():
    torch.manual_seed(0)

    class Block(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query = torch.nn.Linear(8, 8)
            self.other = torch.nn.Linear(8, 8)

        def forward(self, x):  # noqa: ANN001
            return self.other(self.query(x))

    block, x = Block(), torch.randn(5, 8)
    before = block(x).detach()
    wrapped = fe.add_lora(block, rank=2, alpha=4.0)
    assert wrapped == ["query"]
    assert torch.allclose(block(x), before)  # B = 0 at the start
    assert [n for n, p in block.named_parameters() if p.requires_grad] == [
        "query.lora_A",
        "query.lora_B",
    ]
    with torch.no_grad():
        block.query.lora_B.normal_()
    adapted = block(x).detach()
    assert not torch.allclose(adapted, before)
    adapter = fe.fold_lora(block)
    assert isinstance(block.query, torch.nn.Linear)
    assert set(adapter) == {"query.lora_A", "query.lora_B"}
    assert torch.allclose(block(x), adapted, atol=1e-5)


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__])
