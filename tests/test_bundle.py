"""Closed bundle manifests: every file listed, every listed file present and intact, nothing
outside the folder — one clear error naming the file, before any native parser reads it."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from serving_world import tiny_bundle

from recsys.bundle import MANIFEST, BundleError, local_bundle, verify_bundle
from recsys.recommender import Recommender


@pytest.fixture
def bundle(tmp_path):
    copy = tmp_path / "bundle"
    shutil.copytree(tiny_bundle(), copy)
    return copy


def _manifest(bundle):
    return json.loads((bundle / MANIFEST).read_text("utf-8"))


def _write_manifest(bundle, manifest):
    (bundle / MANIFEST).write_text(json.dumps(manifest), "utf-8")


def _refused(bundle, match):
    with pytest.raises(BundleError, match=match):
        verify_bundle(bundle)
    with pytest.raises(BundleError, match=match):  # and the loader never gets past it
        Recommender.load(bundle)


def test_an_intact_bundle_verifies(bundle):
    assert "models/fit.txt" in verify_bundle(bundle)["files"]


def test_an_unlisted_modified_file_is_refused(bundle):
    """The case that took a server down: fit.txt modified and dropped from the manifest."""
    manifest = _manifest(bundle)
    del manifest["files"]["models/fit.txt"]
    _write_manifest(bundle, manifest)
    (bundle / "models" / "fit.txt").write_text("tree\nversion=v4\nnum_class=1\n", "utf-8")
    _refused(bundle, r"models/fit.txt: present but not listed")


def test_extra_unlisted_index_files_are_refused(bundle):
    (bundle / "indexes" / "extra.faiss").write_bytes(b"\0" * 64)
    (bundle / "indexes" / "extra.json").write_text("{}", "utf-8")
    with pytest.raises(BundleError) as err:
        verify_bundle(bundle)
    assert "indexes/extra.faiss: present but not listed" in str(err.value)
    assert "indexes/extra.json: present but not listed" in str(err.value)


@pytest.mark.parametrize("files", [{}, None, [], "all"])
def test_a_manifest_that_lists_nothing_is_refused(bundle, files):
    manifest = _manifest(bundle)
    manifest["files"] = files
    _write_manifest(bundle, manifest)
    _refused(bundle, r"manifest.json: expected 'files'")


@pytest.mark.parametrize("text", ["{not json", "\udcff", "[1, 2]", '"x"'])
def test_a_manifest_that_is_not_a_json_object_is_refused(bundle, text):
    (bundle / MANIFEST).write_bytes(text.encode("utf-8", "surrogateescape"))
    _refused(bundle, r"manifest.json: expected a JSON")


def test_index_metadata_edits_are_refused_naming_the_file(bundle):
    meta = next((bundle / "indexes").glob("*.json"))
    data = json.loads(meta.read_text("utf-8"))
    data["count"] = data.get("count", 0) + 1  # same shape, different content
    meta.write_text(json.dumps(data), "utf-8")
    _refused(bundle, rf"indexes/{meta.name}: ")


def test_a_flipped_byte_of_the_same_size_is_refused(bundle):
    path = bundle / "models" / "retention.json"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))
    _refused(bundle, r"models/retention.json: sha256")


@pytest.mark.parametrize("rel", ["../outside.txt", "/etc/hostname", "models/../../x"])
def test_paths_outside_the_folder_are_refused(bundle, rel):
    manifest = _manifest(bundle)
    manifest["files"][rel] = {"sha256": "0" * 64, "bytes": 1}
    _write_manifest(bundle, manifest)
    _refused(bundle, "expected a path relative to the bundle, inside it")


def test_a_listed_link_out_of_the_folder_is_refused(bundle, tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("secret", "utf-8")
    target = bundle / "config.yaml"
    manifest = _manifest(bundle)
    manifest["files"]["config.yaml"] = {"sha256": "0" * 64, "bytes": 6}
    _write_manifest(bundle, manifest)
    target.unlink()
    os.symlink(outside, target)
    _refused(bundle, r"config.yaml: a link")


def test_a_listed_file_missing_is_refused(bundle):
    (bundle / "encoder.json").unlink()
    _refused(bundle, r"encoder.json: listed in the manifest but missing")


def test_a_download_is_removed_after_the_with_block(tmp_path, monkeypatch):
    """A registry model's temporary copy is deleted once read (reloads once left one each)."""
    from recsys import bundle as module

    copy = tmp_path / "download"

    def fake_download(uri, dst):
        copy.mkdir()
        shutil.copytree(tiny_bundle(), copy / "bundle")
        return copy, {"uri": uri, "source": "mlflow", "download": str(copy)}

    monkeypatch.setattr(module, "_download", fake_download)
    with local_bundle("models:/recsys@champion") as (folder, info):
        assert folder == copy / "bundle" and folder.is_dir()
    assert not copy.exists() and "download" not in info
    rec = Recommender.from_uri("models:/recsys@champion")  # shutil.rmtree of a fresh copy again
    assert rec.info["source"] == "mlflow" and "bundle" not in rec.info
