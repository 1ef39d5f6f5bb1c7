"""Checkpoints: save and load nested state (state_dicts, optimizer state) in the safetensors format.

A safetensors file is 8 bytes of little-endian header length H, H bytes of UTF-8 JSON naming
every tensor with its dtype, shape and byte range, then the raw little-endian bytes; the
`safetensors` package writes and validates it (sizes, overlapping or missing byte ranges,
truncation), and nothing in it is ever executed (unlike pickle, which torch.save uses).

Tensors are stored under their own names, so a state_dict saved here is a plain safetensors file
that `safetensors.torch.load_file` reads, and one saved from PyTorch loads here as a dict. The
rest of a nested object (an optimizer state with int keys, tuples, numbers, strings, None) goes
into the header's string metadata as JSON, under the key "ch2_lego", with each tensor replaced
by {"tensor": name}. bfloat16, which numpy lacks, is written as its bits (uint16) and its header
entry renamed to BF16, PyTorch's name; loading does the reverse.
"""

import os

import numpy as np

from ch2_lego.creation import tensor
from ch2_lego.tensor import Tensor

MAGIC_KEY = "ch2_lego"  # the metadata entry holding the object tree
MAX_DEPTH = 100  # deeper trees are refused, before Python's recursion limit is near
_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool",
           "bfloat16")


class CheckpointError(ValueError):
    """A file that is not a valid checkpoint, or an object that cannot be saved."""


def _safetensors():
    import safetensors.numpy  # a dependency of the project; imported when first needed

    return safetensors.numpy


# *** 1. the object tree as JSON ***


# --8<-- [start:encode]
def _encode(obj, arrays: dict, names: dict, path: str, depth: int = 0):
    """The JSON form of obj; each tensor goes into `arrays` under a name made from its path
    (a state_dict's own keys at the top), and the tree holds {"tensor": name} in its place."""
    if depth > MAX_DEPTH:
        raise CheckpointError(f"cannot save an object nested more than {MAX_DEPTH} deep")
    if isinstance(obj, Tensor):
        if obj.dtype.name not in _DTYPES:
            raise CheckpointError(f"cannot save a tensor of dtype {obj.dtype.name} at {path}")
        if id(obj) not in names:  # the same tensor twice (tied weights) is stored once
            name = path or "tensor"
            while name in arrays:
                name += "'"
            names[id(obj)] = name
            arrays[name] = _host_array(obj.detach())
        return {"tensor": names[id(obj)]}
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, dict):  # [key, value] pairs keep int keys ints (optimizer state)
        return {"dict": [[_encode(k, arrays, names, "", depth + 1),
                          _encode(v, arrays, names, _join(path, k), depth + 1)]
                         for k, v in obj.items()]}
    if isinstance(obj, tuple | list):
        items = [_encode(v, arrays, names, _join(path, i), depth + 1) for i, v in enumerate(obj)]
        return {type(obj).__name__: items}
    raise CheckpointError(f"cannot save an object of type {type(obj).__name__} at "
                          f"{path or 'the top level'}")


def _host_array(t: Tensor) -> np.ndarray:
    """A dense host copy; bfloat16 (which numpy lacks) as its 16 bits, the top half of the
    float32 it widens to exactly."""
    if t.dtype.name == "bfloat16":
        wide = np.array(t.float().numpy(), dtype=np.float32, order="C")
        return (wide.view(np.uint32) >> 16).astype(np.uint16)
    return np.array(t.numpy(), order="C")  # 0-d kept


def _join(path: str, key) -> str:
    return f"{path}.{key}" if path else str(key)


def _decode(node, tensors: dict, depth: int = 0):
    """The object that _encode's JSON describes; every malformed node raises CheckpointError."""
    if depth > MAX_DEPTH:
        raise CheckpointError(f"checkpoint object nested more than {MAX_DEPTH} deep")
    if not isinstance(node, dict):
        if isinstance(node, list):
            raise CheckpointError("corrupt checkpoint metadata: an untagged list")
        return node
    if len(node) != 1:
        raise CheckpointError(f"corrupt checkpoint metadata: a node with keys {list(node)}")
    ((tag, value),) = node.items()
    if tag == "tensor":
        if not isinstance(value, str) or value not in tensors:
            raise CheckpointError(f"checkpoint metadata refers to no stored tensor: {value!r}")
        return tensors[value]
    if tag not in ("dict", "tuple", "list"):
        raise CheckpointError(f"unknown tag {tag!r} in checkpoint metadata")
    if not isinstance(value, list):
        raise CheckpointError(f"corrupt checkpoint metadata: {tag!r} of a {type(value).__name__}")
    if tag == "dict":
        if not all(isinstance(kv, list) and len(kv) == 2 for kv in value):
            raise CheckpointError("corrupt checkpoint metadata: a dict item is not a pair")
        out = {}
        for k, v in value:
            key = _decode(k, tensors, depth + 1)
            try:
                hash(key)
            except TypeError:
                raise CheckpointError(f"corrupt checkpoint metadata: a dict key {key!r}") from None
            out[key] = _decode(v, tensors, depth + 1)
        return out
    items = [_decode(v, tensors, depth + 1) for v in value]
    return tuple(items) if tag == "tuple" else items
# --8<-- [end:encode]


# *** 2. the file ***


