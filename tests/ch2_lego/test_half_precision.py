"""float16 and bfloat16 (book 2.6): storage, rounding, promotion, ops and gradients, each against
torch's own float16/bfloat16 on the cpu.

Tolerances: an op torch and we both compute exactly rounded (+, -, *, /, sqrt, casts, max) must
match bit for bit: its float32 result rounded once to the half type (float32 has more than twice
the bits of either, so the double rounding float64 -> float32 -> half changes nothing). A
transcendental (exp, tanh, ...) is within an ulp in float32 on both sides, so the rounded results
may differ by one half-precision ulp. Sums and products of K terms accumulate in float32 on both
sides, in different orders: one half ulp plus K*eps32*sum|terms|.
"""

import importlib
import itertools
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))
pytestmark = pytest.mark.sec_2_6

HALVES = ["float16", "bfloat16"]
MANTISSA = {"float16": 10, "bfloat16": 7}
EPS32 = 2.0**-23


def values(t) -> np.ndarray:
    """float64 values of a lego or torch tensor of any dtype."""
    return np.array(t.detach().double().numpy(), dtype=np.float64)


def ulp(x: np.ndarray, dtype: str) -> np.ndarray:
    """The spacing of `dtype` numbers at |x| (subnormal spacing below the normal range)."""
    tiny = float(torch.finfo(getattr(torch, dtype)).tiny)
    exponent = np.floor(np.log2(np.maximum(np.abs(x), tiny)))
    return 2.0 ** (exponent - MANTISSA[dtype])


def assert_within(ours, ref, bound) -> None:
    a, b = values(ours), values(ref)
    assert tuple(ours.shape) == tuple(ref.shape)
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    err = np.where(same, 0.0, np.abs(a - b))
    assert (err <= bound).all(), f"max excess {np.max(err - bound)}"


def special_floats(n: int = 4000) -> np.ndarray:
    """float32 values over the whole range: random bit patterns (so every exponent and every
    rounding case appears), exact ties of both halves' rounding, and the special values."""
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    ties = (rng.integers(0, 2**16, 200, dtype=np.uint64).astype(np.uint32) << 16) | 0x8000
    half_ties = np.float32(1.0) + np.arange(1, 200, dtype=np.float32) * np.float32(2.0**-11)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 65504.0, 65520.0, 1e-8, 6e-8,
                        3.4e38, -3.39e38, 1.0 + 2.0**-8, 1.0 + 3 * 2.0**-8], np.float32)
    return np.concatenate([bits.view(np.float32), ties.view(np.float32), half_ties, special])


# *** 1. storage and rounding ***


@pytest.mark.parametrize("dtype", HALVES)
def test_rounding_from_float32_matches_torch(dtype):
    a = special_floats()
    ours = lego.tensor(a).to(getattr(lego, dtype))
    ref = torch.from_numpy(a).to(getattr(torch, dtype))
    assert ours.dtype == getattr(lego, dtype) and ours.element_size() == 2
    mine, theirs = values(ours), values(ref)
    np.testing.assert_array_equal(mine, theirs)  # nan == nan here
    assert (np.signbit(mine) == np.signbit(theirs))[~np.isnan(mine)].all()


@pytest.mark.parametrize("dtype", HALVES)
def test_rounding_from_float64_and_ints_matches_torch(dtype):
    # float64 rounds through float32, as torch's conversions do
    rng = np.random.default_rng(1)
    a = np.concatenate([rng.standard_normal(500) * 10.0 ** rng.integers(-9, 9, 500),
                        1.0 + (np.arange(1, 64) + 0.5) * 2.0**-11 + 2.0**-40])
    ours, ref = lego.tensor(a, dtype=getattr(lego, dtype)), torch.tensor(a, dtype=getattr(torch,
                                                                                          dtype))
    np.testing.assert_array_equal(values(ours), values(ref))
    np.testing.assert_array_equal(values(lego.tensor(a).to(getattr(lego, dtype))),
                                  values(torch.tensor(a).to(getattr(torch, dtype))))
    ints = [0, 1, -7, 257, 4097, 65519, 2**24 + 1, -(2**40) - 3]
    np.testing.assert_array_equal(
        values(lego.tensor(ints).to(getattr(lego, dtype))),
        values(torch.tensor(ints).to(getattr(torch, dtype))))


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("target", ["float32", "float64", "int32", "int64", "bool", *HALVES])
def test_casts_from_half_match_torch(dtype, target):
    a = np.array([0.0, -0.0, 1.5, -2.75, 300.0, -1e4, 0.3, 7.9, -0.5], np.float32)
    ours = lego.tensor(a).to(getattr(lego, dtype)).to(getattr(lego, target))
    ref = torch.from_numpy(a).to(getattr(torch, dtype)).to(getattr(torch, target))
    assert str(ours.dtype).split(".")[-1] == target
    np.testing.assert_array_equal(values(ours), values(ref))


