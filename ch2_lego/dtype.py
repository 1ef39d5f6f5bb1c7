"""Data types and PyTorch's type promotion: which dtype `a + b` has.

Seven dtypes: bool, int32, int64, float16, bfloat16, float32, float64, each a `DType` naming the
numpy dtype its storage holds. bfloat16 has no numpy twin: it is stored as its 16 bits (uint16),
the top half of a float32, and converted by rounding to nearest even (section 3). The rule
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
    rank: int  # bool < int32 < int64 < float16, bfloat16 < float32 < float64 (see promote_types)

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
float16 = DType("float16", 2, np.dtype(np.float16), 2, 3)
bfloat16 = DType("bfloat16", 2, np.dtype(np.uint16), 2, 3)  # the bits, not the value
float32 = DType("float32", 4, np.dtype(np.float32), 2, 4)
float64 = DType("float64", 8, np.dtype(np.float64), 2, 5)

# DTYPES: what a device stores unless it says otherwise (Device.dtypes); the half-precision
# types are extra, stored by the cpu and by devices that list them.
DTYPES = (bool_, int32, int64, float32, float64)
HALF_DTYPES = (float16, bfloat16)
ALL_DTYPES = DTYPES + HALF_DTYPES
_BY_NAME = {d.name: d for d in ALL_DTYPES} | {"float": float32, "double": float64,
                                              "long": int64, "int": int32, "half": float16}
_BY_NP = {d.np: d for d in DTYPES} | {float16.np: float16}  # a numpy uint16 is no bfloat16

# PyTorch's short names for error messages: "Float", "Long", ...
PT_NAMES = {"bool": "Bool", "int32": "Int", "int64": "Long", "float32": "Float",
            "float64": "Double", "float16": "Half", "bfloat16": "BFloat16"}

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
    """The DType of a numpy dtype; other widths map to the nearest of ours."""
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
    """The smallest dtype both convert to. The lattice is a chain but for float16 and bfloat16,
    neither of which holds the other (more mantissa, more exponent): together they need float32.
    """
    if a.rank == b.rank and a is not b:
        return float32
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


# *** 3. half precision: bfloat16's bits, and conversions through float32 ***


# --8<-- [start:bfloat16]
def float_to_bfloat16(x) -> np.ndarray:
    """The bfloat16 bits (uint16) nearest to float32 values, ties to even; NaN stays NaN.

    A bfloat16 is the top half of a float32 (sign, 8 exponent bits, 7 mantissa bits). Adding
    0x7FFF plus the lowest kept bit before dropping the low half rounds to nearest even: the
    carry reaches the kept half when the dropped half is over 0x8000, or exactly 0x8000 and the
    kept half is odd. A NaN could round into infinity, so it becomes the quiet NaN 0x7FC0.
    """
    x = np.asarray(x, np.float32)
    bits = x.view(np.uint32)
    rounded = (bits + (np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1)))) >> 16
    return np.where(np.isnan(x), np.uint16(0x7FC0), rounded.astype(np.uint16))


def bfloat16_to_float(bits) -> np.ndarray:
    """The float32 values of bfloat16 bits: exact, the bits become the top half."""
    return (np.asarray(bits, np.uint16).astype(np.uint32) << 16).view(np.float32)
# --8<-- [end:bfloat16]


def float_to_float16(x) -> np.ndarray:
    """float32 values rounded to float16 (nearest, ties to even), with integer ops on the bits:
    twice as fast as numpy's cast, which converts one element at a time.

    Normal results: rebias the exponent (127 -> 15) and round away the low 13 mantissa bits as
    float_to_bfloat16 rounds away 16. Subnormal results: adding 0.5 in float32 lets the FPU
    shift and round them. Past the largest float16: inf, and a NaN stays a NaN (0x7E00).
    """
    x = np.asarray(x, np.float32)
    bits = x.reshape(-1).view(np.uint32)  # 1-d, so that a 0-d input is indexable too
    sign = bits & np.uint32(0x80000000)
    f = bits ^ sign
    rebias = np.uint32(((15 - 127) << 23) + 0xFFF + 2**32)  # wraps around: mod 2^32
    out = (f + rebias + ((f >> 13) & np.uint32(1))) >> 13
    small = f < np.uint32(113 << 23)  # below float16's smallest normal, 2^-14
    if small.any():
        magic = np.uint32((127 - 15 + 23 - 10 + 1) << 23)  # 0.5: its ulp is float16's 2^-24
        out[small] = (f[small].view(np.float32) + magic.view(np.float32)).view(np.uint32) - magic
    big = f >= np.uint32((127 + 16) << 23)  # 65520 and up round to inf
    if big.any():
        out[big] = np.where(f[big] > np.uint32(255 << 23), 0x7E00, 0x7C00)
    return (out | (sign >> 16)).astype(np.uint16).view(np.float16).reshape(x.shape)


# every float16 bit pattern's float32 value: widening is one table lookup
FLOAT16_TO_FLOAT32 = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(
    np.float16).astype(np.float32)


def float16_to_float(a) -> np.ndarray:
    """The float32 values of float16 numbers (exact), by table lookup."""
    return np.take(FLOAT16_TO_FLOAT32, np.asarray(a, np.float16).view(np.uint16))


def to_storage(a, dtype: DType) -> np.ndarray:
    """Host values (any numpy dtype) as `dtype`'s storage holds them. The half types round
    through float32, as torch's conversions do (a float64 is rounded twice)."""
    if dtype is bfloat16:
        return float_to_bfloat16(np.asarray(a, np.float32))
    if dtype is float16:
        return float_to_float16(np.asarray(a, np.float32))
    return np.asarray(a).astype(dtype.np, copy=False)


def from_storage(a: np.ndarray, dtype: DType) -> np.ndarray:
    """The values a storage array holds, in a numpy dtype (bfloat16's as float32)."""
    return bfloat16_to_float(a) if dtype is bfloat16 else a


# *** 4. torch.finfo and torch.iinfo ***

_FLOAT_BITS = {"float16": (10, 5), "bfloat16": (7, 8), "float32": (23, 8), "float64": (52, 11)}


class finfo:  # noqa: N801 (torch's name)
    """Limits of a floating dtype, from its mantissa and exponent widths (m, e):
    eps = 2^-m, max = (2 - 2^-m) * 2^(2^(e-1) - 1), tiny = 2^(2 - 2^(e-1))."""

    def __init__(self, dtype=None):
        dtype = get_default_dtype() if dtype is None else to_dtype(dtype)
        if not dtype.is_floating_point:
            raise TypeError(f"torch.finfo() requires a floating point input type. Use "
                            f"torch.iinfo to handle '{dtype.name}'")
        m, e = _FLOAT_BITS[dtype.name]
        self.dtype, self.bits = dtype.name, dtype.itemsize * 8
        self.eps = 2.0**-m
        self.max = (2 - 2.0**-m) * 2.0 ** (2 ** (e - 1) - 1)
        self.min = -self.max
        self.tiny = self.smallest_normal = 2.0 ** (2 - 2 ** (e - 1))
        self.resolution = 10.0 ** -int(m * 0.30102999566398120)  # 10^-floor(m log10 2)

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:  # noqa: N801 (torch's name)
    """Limits of an integer dtype: bits, min, max."""

    def __init__(self, dtype):
        dtype = to_dtype(dtype)
        if dtype.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            f"handle '{dtype.name}'")
        if dtype.category == 0:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        self.dtype, self.bits = dtype.name, dtype.itemsize * 8
        info = np.iinfo(dtype.np)
        self.min, self.max = int(info.min), int(info.max)

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"
