"""Checkpoints in the safetensors format: round trips, PyTorch reading ours and we reading
PyTorch's (both through the `safetensors` package), and malformed files (section 2.16).

save/load of nested objects is our own extra (torch.save pickles), so these tests skip in oracle
mode. Interoperability is checked against PyTorch itself: `safetensors.torch` reads and writes
the same files. Bad files are crafted by hand from the format's published layout (8-byte header
length, JSON header, bytes) and fuzzed with hypothesis: every one raises CheckpointError.
"""

import io
import json
import os
import struct

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if os.environ.get("SINGSYS_ORACLE", "ch2_lego") != "ch2_lego":
    pytest.skip("our own extra: ch2_lego's save/load of nested objects", allow_module_level=True)

import safetensors.torch  # noqa: E402

import ch2_lego as lego  # noqa: E402
from ch2_lego.checkpoint import CheckpointError, load, save  # noqa: E402

pytestmark = pytest.mark.sec_2_16


def _bytes(obj) -> bytes:
    buf = io.BytesIO()
    save(obj, buf)
    return buf.getvalue()


def _header(data: bytes) -> dict:
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8 : 8 + n])


def _craft(header: dict, body: bytes) -> io.BytesIO:
    """A file in safetensors' layout from a header we write ourselves."""
    raw = json.dumps(header).encode()
    return io.BytesIO(struct.pack("<Q", len(raw)) + raw + body)


# *** 1. round trips ***


def test_layout_is_safetensors_with_state_dict_keys_as_names():
    data = _bytes({"w": lego.tensor([[1.0, 2.0], [3.0, 4.0]]), "n": lego.tensor([7])})
    header = _header(data)
    assert header["w"] == {"dtype": "F32", "shape": [2, 2], "data_offsets": header["w"]
                           ["data_offsets"]}
    assert header["n"]["dtype"] == "I64" and header["n"]["shape"] == [1]
    start = 8 + struct.unpack("<Q", data[:8])[0]
    w0, w1 = header["w"]["data_offsets"]
    assert struct.unpack("<4f", data[start + w0 : start + w1]) == (1.0, 2.0, 3.0, 4.0)


def test_model_and_optimizer_round_trip(tmp_path):
    model = lego.nn.Sequential(lego.nn.Linear(3, 4), lego.nn.LayerNorm(4),
                               lego.nn.BatchNorm1d(4))
    opt = lego.optim.AdamW(model.parameters(), lr=0.01)
    model(lego.randn(5, 3)).sum().backward()
    opt.step()
    path = tmp_path / "model.safetensors"
    save({"model": model.state_dict(), "optim": opt.state_dict(), "step": 1,
          "note": "hello", "betas": (0.9, 0.999), "none": None, "nan": float("nan")}, path)
    state = load(path)
    assert state["step"] == 1 and state["note"] == "hello" and state["none"] is None
    assert state["betas"] == (0.9, 0.999) and np.isnan(state["nan"])
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


def test_nanogpt_checkpoint_round_trips_through_torch_save_names(tmp_path):
    """nanoGPT's train.py saves this dict with torch.save and resumes with torch.load."""
    model = lego.nn.Linear(4, 4)
    opt = lego.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.95))
    model(lego.randn(2, 4)).sum().backward()
    opt.step()
    checkpoint = {"model": model.state_dict(), "optimizer": opt.state_dict(),
                  "model_args": {"n_layer": 2, "bias": False, "dropout": 0.0},
                  "iter_num": 250, "best_val_loss": lego.tensor(1.4821),
                  "config": {"dataset": "shakespeare_char", "lr": 1e-3, "device": "cpu"}}
    lego.save(checkpoint, tmp_path / "ckpt.pt")
    back = lego.load(tmp_path / "ckpt.pt", map_location="cpu")
    assert back["model_args"] == checkpoint["model_args"] and back["config"] == checkpoint["config"]
    assert back["iter_num"] == 250 and back["best_val_loss"].shape == ()
    assert back["best_val_loss"].item() == np.float32(1.4821)
    resumed = lego.optim.AdamW(model.parameters(), lr=1e-3)
    resumed.load_state_dict(back["optimizer"])
    assert resumed.param_groups[0]["betas"] == (0.9, 0.95)


def test_tied_weights_are_stored_once():
    w = lego.randn(3, 3)
    header = _header(_bytes({"wte": w, "lm_head": w}))
    assert [k for k in header if k != "__metadata__"] == ["wte"]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool"])