@pytest.mark.skipif(lego is torch, reason="reads ch2's storage")
def test_bfloat16_is_stored_as_its_16_bits():
    # the storage a device would upload: the top half of each float32 (torch's view(int16))
    a = np.array([1.0, -2.0, 0.1, 3.0e38], np.float32)
    ours = lego.tensor(a, dtype=lego.bfloat16)
    stored = np.asarray(ours._buf.numpy())
    assert stored.dtype == np.uint16
    ref = torch.tensor(a, dtype=torch.bfloat16).view(torch.int16).numpy().view(np.uint16)
    np.testing.assert_array_equal(stored, ref)


# *** 2. promotion and the API around the dtypes ***

ALL = ["bool", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


def make(m, kind, dtype):
    if kind == "tensor":
        return m.tensor([1, 0], dtype=getattr(m, dtype))
    if kind == "zero_dim":
        return m.tensor(1, dtype=getattr(m, dtype))
    return {"bool": True, "int64": 2, "float64": 2.5}[dtype]


CASES = [(ka, kb, da, db) for ka, kb in [("tensor", "tensor"), ("tensor", "zero_dim"),
                                         ("zero_dim", "tensor"), ("tensor", "scalar"),
                                         ("zero_dim", "scalar")]
         for da, db in itertools.product(ALL, ALL)
         if "float16" in (da, db) or "bfloat16" in (da, db)
         if kb != "scalar" or db in ("bool", "int64", "float64")]


@pytest.mark.parametrize("kind_a, kind_b, dtype_a, dtype_b", CASES)
def test_promotion_with_halves_matches_torch(kind_a, kind_b, dtype_a, dtype_b):
    expected = torch.result_type(make(torch, kind_a, dtype_a), make(torch, kind_b, dtype_b))
    a, b = make(lego, kind_a, dtype_a), make(lego, kind_b, dtype_b)
    assert str(lego.result_type(a, b)).split(".")[-1] == str(expected).split(".")[-1]
    if "bool" not in (dtype_a, dtype_b):
        assert str((a + b).dtype).split(".")[-1] == str(expected).split(".")[-1]


@pytest.mark.parametrize("dtype", HALVES + ["float32", "float64"])
def test_finfo_matches_torch(dtype):
    ours, ref = lego.finfo(getattr(lego, dtype)), torch.finfo(getattr(torch, dtype))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == getattr(ref, field), field


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_iinfo_matches_torch(dtype):
    ours, ref = lego.iinfo(getattr(lego, dtype)), torch.iinfo(getattr(torch, dtype))
    assert (ours.bits, ours.min, ours.max) == (ref.bits, ref.min, ref.max)


def test_can_cast_matches_torch():
    pairs = itertools.product(ALL, ALL)
    assert [lego.can_cast(getattr(lego, a), getattr(lego, b)) for a, b in pairs] == \
        [torch.can_cast(getattr(torch, a), getattr(torch, b)) for a, b in itertools.product(
            ALL, ALL)]


def test_finfo_and_iinfo_refuse_the_other_kind_as_torch():
    for ours, ref, arg in ((lego.finfo, torch.finfo, "int64"), (lego.iinfo, torch.iinfo,
                                                                "float32")):
        with pytest.raises(TypeError):
            ref(getattr(torch, arg))
        with pytest.raises(TypeError, match="info"):
            ours(getattr(lego, arg))


def test_half_methods_and_predicates_match_torch():
    for m in (lego, torch):
        x = m.tensor([1.0, 2.0])
        assert x.half().dtype == m.float16 and x.bfloat16().dtype == m.bfloat16
        assert m.half is m.float16
        assert m.is_floating_point(x.bfloat16()) and x.half().is_floating_point()
        assert not m.is_floating_point(m.tensor([1]))
        assert x.bfloat16().element_size() == 2 and x.bfloat16().bfloat16().dtype == m.bfloat16
    assert lego.tensor([0.1], dtype=lego.bfloat16).item() == torch.tensor(
        [0.1], dtype=torch.bfloat16).item()
    assert lego.tensor([0.1, 3], dtype=lego.float16).tolist() == torch.tensor(
        [0.1, 3], dtype=torch.float16).tolist()


def test_numpy_of_bfloat16_raises_as_torch_and_float16_is_numpys():
    with pytest.raises(TypeError, match="BFloat16"):
        torch.ones(2, dtype=torch.bfloat16).numpy()
    with pytest.raises(TypeError, match="BFloat16"):
        lego.ones(2, dtype=lego.bfloat16).numpy()
    assert lego.ones(2, dtype=lego.float16).numpy().dtype == np.float16
    assert lego.from_numpy(np.ones(3, np.float16)).dtype == lego.float16


@pytest.mark.parametrize("dtype", HALVES)
def test_creation_in_half_matches_torch(dtype):
    d, t = getattr(lego, dtype), getattr(torch, dtype)
    pairs = [(lego.arange(0, 3, 0.3, dtype=d), torch.arange(0, 3, 0.3, dtype=t)),
             (lego.linspace(-1, 1, 7, dtype=d), torch.linspace(-1, 1, 7, dtype=t)),
             (lego.eye(3, dtype=d), torch.eye(3, dtype=t)),
             (lego.full((2,), 0.1, dtype=d), torch.full((2,), 0.1, dtype=t)),
             (lego.zeros(2, 3, dtype=d), torch.zeros(2, 3, dtype=t))]
    for ours, ref in pairs:
        assert ours.dtype == d
        assert_within(ours, ref, ulp(values(ref), dtype))  # linspace/arange: float math first
    assert lego.randn(4, dtype=d).dtype == d and lego.rand(4, dtype=d).dtype == d
    assert lego.empty(3, dtype=d).uniform_().dtype == d


@pytest.mark.skipif(lego is torch, reason="registers a ch2 device")
def test_a_device_without_half_names_the_dtype(core_device):
    with pytest.raises(lego.DTypeError, match="BFloat16.*core"):
        lego.ones(2, dtype=lego.bfloat16, device="core")
    with pytest.raises(lego.DTypeError, match="Half.*core"):
        lego.ones(2, dtype=lego.float16).to("core")
    with pytest.raises(lego.DTypeError, match="BFloat16.*core"):
        lego.ones(2, dtype=lego.bfloat16).to("core")


# *** 3. ops against torch's half precision ***

EXACT_BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b,
                "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
                "maximum": lambda a, b: a.maximum(b), "scalar_mul": lambda a, b: a * 0.1,
                "scalar_add": lambda a, b: 1.7 + a, "scalar_sub": lambda a, b: a - 0.3,
                "scalar_div": lambda a, b: a / 0.3}


