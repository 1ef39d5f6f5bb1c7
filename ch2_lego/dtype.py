"""Data types and PyTorch's type promotion: which dtype `a + b` has.

Five dtypes: bool, int32, int64, float32, float64, each a `DType` naming its numpy twin. The rule
is `torch.result_type`'s: operands fall into three priority classes (tensors with dims, 0-dim
tensors, python scalars); a lower class changes the result only when it is of a higher category
(bool < integer < floating). Python floats count as the default dtype, float32.
"""

from dataclasses import dataclass

import numpy as np

from ch2_lego.errors import DTypeError, UnknownDTypeError

# *** 1. the dtypes ***


@dataclass(frozen=True, eq=False)
class DType:
    """One element type. `category` orders kinds: 0 bool, 1 integer, 2 floating."""

    name: str  # PyTorch's name: float32, int64, ...
    itemsize: int  # bytes per element
    np: np.dtype  # the numpy dtype the cpu kernels compute in
    category: int
    rank: int  # position in the promotion lattice bool < int32 < int64 < float32 < float64

    @property
    def is_floating_point(self) -> bool:
        return self.category == 2

    @property
    def is_signed(self) -> bool:
        return self.category > 0

    def __repr__(self) -> str:
        return f"ch2_lego.{self.name}"

    def __reduce__(self):  # pickle by name, so torch.save-style state dicts round-trip
        return (dtype_of_name, (self.name,))


bool_ = DType("bool", 1, np.dtype(np.bool_), 0, 0)
int32 = DType("int32", 4, np.dtype(np.int32), 1, 1)
int64 = DType("int64", 8, np.dtype(np.int64), 1, 2)
float32 = DType("float32", 4, np.dtype(np.float32), 2, 3)
float64 = DType("float64", 8, np.dtype(np.float64), 2, 4)

DTYPES = (bool_, int32, int64, float32, float64)
_BY_NAME = {d.name: d for d in DTYPES} | {"float": float32, "double": float64, "long": int64,
                                          "int": int32}
_BY_NP = {d.np: d for d in DTYPES}

# PyTorch's short names for error messages: "Float", "Long", ...
PT_NAMES = {"bool": "Bool", "int32": "Int", "int64": "Long", "float32": "Float",
            "float64": "Double"}

_default_dtype = [float32]


def get_default_dtype() -> DType:
    return _default_dtype[0]


def set_default_dtype(d: DType) -> None:
    if not d.is_floating_point:
        raise DTypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_dtype[0] = d


def dtype_of_name(name: str) -> DType:
    return _BY_NAME[name]


def from_numpy_dtype(npd) -> DType:
    """The DType of a numpy dtype; other widths map to the nearest of our five."""
    npd = np.dtype(npd)
    if npd in _BY_NP:
        return _BY_NP[npd]
    if npd.kind == "f":
        return float32 if npd.itemsize <= 4 else float64
    if npd.kind in "iu":
        return int32 if npd.itemsize < 4 else int64
    raise UnknownDTypeError(f"can't convert np.ndarray of type {npd}. The only supported types "
                            "are: float64, float32, int64, int32, and bool.")


def to_dtype(d) -> DType:
    """Accept a DType, a numpy dtype, a python type or a name."""
    if isinstance(d, DType):
        return d
    if d is float:
        return get_default_dtype()
    if d is int:
        return int64
    if d is bool:
        return bool_
    name = str(d).removeprefix("torch.")  # also takes torch.float32 and np.dtype("int64")
    if name in _BY_NAME and not isinstance(d, str):
        return _BY_NAME[name]
    if isinstance(d, str):
        raise UnknownDTypeError("tensor(): argument 'dtype' must be ch2_lego.dtype, not str")
    return from_numpy_dtype(d)


# *** 2. promotion ***


def promote_types(a: DType, b: DType) -> DType:
    """The smallest dtype both convert to; for our five dtypes the lattice is a chain."""
    return a if a.rank >= b.rank else b


def _combine(higher: DType | None, lower: DType | None) -> DType | None:
    # A lower priority class wins only when it brings a higher category (int -> float).
    if higher is None:
        return lower
    if lower is None or higher.is_floating_point:
        return higher
    if higher is bool_ or lower.is_floating_point:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(x) -> DType:
    """The dtype a python scalar takes part in promotion with (floats: the default dtype)."""
    if isinstance(x, bool | np.bool_):
        return bool_
    if isinstance(x, int | np.integer):
        return int64
    return get_default_dtype()


# --8<-- [start:result_type]
def result_type(*operands) -> DType:
    """The dtype of an elementwise op on `operands` (tensors or python scalars), as torch's.

    Each priority class (dimensioned tensors, 0-dim tensors, python scalars) promotes within
    itself; then a lower class may only lift the category of a higher one: an int32 tensor plus
    2.5 is float32, plus 2 stays int32, and a float32 tensor plus a float64 0-dim tensor stays
    float32.
    """
    # EXERCISE 2.5: promote within each priority class, then combine the classes
    dim = zero = scalar = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if not isinstance(d, DType):
            scalar = scalar_dtype(x) if scalar is None else promote_types(scalar, scalar_dtype(x))
        elif x.ndim > 0:
            dim = d if dim is None else promote_types(dim, d)
        else:
            zero = d if zero is None else promote_types(zero, d)
    return _combine(dim, _combine(zero, scalar))
    # END EXERCISE
# --8<-- [end:result_type]


def can_cast(src: DType, dst: DType) -> bool:
    """torch.can_cast for in-place results: no float -> int and nothing non-bool -> bool."""
    return src.category <= dst.category