def test_dtypes_and_file_objects(dtype):
    t = lego.tensor([[1, 0, 3]]).to(getattr(lego, dtype))
    back = load(io.BytesIO(_bytes([t, lego.tensor(3.0)])))
    assert back[0].dtype == t.dtype and tuple(back[0].shape) == (1, 3)
    np.testing.assert_array_equal(back[0].numpy(), t.numpy())
    assert back[1].shape == ()


def test_non_contiguous_tensor_is_saved_by_value(tmp_path):
    t = lego.arange(12, dtype=lego.float32).reshape(3, 4).T[::2]
    save({"t": t}, tmp_path / "v.safetensors")
    np.testing.assert_array_equal(load(tmp_path / "v.safetensors")["t"].numpy(), t.numpy())


# *** 2. PyTorch reads ours, we read PyTorch's ***


def test_pytorch_loads_a_state_dict_saved_by_us(tmp_path):
    model = lego.nn.Sequential(lego.nn.Linear(3, 4), lego.nn.LayerNorm(4))
    save(model.state_dict(), tmp_path / "sd.safetensors")
    theirs = safetensors.torch.load_file(tmp_path / "sd.safetensors")
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LayerNorm(4))
    ref.load_state_dict(theirs)  # strict: every key present, every shape right
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(theirs[key].numpy(), value.numpy())


def test_we_load_a_state_dict_saved_by_pytorch(tmp_path):
    ref = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
    safetensors.torch.save_file(ref.state_dict(), tmp_path / "sd.safetensors")
    ours = load(tmp_path / "sd.safetensors")
    model = lego.nn.Sequential(lego.nn.Linear(3, 4), lego.nn.BatchNorm1d(4))
    model.load_state_dict(ours)
    for key, value in ref.state_dict().items():
        assert str(ours[key].dtype).split(".")[-1] == str(value.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours[key].numpy(), value.numpy())


# *** 3. bad objects and bad files ***


def test_unsavable_objects():
    with pytest.raises(CheckpointError, match="cannot save an object of type function at f"):
        save({"f": lambda: 0}, io.BytesIO())
    deep = []
    for _ in range(200):
        deep = [deep]
    with pytest.raises(CheckpointError, match="nested more than"):
        save(deep, io.BytesIO())


GOOD = {"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}
META = {"__metadata__": {"ch2_lego": json.dumps({"tensor": "w"})}}

BAD_FILES = {
    "pickle_magic": io.BytesIO(b"\x80\x04\x95 a pickle, not a safetensors file"),
    "empty": io.BytesIO(b""),
    "short_length": io.BytesIO(b"\x05\x00"),
    "length_past_end": io.BytesIO(struct.pack("<Q", 1 << 40) + b"{}"),
    "header_not_json": io.BytesIO(struct.pack("<Q", 5) + b"{{{{{"),
    "negative_size": _craft({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}},
                            bytes(8)),
    "size_vs_offsets": _craft({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}},
                              bytes(8)),
    "overlapping": _craft({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                           "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}},
                          bytes(12)),
    "offsets_reversed": _craft({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}},
                               bytes(8)),
    "past_the_data": _craft(GOOD, bytes(4)),
    "unknown_dtype": _craft({"w": {"dtype": "Q99", "shape": [2], "data_offsets": [0, 8]}},
                            bytes(8)),
    "metadata_not_strings": _craft({**GOOD, "__metadata__": {"ch2_lego": 5}}, bytes(8)),
    "ref_not_a_string": _craft({**GOOD, "__metadata__": {"ch2_lego": '{"tensor": 0}'}},
                               bytes(8)),
    "ref_to_nothing": _craft({**GOOD, "__metadata__": {"ch2_lego": '{"tensor": "v"}'}},
                             bytes(8)),
    "deeply_nested": _craft({**GOOD, "__metadata__": {"ch2_lego": "[" * 100000}}, bytes(8)),
    "nested_tags": _craft({**GOOD, "__metadata__": {"ch2_lego": '{"list": ' * 500 + "[]"
                                                    + "}" * 500}}, bytes(8)),
    "unknown_tag": _craft({**GOOD, "__metadata__": {"ch2_lego": '{"eval": "print(1)"}'}},
                          bytes(8)),
    "two_tags": _craft({**GOOD, "__metadata__": {"ch2_lego": '{"list": [], "tuple": []}'}},
                       bytes(8)),
    "dict_item_not_pair": _craft({**GOOD, "__metadata__": {"ch2_lego": '{"dict": [[1]]}'}},
                                 bytes(8)),
    "list_as_dict_key": _craft({**GOOD, "__metadata__": {
        "ch2_lego": '{"dict": [[{"list": []}, 1]]}'}}, bytes(8)),
    "metadata_not_json": _craft({**GOOD, "__metadata__": {"ch2_lego": "{nope"}}, bytes(8)),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_files_raise_checkpoint_error(name):
    BAD_FILES[name].seek(0)
    with pytest.raises(CheckpointError):
        load(BAD_FILES[name])