def pair(dtype, shape=(64,), seed=0):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * 4).astype(np.float32)
    b = (rng.standard_normal(shape) * 4).astype(np.float32)
    return [(m.tensor(a).to(getattr(m, dtype)), m.tensor(b).to(getattr(m, dtype)))
            for m in (lego, torch)]


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("op", EXACT_BINARY)
def test_exactly_rounded_ops_match_torch_bit_for_bit(dtype, op):
    (a, b), (ta, tb) = pair(dtype)
    ours, ref = EXACT_BINARY[op](a, b), EXACT_BINARY[op](ta, tb)
    assert ours.dtype == getattr(lego, dtype)
    np.testing.assert_array_equal(values(ours), values(ref))


@pytest.mark.parametrize("dtype", HALVES)
def test_comparisons_and_sqrt_match_torch(dtype):
    (a, b), (ta, tb) = pair(dtype)
    for f in (lambda x, y: x < y, lambda x, y: x == y, lambda x, y: x >= 0.5,
              lambda x, y: x.abs().sqrt(), lambda x, y: -x, lambda x, y: x.argmax(),
              lambda x, y: x.amax(), lambda x, y: x.where(x > y, y), lambda x, y: x.floor()):
        np.testing.assert_array_equal(values(f(a, b)), values(f(ta, tb)))


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("op", ["exp", "exp2", "log", "tanh", "sigmoid", "sin", "erf", "rdiv"])
def test_transcendentals_within_one_ulp_of_torch(dtype, op):
    (a, _), (ta, _) = pair(dtype)
    a, ta = a.abs() / 4 + 0.01, ta.abs() / 4 + 0.01  # inside every op's domain, exp in range
    if op == "rdiv":  # torch: reciprocal, rounded, times the number; we: one division
        ours, ref = 3.3 / a, 3.3 / ta
    else:
        ours, ref = getattr(a, op)(), getattr(ta, op)()
    assert ours.dtype == getattr(lego, dtype)
    assert_within(ours, ref, ulp(values(ref), dtype))


