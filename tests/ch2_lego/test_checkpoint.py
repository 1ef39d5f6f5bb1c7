"""Checkpoints: the JSON-header + raw-bytes format, round trips, and bad files (section 2.16).

The format is our own extra (PyTorch pickles), so these tests skip in oracle mode. The bytes are
checked against the layout documented in checkpoint.py, decoded here with struct and json.
"""

import io
import json
import os
import struct

import numpy as np
import pytest

if os.environ.get("SINGSYS_ORACLE", "ch2_lego") != "ch2_lego":
    pytest.skip("our own extra: the ch2_lego checkpoint format", allow_module_level=True)

import ch2_lego as lego
from ch2_lego.checkpoint import CheckpointError, load, save

pytestmark = pytest.mark.sec_2_16


def test_layout_is_magic_length_json_then_little_endian_bytes(tmp_path):
    path = tmp_path / "t.ckpt"
    save({"w": lego.tensor([[1.0, 2.0], [3.0, 4.0]]), "n": lego.tensor([7], dtype=lego.int64)},
         path)
    data = path.read_bytes()
    assert data[:8] == b"LEGOCKPT"
    (length,) = struct.unpack("<Q", data[8:16])
    header = json.loads(data[16 : 16 + length])
    assert header["tensors"] == [
        {"dtype": "float32", "shape": [2, 2], "offset": 0, "nbytes": 16},
        {"dtype": "int64", "shape": [1], "offset": 16, "nbytes": 8},
    ]
    body = data[16 + length :]
    assert struct.unpack("<4f", body[:16]) == (1.0, 2.0, 3.0, 4.0)
    assert struct.unpack("<q", body[16:]) == (7,)


def test_model_and_optimizer_round_trip(tmp_path):
    model = lego.nn.Sequential(lego.nn.Linear(3, 4), lego.nn.LayerNorm(4),
                               lego.nn.BatchNorm1d(4))
    opt = lego.optim.AdamW(model.parameters(), lr=0.01)
    model(lego.randn(5, 3)).sum().backward()
    opt.step()
    path = tmp_path / "model.ckpt"
    save({"model": model.state_dict(), "optim": opt.state_dict(), "step": 1,
          "note": "hello", "betas": (0.9, 0.999), "none": None}, path)
    state = load(path)
    assert state["step"] == 1 and state["note"] == "hello" and state["none"] is None
    assert state["betas"] == (0.9, 0.999)
    assert list(state["model"].keys()) == list(model.state_dict().keys())
    for key, value in model.state_dict().items():
        assert state["model"][key].dtype == value.dtype
        np.testing.assert_array_equal(state["model"][key].numpy(), value.numpy())
    assert set(state["optim"]["state"].keys()) == {0, 1, 2, 3, 4, 5}  # int keys survive
    fresh = lego.nn.Sequential(lego.nn.Linear(3, 4), lego.nn.LayerNorm(4),
                               lego.nn.BatchNorm1d(4))
    fresh.load_state_dict(state["model"])
    fresh_opt = lego.optim.AdamW(fresh.parameters(), lr=0.5)
    fresh_opt.load_state_dict(state["optim"])
    assert fresh_opt.param_groups[0]["lr"] == 0.01


def test_file_objects_and_all_dtypes():
    buf = io.BytesIO()
    tensors = [lego.tensor([1.5], dtype=lego.float64), lego.tensor([[1, 2]], dtype=lego.int32),
               lego.tensor([True, False]), lego.tensor(3.0)]
    save(tensors, buf)
    buf.seek(0)
    back = load(buf)
    for a, b in zip(tensors, back, strict=True):
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_non_contiguous_tensor_is_saved_by_value(tmp_path):
    t = lego.arange(12, dtype=lego.float32).reshape(3, 4).T[::2]
    save({"t": t}, tmp_path / "v.ckpt")
    np.testing.assert_array_equal(load(tmp_path / "v.ckpt")["t"].numpy(), t.numpy())


def test_bad_files_and_objects(tmp_path):
    with pytest.raises(CheckpointError, match="bad magic"):
        load(io.BytesIO(b"\x80\x04 a pickle, not ours"))
    with pytest.raises(CheckpointError, match="cannot save an object of type"):
        save({"f": lambda: 0}, tmp_path / "x.ckpt")
    good = io.BytesIO()
    save({"w": lego.zeros(100)}, good)
    with pytest.raises(CheckpointError, match="truncated"):
        load(io.BytesIO(good.getvalue()[:-10]))
    header = json.dumps({"version": 1, "tensors": [], "object": {"eval": "print(1)"}}).encode()
    with pytest.raises(CheckpointError, match="unknown tag 'eval'"):
        load(io.BytesIO(b"LEGOCKPT" + struct.pack("<Q", len(header)) + header))


@pytest.mark.parametrize("tensors,tree", [
    ([{"dtype": "float32", "shape": [3], "offset": 0, "nbytes": 8}], {"tensor": 0}),
    ([{"dtype": "float32", "shape": [1], "offset": 0}], {"tensor": 0}),
    ([], {"tensor": 0}),
    ([], {"list": [1], "tuple": [2]}),
], ids=["nbytes_vs_shape", "missing_field", "no_such_tensor", "two_tags"])
def test_corrupt_headers_raise_checkpoint_error(tensors, tree):
    header = json.dumps({"version": 1, "tensors": tensors, "object": tree}).encode()
    blob = b"LEGOCKPT" + struct.pack("<Q", len(header)) + header + bytes(16)
    with pytest.raises(CheckpointError):
        load(io.BytesIO(blob))
