"""Checkpoints: save and load nested state (state_dicts, optimizer state) without pickle.

A file is: 8 bytes of magic b"LEGOCKPT", 8 bytes little-endian header length H, H bytes of UTF-8
JSON, then the raw little-endian bytes of every tensor, back to back. The JSON holds the object
tree with tensors replaced by {"tensor": i} and a table of (dtype, shape, offset, nbytes) per
tensor; dicts, lists and tuples are tagged so that int keys and tuples survive. Loading parses
JSON and copies bytes into numpy arrays: nothing in the file is ever executed (unlike pickle,
which torch.save uses), in the spirit of the safetensors format.
"""

import io
import json
import os
import struct

import numpy as np

from ch2_lego.creation import tensor
from ch2_lego.tensor import Tensor

MAGIC = b"LEGOCKPT"
VERSION = 1
_DTYPES = ("float32", "float64", "int32", "int64", "bool")


class CheckpointError(ValueError):
    """A file that is not a ch2_lego checkpoint, or an object that cannot be saved."""


# *** 1. the object tree as JSON ***


# --8<-- [start:encode]
def _encode(obj, arrays: list):
    """The JSON form of obj; tensors are appended to `arrays` and referenced by position."""
    if isinstance(obj, Tensor):
        arrays.append(np.array(obj.detach().numpy(), order="C"))  # a dense copy, 0-d kept
        return {"tensor": len(arrays) - 1}
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, dict):  # [key, value] pairs keep int keys ints (optimizer state)
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"tuple": [_encode(v, arrays) for v in obj]}
    if isinstance(obj, list):
        return {"list": [_encode(v, arrays) for v in obj]}
    raise CheckpointError(f"cannot save an object of type {type(obj).__name__}")


def _decode(node, tensors: list):
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        raise CheckpointError(f"corrupt checkpoint header: a node with keys {list(node)}")
    ((tag, value),) = node.items()
    if tag == "tensor":
        return tensors[value]
    if tag == "dict":
        return {_decode(k, tensors): _decode(v, tensors) for k, v in value}
    if tag == "tuple":
        return tuple(_decode(v, tensors) for v in value)
    if tag == "list":
        return [_decode(v, tensors) for v in value]
    raise CheckpointError(f"unknown tag {tag!r} in checkpoint header")
# --8<-- [end:encode]


# *** 2. the file ***


# --8<-- [start:save]
def save(obj, f) -> None:
    """Write obj (tensors, numbers, strings, None, and dicts/lists/tuples of them) to f.

    f is a path or a binary file object, as for torch.save.
    """
    arrays: list[np.ndarray] = []
    tree = _encode(obj, arrays)
    table, offset = [], 0
    for a in arrays:
        if a.dtype.name not in _DTYPES:
            raise CheckpointError(f"cannot save a tensor of dtype {a.dtype.name}")
        table.append({"dtype": a.dtype.name, "shape": list(a.shape), "offset": offset,
                      "nbytes": a.nbytes})
        offset += a.nbytes
    header = json.dumps({"version": VERSION, "tensors": table, "object": tree}).encode()
    with _open(f, "wb") as out:
        out.write(MAGIC + struct.pack("<Q", len(header)) + header)
        for a in arrays:
            out.write(a.astype(a.dtype.newbyteorder("<")).tobytes())
# --8<-- [end:save]


def load(f, map_location=None, weights_only: bool = True):
    """Read what save() wrote. Tensors come back as new ch2_lego tensors on the CPU.

    map_location and weights_only are accepted for torch.load compatibility; loading never
    runs code, so it is always "weights only".
    """
    with _open(f, "rb") as src:
        data = src.read()
    if data[:8] != MAGIC or len(data) < 16:
        raise CheckpointError("not a ch2_lego checkpoint (bad magic bytes)")
    (length,) = struct.unpack("<Q", data[8:16])
    try:
        header = json.loads(data[16 : 16 + length].decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"corrupt checkpoint header: {e}") from None
    if not isinstance(header, dict) or header.get("version") != VERSION:
        version = header.get("version") if isinstance(header, dict) else None
        raise CheckpointError(f"unsupported checkpoint version {version}")
    try:
        tensors = [_read_tensor(data, 16 + length, entry) for entry in header["tensors"]]
        return _decode(header["object"], tensors)
    except CheckpointError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as e:  # a header of the wrong shape
        raise CheckpointError(f"corrupt checkpoint header: {type(e).__name__}: {e}") from None


def _read_tensor(data: bytes, base: int, entry: dict) -> Tensor:
    """The tensor that one header entry describes; its bytes start at base + offset."""
    if entry["dtype"] not in _DTYPES:
        raise CheckpointError(f"unsupported dtype {entry['dtype']!r} in checkpoint")
    dtype = np.dtype(entry["dtype"]).newbyteorder("<")
    start, nbytes, shape = base + entry["offset"], entry["nbytes"], entry["shape"]
    if nbytes != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
        raise CheckpointError(f"tensor of shape {shape} and dtype {entry['dtype']} cannot "
                              f"hold {nbytes} bytes")
    if start < base or start + nbytes > len(data):
        raise CheckpointError("checkpoint is truncated")
    array = np.frombuffer(data, dtype=dtype, count=nbytes // dtype.itemsize, offset=start)
    return tensor(array.astype(dtype.newbyteorder("=")).reshape(shape))


class _open:
    """Open a path, or pass an already open binary file object through (not closing it)."""

    def __init__(self, f, mode: str):
        self.f, self.mode, self.owned = f, mode, isinstance(f, str | os.PathLike)

    def __enter__(self) -> io.BufferedIOBase:
        if self.owned:
            self.file = open(self.f, self.mode)  # noqa: SIM115
            return self.file
        return self.f

    def __exit__(self, *exc) -> None:
        if self.owned:
            self.file.close()