@pytest.mark.parametrize("dtype", HALVES)
def test_reductions_accumulate_in_float32_as_torch(dtype):
    (a, _), (ta, _) = pair(dtype, shape=(8, 500))
    k, total = 500, np.abs(values(ta)).sum(1)
    for f in (lambda x: x.sum(1), lambda x: x.mean(1)):
        ref = f(ta)
        scale = 1.0 if f(lego.ones(1, 2)).item() == 2 else 1 / k
        assert_within(f(a), ref, ulp(values(ref), dtype) + k * EPS32 * total * scale)
    ref = ta.cumsum(1)
    bound = ulp(values(ref), dtype) + k * EPS32 * np.abs(values(ta)).cumsum(1)
    assert_within(a.cumsum(1), ref, bound)


@pytest.mark.parametrize("dtype", HALVES)
def test_matmul_and_softmax_round_once_as_torch(dtype):
    (a, b), (ta, tb) = pair(dtype, shape=(16, 32))
    ours, ref = a @ b.t(), ta @ tb.t()
    bound = ulp(values(ref), dtype) + 32 * EPS32 * (np.abs(values(ta)) @ np.abs(values(tb)).T)
    assert ours.dtype == getattr(lego, dtype)
    assert_within(ours, ref, bound)
    # softmax in float32 on both sides, rounded once: a transcendental's one ulp
    s, ts = a.softmax(-1), ta.softmax(-1)
    assert_within(s, ts, ulp(values(ts), dtype))
    # log_softmax: we round once; torch's rounds its intermediates (x - max, the log of the
    # sum) to the half type, each as large as the row's spread at most, which near 0 is many
    # ulps of the result
    ref = ta.log_softmax(-1)
    spread = (values(ta).max(-1, keepdims=True) - values(ta).min(-1, keepdims=True))
    assert_within(a.log_softmax(-1), ref, ulp(values(ref), dtype) + 2 * ulp(spread, dtype))


@pytest.mark.parametrize("dtype", HALVES)
def test_gradients_flow_in_half_precision_as_torch(dtype):
    (a, b), (ta, tb) = pair(dtype, shape=(4, 8))
    for x in (a, b, ta, tb):
        x.requires_grad_()
    loss, ref = ((a * b).sum() + (a @ b.t()).sum()), ((ta * tb).sum() + (ta @ tb.t()).sum())
    loss.backward()
    ref.backward()
    assert a.grad.dtype == getattr(lego, dtype) and b.grad.dtype == getattr(lego, dtype)
    # d/da = b + (sum of b's rows): a float32 sum of 4 rows, rounded; a product's gradient
    # is rounded again when added: two ulps and the float32 sum's error
    for ours, theirs, other in ((a, ta, tb), (b, tb, ta)):
        bound = 2 * ulp(values(theirs.grad), dtype) + 2 * ulp(values(other), dtype) + \
            8 * EPS32 * np.abs(values(other)).sum(0)
        assert_within(ours.grad, theirs.grad, bound)
    # through a cast: the gradient comes back in the leaf's dtype, as torch's
    x = lego.tensor([1.0, 2.0], requires_grad=True)
    (x.to(getattr(lego, dtype)) * 3).sum().backward()
    assert x.grad.dtype == lego.float32 and x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("dtype", HALVES)
def test_view_as_and_from_bfloat16_reinterprets_bits_as_torch(dtype):
    a = np.array([1.0, -2.0, 0.1, 3.0e38], np.float32)
    ours, ref = lego.tensor(a), torch.tensor(a)
    v, tv = ours.view(getattr(lego, dtype)), ref.view(getattr(torch, dtype))
    assert v.dtype == getattr(lego, dtype) and tuple(v.shape) == tuple(tv.shape)
    np.testing.assert_array_equal(values(v), values(tv))
    v[1], tv[1] = 3.0, 3.0  # a view: the write shows through in the float32 tensor
    np.testing.assert_array_equal(values(ours), values(ref))
    back, tback = v.view(lego.float32), tv.view(torch.float32)
    np.testing.assert_array_equal(values(back), values(tback))
    other = "float16" if dtype == "bfloat16" else "bfloat16"
    np.testing.assert_array_equal(values(v.view(getattr(lego, other))),
                                  values(tv.view(getattr(torch, other))))