def test_a_crafted_good_file_loads():
    """The crafting helper itself makes valid files: the bad ones fail for their defect."""
    body = struct.pack("<2f", 1.5, -2.0)
    assert load(_craft({**GOOD, **META}, body)).tolist() == [1.5, -2.0]


VALID = _bytes({"model": {"w": lego.tensor([1.0, 2.0, 3.0]), "b": lego.tensor([1, 2])},
                "opt": {"state": {0: {"step": 3}}, "betas": (0.9, 0.95)}, "n": None})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=6),
       st.integers(0, len(VALID)))
def test_fuzzed_files_load_or_raise_checkpoint_error(edits, cut):
    """Byte flips anywhere (header length, JSON, metadata, data) and truncation: the file
    either still loads or raises CheckpointError, never anything else."""
    data = bytearray(VALID)
    for pos, value in edits:
        data[pos] = value
    try:
        load(io.BytesIO(bytes(data[:cut] if cut < len(VALID) // 2 else data)))
    except CheckpointError:
        pass


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["tensor", "dict", "list", "tuple", "x"]), inner, max_size=2),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_fuzzed_metadata_trees_load_or_raise_checkpoint_error(tree):
    header = {**GOOD, "__metadata__": {"ch2_lego": json.dumps(tree)}}
    try:
        load(_craft(header, bytes(8)))
    except CheckpointError:
        pass


@pytest.mark.parametrize("name,message", [
    ("ref_not_a_string", "refers to no stored tensor: 0"),
    ("ref_to_nothing", "refers to no stored tensor: 'v'"),
    ("list_as_dict_key", "a dict key"),
    ("unknown_tag", "unknown tag 'eval'"),
    ("negative_size", "not a valid safetensors checkpoint"),
    ("pickle_magic", "a pickle from torch.save; save with safetensors.torch.save_file"),
])
def test_errors_say_what_is_wrong(name, message):
    BAD_FILES[name].seek(0)
    with pytest.raises(CheckpointError, match=message):
        load(BAD_FILES[name])


def test_a_torch_save_file_is_refused_with_the_way_out():
    buf = io.BytesIO()
    torch.save({"w": torch.ones(2)}, buf)  # a zip of pickles: loading it could run code
    buf.seek(0)
    with pytest.raises(CheckpointError, match="pickle from torch.save; save with safetensors"):
        load(buf)


@pytest.mark.parametrize("where", [None, "cpu", lego.device("cpu"), {"cpu": "cpu"}, {}])
def test_map_location_forms_that_nanogpt_and_makemore_pass(tmp_path, where):
    save({"w": lego.ones(2)}, str(tmp_path / "ckpt.pt"))  # a str path ending in .pt
    back = load(str(tmp_path / "ckpt.pt"), map_location=where, weights_only=False, mmap=None)
    assert back["w"].device.type == "cpu" and back["w"].tolist() == [1.0, 1.0]


def test_map_location_function_is_a_clear_error(tmp_path):
    save({"w": lego.ones(2)}, tmp_path / "ckpt.pt")
    with pytest.raises(TypeError, match="map_location must be"):
        load(tmp_path / "ckpt.pt", map_location=lambda storage, loc: storage)


def test_bfloat16_round_trips_and_crosses_to_pytorch(tmp_path):
    """numpy has no bfloat16: its bits travel as uint16 and the header says BF16, as PyTorch's."""
    values = [1.5, -2.25, 3.1, 1e-40, float("inf")]
    ours = lego.tensor(values, dtype=lego.bfloat16)
    save({"w": ours, "b": lego.ones(2)}, tmp_path / "bf16.safetensors")
    theirs = safetensors.torch.load_file(tmp_path / "bf16.safetensors")
    ref = torch.tensor(values, dtype=torch.bfloat16)
    assert theirs["w"].dtype == torch.bfloat16
    assert torch.equal(theirs["w"], ref)  # the same rounding, bit for bit
    back = load(tmp_path / "bf16.safetensors")
    assert back["w"].dtype == lego.bfloat16 and back["w"].float().tolist() == ref.float().tolist()
    safetensors.torch.save_file({"w": ref}, tmp_path / "torch.safetensors")
    assert load(tmp_path / "torch.safetensors")["w"].float().tolist() == ref.float().tolist()