# --8<-- [start:save]
def save(obj, f) -> None:
    """Write obj (tensors, numbers, strings, None, and dicts/lists/tuples of them) to f, a path
    or a binary file object, as torch.save does; the file is in the safetensors format."""
    import json

    arrays: dict[str, np.ndarray] = {}
    tree = _encode(obj, arrays, {}, "")
    for name, a in arrays.items():
        if a.dtype.name not in _DTYPES and a.dtype != np.uint16:
            raise CheckpointError(f"cannot save tensor {name!r} of dtype {a.dtype.name}")
    try:
        metadata = {MAGIC_KEY: json.dumps(tree, allow_nan=True)}
    except ValueError as e:  # a float key json cannot hold
        raise CheckpointError(f"cannot save: {e}") from None
    data = _safetensors().save(arrays, metadata=metadata)
    bf16 = [name for name, a in arrays.items() if a.dtype == np.uint16]  # ch2 has no uint16
    if bf16:  # numpy wrote their bits as U16: name them BF16, as PyTorch reads them
        data = _retyped(data, bf16, "U16", "BF16")
    if isinstance(f, str | os.PathLike):
        with open(f, "wb") as out:
            out.write(data)
    else:
        f.write(data)
# --8<-- [end:save]


# --8<-- [start:load]
def load(f, map_location=None, weights_only=None, mmap=None, **pickle_load_args):
    """Read a checkpoint that save() (or safetensors from PyTorch) wrote; tensors come back as
    new ch2_lego tensors, on map_location if given. Loading never runs code, so it is always
    "weights only" (weights_only, mmap and pickle arguments are accepted for torch.load's
    sake)."""
    import json

    if isinstance(f, str | os.PathLike):
        with open(f, "rb") as src:
            data = src.read()
    else:
        data = f.read()
    data, bf16 = _bf16_as_bits(bytes(data))
    try:
        arrays = _safetensors().load(data)
        metadata = _metadata(data)
    except CheckpointError:
        raise
    except Exception as e:  # SafetensorError, or numpy refusing a dtype/shape pair
        why = str(e)
        if data[:4] == b"PK\x03\x04" or data[:1] == b"\x80":  # torch.save's zip, or a pickle
            why = "this is a pickle from torch.save; save with safetensors.torch.save_file"
        raise CheckpointError(f"not a valid safetensors checkpoint: {why}") from None
    tensors = {name: _to_tensor(name, _widened(a) if name in bf16 else a, map_location)
               for name, a in arrays.items()}
    for name in bf16:
        tensors[name] = tensors[name].to(_bfloat16())
    if MAGIC_KEY not in metadata:  # a plain safetensors file: a flat state_dict
        return tensors
    try:
        tree = json.loads(metadata[MAGIC_KEY])
    except (ValueError, RecursionError) as e:  # RecursionError: deeply nested JSON
        raise CheckpointError(f"corrupt checkpoint metadata: {type(e).__name__}") from None
    return _decode(tree, tensors)
# --8<-- [end:load]


# *** 3. bfloat16: numpy has no such dtype, so its bits travel as uint16 ***


def _bfloat16():
    from ch2_lego.dtype import bfloat16

    return bfloat16


def _retyped(data: bytes, names: list, old: str, new: str) -> bytes:
    """The same file with the dtype of `names` renamed in its header (same element size), the
    header padded with spaces to a multiple of 8 bytes as safetensors writes it."""
    import json

    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    for name in names:
        if header[name]["dtype"] == old:
            header[name]["dtype"] = new
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    return len(raw).to_bytes(8, "little") + raw + data[8 + n :]


def _bf16_as_bits(data: bytes) -> tuple[bytes, list]:
    """A file whose BF16 tensors read as U16 (numpy can), and their names; any file that does
    not parse is passed on unchanged for safetensors to refuse."""
    import json

    try:
        n = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + n])
        names = [k for k, v in header.items() if k != "__metadata__" and v["dtype"] == "BF16"]
    except Exception:  # noqa: BLE001 (validation is safetensors' job, next)
        return data, []
    return (_retyped(data, names, "BF16", "U16"), names) if names else (data, [])


def _widened(bits: np.ndarray) -> np.ndarray:
    """bfloat16 bits as the float32 values they are (exactly)."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def _metadata(data: bytes) -> dict:
    """The header's __metadata__ (string to string), read after safetensors validated the file."""
    import json

    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise CheckpointError("corrupt checkpoint: __metadata__ must map strings to strings")
    return meta


def _to_tensor(name: str, a: np.ndarray, map_location) -> Tensor:
    if a.dtype.name not in _DTYPES:
        raise CheckpointError(f"tensor {name!r} has dtype {a.dtype.name}, which ch2_lego does "
                              "not load")
    t = tensor(a)  # a copy, in native byte order, on the cpu (where save() read it from)
    device = _target_device(map_location)
    return t if device is None else t.to(device)


def _target_device(map_location):
    """Where map_location puts a tensor stored from the cpu: None (stay), a device or its name,
    or a dict {saved device: device} as torch.load takes; a function is torch-specific."""
    if isinstance(map_location, dict):
        map_location = map_location.get("cpu")
    if map_location is None or isinstance(map_location, str) or hasattr(map_location, "type"):
        return map_location
    raise TypeError(f"load(): map_location must be None, a device, a device name or a dict of "
                    f"them, not {type(map_location).__name__} (functions of PyTorch storages "
                    "are not supported)")