@pytest.mark.parametrize("dtype", HALVES)
def test_causal_attention_in_half_precision_near_torch(dtype):
    # the output is a convex combination of S = 6 value rows: each of its ~5 steps (scores,
    # max, exp, sum, divide) and each of the S products and sums rounds once to the half type,
    # on values below max|V| (and scores below D max|q|^2 scaled by 1/sqrt(D)): within
    # (5 + 2 S) ulps of max|V| of the truth on either side
    x = np.random.default_rng(3).standard_normal((2, 2, 6, 8)).astype(np.float32)
    ours = lego.nn.functional.scaled_dot_product_attention(
        *[lego.tensor(x).to(getattr(lego, dtype))] * 3, is_causal=True)
    ref = torch.nn.functional.scaled_dot_product_attention(
        *[torch.tensor(x).to(getattr(torch, dtype))] * 3, is_causal=True)
    assert ours.dtype == getattr(lego, dtype)
    big = float(np.abs(values(torch.tensor(x).to(getattr(torch, dtype)))).max())
    assert_within(ours, ref, 2 * (5 + 2 * 6) * ulp(np.array(big), dtype))


@pytest.mark.parametrize("dtype", HALVES)
def test_a_half_default_dtype_makes_half_tensors_as_torch(dtype):
    # a Python float becomes the default dtype: its values rounded, not its storage type's
    # (bfloat16's uint16 made tensor([1.1]) an integer tensor)
    def made(m):
        return [m.tensor([1.1, 2]), m.tensor(1.1), m.tensor([[1.5], [-2.75]]), m.ones(2),
                m.arange(3.0), m.full((1,), 1.1), m.tensor([1, 2]) * 1.1, m.eye(2),
                m.nn.Linear(2, 2).weight]
    results = []
    for m in (lego, torch):
        m.set_default_dtype(getattr(m, dtype))
        try:
            results.append(made(m))
        finally:
            m.set_default_dtype(m.float32)
    for k, (ours, ref) in enumerate(zip(*results)):
        assert str(ours.dtype).split(".")[-1] == dtype
        assert tuple(ours.shape) == tuple(ref.shape)
        if k < len(results[0]) - 1:  # not the randomly initialised weight
            np.testing.assert_array_equal(values(ours), values(ref))
    assert lego.tensor([1, 2]).dtype == lego.int64


@pytest.mark.parametrize("dtype", HALVES)
def test_module_half_and_bfloat16_cast_floating_state_as_torch(dtype):
    seen = []
    for m in (lego, torch):
        net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.BatchNorm1d(4))
        assert getattr(net, "half" if dtype == "float16" else dtype)() is net
        out = net(m.ones(2, 3, dtype=getattr(m, dtype)))
        seen.append([str(t.dtype).split(".")[-1] for t in net.state_dict().values()] +
                    [str(out.dtype).split(".")[-1]])
    assert seen[0] == seen[1]  # num_batches_tracked stays int64


COMPOSITES = {
    "gelu": lambda m, x: m.nn.functional.gelu(x),
    "gelu tanh": lambda m, x: m.nn.functional.gelu(x, approximate="tanh"),
    "silu": lambda m, x: m.nn.functional.silu(x),
    "softplus": lambda m, x: m.nn.functional.softplus(x),
    "elu": lambda m, x: m.nn.functional.elu(x),
    "logsigmoid": lambda m, x: m.nn.functional.logsigmoid(x),
    "celu": lambda m, x: m.nn.functional.celu(x, 0.7),
    "selu": lambda m, x: m.nn.functional.selu(x),
    "mish": lambda m, x: m.nn.functional.mish(x),
    "hardswish": lambda m, x: m.nn.functional.hardswish(x),
    "hardsigmoid": lambda m, x: m.nn.functional.hardsigmoid(x),
    "layer_norm": lambda m, x: m.nn.functional.layer_norm(x.reshape(-1, 25), (25,)).reshape(-1),
    "rms_norm": lambda m, x: m.nn.functional.rms_norm(x.reshape(-1, 25), (25,)).reshape(-1),
    "log1p": lambda m, x: x.abs().log1p(), "expm1": lambda m, x: x.expm1(),
}


@pytest.mark.parametrize("dtype", HALVES)
@pytest.mark.parametrize("op", COMPOSITES)
def test_composite_ops_compute_in_float32_and_round_once(dtype, op):
    # torch's cpu kernels widen a half input to float32 and round the result once. Computed
    # step by step in the half type, gelu's 1 + erf(x) cancels (an error of ulp(1) |x|, 0.02 at
    # x = -5 in bfloat16). The truth is float64 on the same half inputs; ours is within the
    # result's rounding plus float32 errors on intermediates as large as max(1, |x|)
    a = np.linspace(-6, 6, 1000).astype(np.float32)
    x = lego.tensor(a).to(getattr(lego, dtype))
    ours = COMPOSITES[op](lego, x)
    truth = COMPOSITES[op](torch, torch.tensor(values(x)))  # float64
    assert ours.dtype == x.dtype
    bound = ulp(values(truth), dtype) + 64 * EPS32 * np.maximum(1, np.abs(a))
    assert_within(ours, truth, bound)
