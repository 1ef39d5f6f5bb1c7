"""Aliases and small ops that training scripts use (book 2.6): numpy's names on reductions,
exp2 and friends, bit shifts, flip/movedim/where forms, histograms, indexing with ranges and
bools, the extra activations (with their nn modules) and the in-place operators, each against
torch: values, gradients, and torch's exception class for the mistakes.

Tolerance: the float ops here run in float64 on inputs in [-2.5, 2.5]; each is a composition of
at most a dozen float64 operations whose intermediates stay below 64 in magnitude (e^2.5 < 13),
so ours and torch's each lie within 12 * 64 * eps64 of the truth: ATOL = 2 * 12 * 64 * eps64.
"""

import importlib
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))
pytestmark = pytest.mark.sec_2_6
ATOL = 2 * 12 * 64 * float(np.finfo(np.float64).eps)


def both(values, dtype="float64", requires_grad=False):
    a = np.asarray(values)
    return [m.tensor(a, dtype=getattr(m, dtype), requires_grad=requires_grad) for m in (lego,
                                                                                    torch)]


def arr(t) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def assert_close(ours, ref, atol=ATOL):
    assert tuple(ours.shape) == tuple(ref.shape)
    assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(arr(ours), arr(ref), rtol=0, atol=atol, equal_nan=True)


def same_error(fn_ours, fn_ref):
    """Both raise; ours is an instance of torch's exception class."""
    with pytest.raises(Exception) as theirs:
        fn_ref()
    with pytest.raises(type(theirs.value)):
        fn_ours()


# *** 1. numpy's names on reductions ***

RNG = np.random.default_rng(0)
GRID = RNG.permutation(24).reshape(2, 3, 4).astype(np.float64) - 11.5


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "var", "std",
                                  "logsumexp", "all", "any", "argmax", "argmin", "max",
                                  "min"])
def test_reductions_take_axis_and_keepdims(name):
    x, tx = both(GRID / 4)
    kwargs = {"axis": 1, "keepdims": True} if name not in ("argmax", "argmin", "max",
                                                            "min") else {"axis": 1}
    if name in ("max", "min"):
        kwargs["keepdims"] = True
    ours, ref = getattr(x, name)(**kwargs), getattr(tx, name)(**kwargs)
    ours, ref = (ours[0], ref[0]) if name in ("max", "min") else (ours, ref)
    assert_close(ours, ref)
    assert_close(getattr(lego, name)(x, axis=-1), getattr(torch, name)(tx, axis=-1)) \
        if name not in ("max", "min") else None


def test_reduction_with_dim_and_axis_is_a_type_error():
    x, tx = both(GRID)
    same_error(lambda: x.sum(dim=0, axis=1), lambda: tx.sum(dim=0, axis=1))


# *** 2. elementwise ops: values and gradients ***

UNARY = {
    "exp2": lambda m, x: m.exp2(x), "sinh": lambda m, x: x.sinh(),
    "cosh": lambda m, x: m.cosh(x), "asinh": lambda m, x: x.asinh(),
    "acosh": lambda m, x: (x.abs() + 1.5).acosh(), "atanh": lambda m, x: (x / 3).atanh(),
    "frac": lambda m, x: x.frac(), "fmod": lambda m, x: m.fmod(x * 3, 1.25),
    "fmod tensor": lambda m, x: x.fmod(x.flip(0) + 3), "lerp": lambda m, x: m.lerp(x, x * x, 0.3),
    "hypot": lambda m, x: m.hypot(x, x.flip(0)), "logit": lambda m, x: (x.sigmoid()).logit(),
    "logit eps": lambda m, x: (x / 5 + 0.5).logit(eps=0.2),
    "xlogy": lambda m, x: m.xlogy(x.relu(), x.abs() + 0.5),
    "nan_to_num": lambda m, x: (x.log() * x).nan_to_num(nan=0.5),
    "relu6": lambda m, x: m.nn.functional.relu6(x * 3),
    "hardtanh": lambda m, x: m.nn.functional.hardtanh(x, -1.0, 1.5),
    "hardswish": lambda m, x: m.nn.functional.hardswish(x * 2),
    "hardsigmoid": lambda m, x: m.nn.functional.hardsigmoid(x * 2),
    "celu": lambda m, x: m.nn.functional.celu(x, 0.7), "selu": lambda m, x: m.nn.functional.selu(x),
    "softsign": lambda m, x: m.nn.functional.softsign(x),
    "mish": lambda m, x: m.nn.functional.mish(x),
    "tanhshrink": lambda m, x: m.nn.functional.tanhshrink(x),
    "softshrink": lambda m, x: m.nn.functional.softshrink(x, 0.5),
    "hardshrink": lambda m, x: m.nn.functional.hardshrink(x, 0.5),
    "threshold": lambda m, x: m.nn.functional.threshold(x, 0.5, -2.0),
    "glu": lambda m, x: m.nn.functional.glu(x.reshape(5, 4), 1),
    "softmin": lambda m, x: m.nn.functional.softmin(x.reshape(5, 4), 1),
    "prelu": lambda m, x: m.nn.functional.prelu(x.reshape(1, 4, 5), m.tensor(
        [0.1, 0.2, -0.3, 2.0], dtype=m.float64)),
    "normalize": lambda m, x: m.nn.functional.normalize(x.reshape(4, 5), dim=1),
    "cosine_similarity": lambda m, x: m.nn.functional.cosine_similarity(
        x.reshape(4, 5), x.reshape(4, 5).flip(0) + 0.5),
    "pairwise_distance": lambda m, x: m.nn.functional.pairwise_distance(
        x.reshape(4, 5), x.reshape(4, 5).flip(0)),
    "addmm": lambda m, x: m.addmm(x[:4], x[:8].reshape(4, 2), x[8:16].reshape(2, 4),
                                  beta=0.5, alpha=2.0),
    "diagonal": lambda m, x: x.reshape(4, 5).diagonal(1),
    "diagonal below": lambda m, x: x.reshape(4, 5).diagonal(-2),
    "trace": lambda m, x: x.reshape(4, 5).trace(),
    "tile": lambda m, x: x[:6].reshape(2, 3).tile((2, 1, 2)),
    "repeat_interleave": lambda m, x: x[:6].reshape(2, 3).repeat_interleave(2, dim=1),
    "rot90": lambda m, x: x.reshape(4, 5).rot90(1, (0, 1)),
    "rot90 back": lambda m, x: x.reshape(4, 5).rot90(-1, (0, 1)),
    "fliplr": lambda m, x: x.reshape(4, 5).fliplr(),
    "masked_select": lambda m, x: x.reshape(4, 5).masked_select(x[:5] > 0),
    "take": lambda m, x: x.take(m.tensor([[0, 7], [19, 3]])),
    "take_along_dim": lambda m, x: m.take_along_dim(x.reshape(4, 5), m.tensor([[4], [0]]).repeat(
        2, 1), 1),
    "index_fill": lambda m, x: x.reshape(4, 5).index_fill(1, m.tensor([0, 3]), -1.5),
    "nansum": lambda m, x: (x.log() * x).nansum(), "nanmean": lambda m, x: (x.log() + x).nanmean(0),
    "flip args": lambda m, x: x.reshape(4, 5).flip(0, 1),
    "flip dims keyword": lambda m, x: m.flip(x.reshape(4, 5), dims=(1,)),
    "movedim tuple": lambda m, x: x.reshape(2, 2, 5).movedim((0, 2), (2, 0)),
    "where scalars": lambda m, x: m.where(x > 0, 1.5, -0.5) * x,
    "negative": lambda m, x: m.negative(x), "absolute": lambda m, x: x.absolute(),
    "true_divide": lambda m, x: m.true_divide(x, x.flip(0) + 3),
    "deg2rad": lambda m, x: m.deg2rad(x * 90), "rad2deg": lambda m, x: x.rad2deg(),
    "addcmul": lambda m, x: m.addcmul(x, x.flip(0), x * x, value=0.5),
    "addcdiv": lambda m, x: x.addcdiv(x.flip(0), x.abs() + 1, value=-2),
    "fmax": lambda m, x: m.fmax(x, x.flip(0)), "fmin": lambda m, x: x.fmin(x.flip(0)),
    "logaddexp": lambda m, x: m.logaddexp(x * 10, x.flip(0) * 10),
    "logaddexp ties": lambda m, x: m.logaddexp(x, x),
    "dist": lambda m, x: m.dist(x, x.flip(0) * 0.5), "dist 1": lambda m, x: x.dist(x * 2, 1),
    "inner": lambda m, x: m.inner(x.reshape(4, 5), x[:15].reshape(3, 5)),
    "diff": lambda m, x: m.diff(x.reshape(4, 5), 2, 0),
    "diff prepend": lambda m, x: x.diff(dim=-1, prepend=x[:3], append=x[5:7]),
    "cumprod": lambda m, x: x.reshape(4, 5).cumprod(1),  # POINTS hold a 0: exact gradients
    "cumprod dim 0": lambda m, x: m.cumprod(x.reshape(4, 5) / 2, 0),
    "moveaxis": lambda m, x: m.moveaxis(x.reshape(2, 2, 5), 0, -1), "ravel": lambda m, x: x.ravel(),
    "std_mean": lambda m, x: m.std_mean(x.reshape(4, 5), 1)[0] + m.std_mean(x)[1],
    "var_mean": lambda m, x: m.var_mean(x.reshape(4, 5), 0, keepdim=True)[0],
    "atleast_3d": lambda m, x: m.atleast_3d(x.reshape(4, 5)) + m.atleast_3d([x[0]])[0],
    "atleast_2d": lambda m, x: m.atleast_2d(x) * m.atleast_1d(x[0], x)[0],
}
# points on the kinks of the piecewise ops (0, +-0.5, +-1, 1.5, +-3/2 for hardswish's 2x = +-3)
POINTS = np.array([-2.5, -1.5, -1.0, -0.5, -0.2, 0.0, 0.2, 0.5, 1.0, 1.5, 2.0, 2.5, -2.2, 0.7,
                   -0.7, 1.2, -1.2, 2.2, 0.35, -0.35])


# torch's float64 gradients that use a constant rounded to float32 (relative error 2^-24):
# hardsigmoid's 1.0f / 6.0f, and celu's 1/alpha (alpha.toFloat() in derivatives.yaml), which
# enters as exp(x * s) * s: relative error (1 + |x s|) 2^-24 <= 5 * 2^-24 for |x| <= 2.5
FLOAT32_CONSTANT_IN_TORCH = {"hardsigmoid": 1, "celu": 5}


@pytest.mark.parametrize("case", UNARY)
def test_values_and_gradients_match_torch(case):
    x, tx = both(POINTS, requires_grad=True)
    ours, ref = UNARY[case](lego, x), UNARY[case](torch, tx)
    assert_close(ours, ref)
    weights = np.linspace(-1, 2, ref.numel()).reshape(tuple(ref.shape))
    (ours * lego.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    extra = float(np.abs(arr(tx.grad)).max()) * 2.0**-24 * FLOAT32_CONSTANT_IN_TORCH[case] \
        if case in FLOAT32_CONSTANT_IN_TORCH else 0.0  # (a nan gradient elsewhere: no nan atol)
    assert_close(x.grad, tx.grad, atol=ATOL + extra)


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_shifts_and_int_ops_match_torch(dtype):
    x, tx = both([5, -6, 7, 0, -1, 1000], dtype)
    n, tn = both([1, 2, 3, 0, 4, 5], dtype)
    for f in (lambda a, b: a << 2, lambda a, b: a >> 1, lambda a, b: a << b, lambda a, b: a >> b,
              lambda a, b: a.bitwise_left_shift(b), lambda a, b: a.fmod(3),
              lambda a, b: a.count_nonzero(), lambda a, b: a.signbit(),
              lambda a, b: a.repeat_interleave(b.abs(), 0), lambda a, b: a.cumprod(0),
              lambda a, b: (a > 0).cumprod(0)):
        assert_close(f(x, n), f(tx, tn))
    same_error(lambda: lego.tensor([1.5]) << 1, lambda: torch.tensor([1.5]) << 1)


def test_where_with_two_numbers_has_torchs_dtype():
    c, tc = both([True, False, True], "bool")
    for a, b in ((1.0, 0.0), (1, 0), (1.0, 0), (True, 2), (False, True)):
        assert_close(lego.where(c, a, b), torch.where(tc, a, b))


def test_movedim_and_flip_errors_are_torchs():
    x, tx = both(GRID)
    same_error(lambda: x.movedim((0, 1), (1,)), lambda: tx.movedim((0, 1), (1,)))
    same_error(lambda: x.movedim((0, 0), (1, 2)), lambda: tx.movedim((0, 0), (1, 2)))
    same_error(lambda: x.flip(0, 0), lambda: tx.flip(0, 0))
    same_error(lambda: x.flip(3), lambda: tx.flip(3))
    same_error(lambda: x.flip(), lambda: tx.flip())
    same_error(lambda: x.flip(0, dims=(1,)), lambda: tx.flip(0, dims=(1,)))


def test_glu_odd_dim_and_bad_prelu_are_torchs_errors():
    x, tx = both(np.ones((3, 5)))
    same_error(lambda: lego.nn.functional.glu(x, 1), lambda: torch.nn.functional.glu(tx, 1))
    w, tw = both([0.1, 0.2])
    same_error(lambda: lego.nn.functional.prelu(x, w), lambda: torch.nn.functional.prelu(tx, tw))


# *** 3. histograms and grids ***


def test_histogram_histc_and_bincount_match_torch():
    data = RNG.standard_normal(200)
    x, tx = both(data, "float32")
    for bins in (1, 7, 30):
        h, th = lego.histogram(x, bins), torch.histogram(tx, bins)
        assert_close(h[0], th[0], atol=0)
        assert_close(h[1], th[1], atol=float(np.finfo(np.float32).eps) * 4)
        assert_close(lego.histc(x, bins), torch.histc(tx, bins), atol=0)
        assert_close(lego.histc(x, bins, -1, 1), torch.histc(tx, bins, -1, 1), atol=0)
    edges, tedges = both([-1.0, 0.0, 0.5, 2.0], "float32")
    assert_close(lego.histogram(x, edges)[0], torch.histogram(tx, tedges)[0], atol=0)
    w, tw = both(np.abs(data), "float32")
    # a float32 sum of up to K = 200 weights on either side, in different orders
    bound = 2 * 200 * float(np.finfo(np.float32).eps) * float(np.abs(data).sum())
    assert_close(lego.histogram(x, 5, range=(-1.0, 1.0), weight=w)[0],
                 torch.histogram(tx, 5, range=(-1.0, 1.0), weight=tw)[0], atol=bound)
    # torch's return type names its fields; density divides by the count and the bin width
    ours, ref = lego.histogram(x, 4, density=True), torch.histogram(tx, 4, density=True)
    assert_close(ours.hist, ref.hist, atol=4 * float(np.finfo(np.float32).eps))
    assert_close(ours.bin_edges, ref.bin_edges, atol=float(np.finfo(np.float32).eps) * 4)
    i, ti = both([0, 3, 3, 1, 0, 3], "int64")
    assert_close(lego.bincount(i), torch.bincount(ti), atol=0)
    assert_close(lego.bincount(i, minlength=6), torch.bincount(ti, minlength=6), atol=0)
    same_error(lambda: lego.histc(i), lambda: torch.histc(ti))


def test_meshgrid_and_stacks_match_torch():
    a, ta = both([1.0, 2.0, 3.0])
    b, tb = both([4.0, 5.0])
    for indexing in ("ij", "xy"):
        for ours, ref in zip(lego.meshgrid(a, b, indexing=indexing),
                             torch.meshgrid(ta, tb, indexing=indexing)):
            assert_close(ours, ref)
    m, tm = both(np.arange(6.0).reshape(2, 3))
    for name in ("hstack", "vstack", "dstack", "column_stack"):
        assert_close(getattr(lego, name)([m, m]), getattr(torch, name)([tm, tm]))
        assert_close(getattr(lego, name)([a, a]), getattr(torch, name)([ta, ta]))


# *** 4. indexing: ranges, bools, and values with leading size-1 dims ***

KEYS = {"range": range(0, 2), "range past the end": range(1, 3),
        "range step": (slice(None), range(0, 4, 2)), "True": True, "False": False,
        "None True": (None, True), "True int": (True, 1), "empty range": range(0)}


@pytest.mark.parametrize("key", KEYS)
def test_getitem_with_ranges_and_bools_matches_torch(key):
    x, tx = both(GRID)
    try:
        ref = tx[KEYS[key]]
    except IndexError:
        with pytest.raises(IndexError):
            x[KEYS[key]]
        return
    assert_close(x[KEYS[key]], ref)


def test_setitem_with_a_range_and_leading_ones_matches_torch():
    for key, value in ((range(0, 2), np.ones((1, 1, 3, 4))), ((0, range(1, 3)), np.ones((1, 2, 4))),
                       ((slice(None), 1), np.full((1, 2, 4), 7.0)), (0, np.ones((1, 3, 1)))):
        x, tx = both(GRID)
        v, tv = both(value)
        x[key] = v
        tx[key] = tv
        assert_close(x, tx)
    x, tx = both(GRID)
    v, tv = both(np.ones((2, 3, 4)))
    same_error(lambda: x.__setitem__(0, v), lambda: tx.__setitem__(0, tv))


# *** 5. nn modules and in-place operators ***

MODULES = ["ReLU6()", "ReLU6(inplace=True)", "Hardtanh(-2.0, 0.5)", "Hardswish()",
           "Hardsigmoid()", "CELU(0.5)", "SELU()", "Softsign()", "Mish()", "ELU(alpha=0.3)",
           "LeakyReLU(0.2)", "Softplus(2.0, 5.0)", "Threshold(0.1, 20.0)", "Tanhshrink()",
           "Softshrink(0.3)", "Hardshrink()", "GLU(0)", "Softmin(1)", "LogSigmoid()", "PReLU()"]


@pytest.mark.parametrize("spec", MODULES)
def test_activation_modules_match_torch(spec):
    ours, ref = eval(f"lego.nn.{spec}"), eval(f"torch.nn.{spec}")
    assert repr(ours) == repr(ref)
    x, tx = both(POINTS.reshape(4, 5), requires_grad=False)
    x, tx = x.float(), tx.float()
    assert_close(ours(x.clone()), ref(tx.clone()), atol=8 * float(np.finfo(np.float32).eps) * 13)


def test_distance_modules_match_torch():
    x, tx = both(POINTS.reshape(4, 5))
    y, ty = both(POINTS.reshape(4, 5)[::-1].copy())
    assert_close(lego.nn.CosineSimilarity()(x, y), torch.nn.CosineSimilarity()(tx, ty))
    assert_close(lego.nn.PairwiseDistance()(x, y), torch.nn.PairwiseDistance()(tx, ty))


INPLACE = ["//=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>=", "+=", "*="]


@pytest.mark.parametrize("op, dtype", [(op, dtype) for op in INPLACE
                                       for dtype in ("int64", "float32", "bool")
                                       if (op, dtype) != ("**=", "bool")])  # ch2 has no bool pow
def test_inplace_operators_match_torch_or_raise_its_error(op, dtype):
    values = {"int64": [5, -6, 7, 3], "float32": [1.5, -2.25, 3.0, 0.5],
              "bool": [True, False, True, False]}[dtype]
    other = {"int64": 3, "float32": 2, "bool": True}[dtype]
    x, tx = both(values, dtype)
    alias = x
    code = f"t {op} o"

    def run(t, o):
        scope = {"t": t, "o": o}
        exec(code, scope)
        return scope["t"]
    try:
        ref = run(tx, other)
    except Exception as e:
        with pytest.raises(type(e)):
            run(x, other)
        return
    ours = run(x, other)
    assert ours is alias  # in place: the same tensor object, its memory rewritten
    assert_close(ours, ref, atol=0)


def test_inplace_errors_name_torchs_problem():
    leaf, tleaf = both([1.0, 2.0], requires_grad=True)
    for op in ("//=", "%=", "**="):
        code = f"t {op} 2"
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            exec(code, {"t": tleaf})
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            exec(code, {"t": leaf})
    i, ti = both([5, 6], "int64")
    with pytest.raises(RuntimeError, match="can't be cast"):
        exec("t **= 0.5", {"t": ti})
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                       "output type Long"):
        exec("t **= 0.5", {"t": i})
    for op in ("&=", "|=", "^=", "<<=", ">>="):  # the result type is checked before the kernel
        for t in (ti, i):
            with pytest.raises(RuntimeError, match="result type Float can't be cast to the "
                               "desired output type Long"):
                exec(f"t {op} 1.5", {"t": t})


def test_inplace_ops_on_a_non_leaf_keep_gradients_as_torch():
    x, tx = both(POINTS[:6], requires_grad=True)
    for t in (x, tx):
        y = t * 1.0
        y **= 2
        y %= 1.5
        y.sum().backward()
    assert_close(x.grad, tx.grad)


# *** 6. losses, pooling, einsum and the rest of the survey ***

LOSSES = {
    "smooth_l1": lambda m, x, y: m.nn.functional.smooth_l1_loss(x, y, beta=0.5),
    "smooth_l1 beta 0": lambda m, x, y: m.nn.functional.smooth_l1_loss(x, y, beta=0.0,
                                                                        reduction="sum"),
    "huber": lambda m, x, y: m.nn.functional.huber_loss(x, y, delta=0.7, reduction="none"),
    "kl_div": lambda m, x, y: m.nn.functional.kl_div(x.log_softmax(-1), y.softmax(-1),
                                                     reduction="batchmean"),
    "kl_div zero target": lambda m, x, y: m.nn.functional.kl_div(
        x.log_softmax(-1), y.relu() / (y.relu().sum(-1, keepdim=True) + 1), reduction="sum"),
    "kl_div log_target": lambda m, x, y: m.nn.functional.kl_div(
        x.log_softmax(-1), y.log_softmax(-1), reduction="sum", log_target=True),
    "margin_ranking": lambda m, x, y: m.nn.functional.margin_ranking_loss(
        x, y, (x * 3).sign(), 0.2),
    "NLLLoss": lambda m, x, y: m.nn.NLLLoss(ignore_index=1)(x.log_softmax(-1),
                                                             m.tensor([0, 1, 3, 2])),
    "L1Loss": lambda m, x, y: m.nn.L1Loss(reduction="sum")(x, y),
    "BCELoss": lambda m, x, y: m.nn.BCELoss()(x.sigmoid(), y.sigmoid()),
    "BCEWithLogitsLoss": lambda m, x, y: m.nn.BCEWithLogitsLoss()(x, y.sigmoid()),
    "SmoothL1Loss": lambda m, x, y: m.nn.SmoothL1Loss(beta=0.3)(x, y),
    "HuberLoss": lambda m, x, y: m.nn.HuberLoss(delta=2.0)(x, y),
    "KLDivLoss": lambda m, x, y: m.nn.KLDivLoss(reduction="batchmean")(x.log_softmax(-1),
                                                                       y.softmax(-1)),
    "MarginRankingLoss": lambda m, x, y: m.nn.MarginRankingLoss(0.1)(x, y, (x - y).sign()),
    "max_pool1d": lambda m, x, y: m.nn.functional.max_pool1d(x.unsqueeze(0), 2),
    "avg_pool1d": lambda m, x, y: m.nn.AvgPool1d(3, 1, 1)(x.unsqueeze(0)),
    "adaptive_avg_pool1d": lambda m, x, y: m.nn.functional.adaptive_avg_pool1d(x, 3),
    "adaptive_avg_pool2d": lambda m, x, y: m.nn.AdaptiveAvgPool2d((3, 2))(x.reshape(1, 1, 4, 5)),
    "adaptive_avg_pool2d global": lambda m, x, y: m.nn.functional.adaptive_avg_pool2d(
        x.reshape(1, 2, 2, 5), 1),
    "adaptive_max_pool2d": lambda m, x, y: m.nn.AdaptiveMaxPool2d((2, None))(
        x.reshape(1, 1, 4, 5)),
    "einsum": lambda m, x, y: m.einsum("ij,kj->ik", x, y),
    "einsum implicit": lambda m, x, y: m.einsum("ij,ij", x, y),
    "einsum batch": lambda m, x, y: m.einsum("bi,bj->bij", x, y),
}


@pytest.mark.parametrize("case", LOSSES)
def test_losses_pools_and_einsum_match_torch(case):
    # y sits on x's kinks: differences of exactly 0, +-0.5 (beta) and +-0.7 (delta) included
    shift = np.array([0.0, 0.5, -0.5, 0.7, -0.7, 1.0, 0.2, -2.0, 0.0, 0.3] * 2)
    x, tx = both(POINTS.reshape(4, 5), requires_grad=True)
    y, ty = both((POINTS + shift).reshape(4, 5), requires_grad=True)
    ours, ref = LOSSES[case](lego, x, y), LOSSES[case](torch, tx, ty)
    if ours.ndim and tuple(ours.shape) != tuple(ref.shape):
        raise AssertionError(f"shape {tuple(ours.shape)} != {tuple(ref.shape)}")
    assert_close(ours, ref)
    weights = np.linspace(-1, 2, ref.numel()).reshape(tuple(ref.shape))
    (ours * lego.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    for leaf, tleaf in ((x, tx), (y, ty)):
        if tleaf.grad is None:
            assert leaf.grad is None
        else:
            assert_close(leaf.grad, tleaf.grad)


def test_loss_and_pool_modules_print_as_torch():
    for spec in ("NLLLoss()", "L1Loss()", "BCELoss()", "BCEWithLogitsLoss()", "HuberLoss()",
                 "SmoothL1Loss()", "KLDivLoss()", "MarginRankingLoss()", "MaxPool1d(2)",
                 "AvgPool1d(3)", "AdaptiveAvgPool2d((2, None))", "AdaptiveAvgPool1d(3)",
                 "AdaptiveMaxPool2d(1)"):
        assert repr(eval(f"lego.nn.{spec}")) == repr(eval(f"torch.nn.{spec}"))


def test_einsum_errors_and_survey_odds_and_ends():
    a, ta = both(np.ones((2, 3)))
    same_error(lambda: lego.einsum("ijk->i", a), lambda: torch.einsum("ijk->i", ta))
    same_error(lambda: lego.einsum("ij,jk->ik", a), lambda: torch.einsum("ij,jk->ik", ta))
    if lego is not torch:  # torch's pins (or, with no accelerator, refuses); ours is host memory
        assert a.pin_memory() is a and not a.is_pinned()
    assert_close(lego.clamp_min(a * 3, 4.0), torch.clamp_min(ta * 3, 4.0))
    assert_close(lego.clamp_max(a * 3, 2.0), torch.clamp_max(ta * 3, 2.0))
    # bernoulli: exact at p = 0 and 1; at p = 0.3 the mean of n draws is within 5 standard
    # deviations, sqrt(p (1 - p) / n), of p
    assert lego.zeros(100).bernoulli().sum().item() == 0
    assert lego.ones(100).bernoulli().sum().item() == 100
    n = 100000
    draws = lego.full((n,), 0.3).bernoulli()
    assert draws.dtype == lego.float32
    assert abs(draws.mean().item() - 0.3) < 5 * (0.3 * 0.7 / n) ** 0.5


STATS = {
    "median": lambda m, x: x.median(), "median dim": lambda m, x: x.reshape(4, 5).median(1)[0],
    "median indices": lambda m, x: x.reshape(4, 5).median(0, keepdim=True)[1],
    "kthvalue": lambda m, x: x.reshape(4, 5).kthvalue(2, 1)[0],
    "kthvalue index": lambda m, x: m.kthvalue(x.reshape(4, 5), 4, 0, True)[1],
    "quantile": lambda m, x: x.quantile(0.3), "quantile dim": lambda m, x: m.quantile(
        x.reshape(4, 5), m.tensor([0.1, 0.5, 1.0], dtype=m.float64), dim=1, keepdim=True),
    "scatter src": lambda m, x: x.reshape(4, 5).scatter(1, m.tensor([[4, 0], [1, 3]]),
                                                        x[:4].reshape(2, 2) * 10),
    "scatter value": lambda m, x: x.reshape(4, 5).scatter(0, m.tensor([[3, 0, 2]]), -7.0),
    "diag vector": lambda m, x: m.diag(x[:4], 1), "diag matrix": lambda m, x: m.diag(
        x.reshape(4, 5), -1),
}


@pytest.mark.parametrize("case", STATS)
def test_order_statistics_scatter_and_diag_match_torch(case):
    x, tx = both(POINTS + np.arange(20) * 1e-3, requires_grad=True)  # distinct values
    ours, ref = STATS[case](lego, x), STATS[case](torch, tx)
    assert_close(ours, ref)
    if ref.dtype.is_floating_point:
        weights = np.linspace(-1, 2, ref.numel()).reshape(tuple(ref.shape))
        (ours * lego.tensor(weights)).sum().backward()
        (ref * torch.tensor(weights)).sum().backward()
        assert_close(x.grad, tx.grad)


def test_host_side_helpers_match_torch():
    v, tv = both([3, 1, 2, 3, 3, 0], "int64")
    for kwargs in ({}, {"return_inverse": True}, {"return_counts": True},
                   {"return_inverse": True, "return_counts": True}):
        ours, ref = lego.unique(v, **kwargs), torch.unique(tv, **kwargs)
        for a, b in zip(ours if isinstance(ours, tuple) else (ours,),
                        ref if isinstance(ref, tuple) else (ref,)):
            assert_close(a, b, atol=0)
    s, ts = both([1.0, 2.0, 2.0, 5.0])
    q, tq = both([[0.5, 2.0], [2.0, 9.0]])
    for right in (False, True):
        assert_close(lego.searchsorted(s, q, right=right), torch.searchsorted(ts, tq,
                                                                              right=right))
        assert_close(lego.bucketize(q, s, right=right), torch.bucketize(tq, ts, right=right))
    assert_close(lego.isin(v, lego.tensor([3, 0])), torch.isin(tv, torch.tensor([3, 0])))
    assert_close(lego.argwhere(v > 1), torch.argwhere(tv > 1))
    assert_close(lego.triu_indices(3, 4, 1), torch.triu_indices(3, 4, 1))
    x, tx = both(np.zeros((3, 4)))
    x.scatter_(1, lego.tensor([[1], [2], [3]]), 1.5)
    tx.scatter_(1, torch.tensor([[1], [2], [3]]), 1.5)
    assert_close(x, tx)


def test_exp2_is_within_a_few_ulps_over_the_whole_float32_range():
    # e^(x ln 2) would round x ln 2 first: |x ln 2| / 2 ulps off near the ends of the range (40
    # at x = 120). Ours splits off the integer part: the float32 exp's ulps (numpy's is within 3)
    # and one rounding of f ln 2, |f| <= 1/2
    rng = np.random.default_rng(7)
    a = np.concatenate([rng.uniform(-150, 128, 4000), [127.6, 128.0, -149.0, -149.3, -150.0,
                                                       0.0, 1e-8, np.inf, -np.inf, 1e30,
                                                       -1e30]]).astype(np.float32)
    with np.errstate(over="ignore"):
        truth = np.exp2(a.astype(np.float64)).astype(np.float32)  # rounded: inf past the range
    ours = np.array(lego.exp2(lego.tensor(a)).double().tolist())
    finite = np.isfinite(truth)
    assert (ours[~finite] == truth[~finite]).all()
    ulps = np.spacing(np.abs(truth[finite])).astype(np.float64)
    err = np.abs(ours[finite] - truth[finite].astype(np.float64))
    assert (err <= 4 * ulps).all(), a[finite][err > 4 * ulps][:5]
    x, tx = both([0.3, -2.0, 5.5], "float32", requires_grad=True)
    lego.exp2(x).sum().backward()
    torch.exp2(tx).sum().backward()
    assert_close(x.grad, tx.grad, atol=4 * 45.3 * float(np.finfo(np.float32).eps))


def test_numpy_scalars_are_numbers_on_either_side_as_torch():
    # np.float64 subclasses float, yet is no kernel's number; and numpy must defer to the tensor
    # (torch's __array_priority__) rather than make an array of it
    x, tx = both([1.5, -2.0], "float32")
    for f in (lambda t: t * np.float64(2), lambda t: np.float64(2) * t,
              lambda t: np.float32(1) - t, lambda t: t / np.sqrt(4.0), lambda t: t ** np.int64(2),
              lambda t: t.clamp(np.float64(-1)), lambda t: (t > 0) | True,
              lambda t: t.long() ^ np.int32(1)):
        ours, ref = f(x), f(tx)
        assert isinstance(ours, lego.Tensor)
        assert_close(ours, ref, atol=0)


def test_clipped_activations_keep_an_int_dtype_and_refuse_bool_as_torch():
    for name, args in (("relu6", ()), ("hardtanh", (-1.5, 1.5))):
        for dtype in ("int64", "int32"):
            x, tx = both([-3, 0, 1, 9], dtype)
            assert_close(getattr(lego.nn.functional, name)(x, *args),
                         getattr(torch.nn.functional, name)(tx, *args), atol=0)
        ours, ref = getattr(lego.nn.functional, name), getattr(torch.nn.functional, name)
        b, tb = both([True, False], "bool")
        with pytest.raises(Exception) as theirs:
            ref(tb, *args)
        with pytest.raises(type(theirs.value), match="Bool inputs not supported"):
            ours(b, *args)
    x, tx = both([1.0])
    same_error(lambda: lego.nn.functional.celu(x, 0.0), lambda: torch.nn.functional.celu(tx, 0.0))


ACCURATE_NEAR_ZERO = {  # name: numpy's float64 function (within an ulp), the domain
    "log1p": (np.log1p, lambda x: np.abs(x)), "expm1": (np.expm1, lambda x: np.clip(x, -100, 80)),
    "sinh": (np.sinh, lambda x: np.clip(x, -80, 80)), "asinh": (np.arcsinh, lambda x: x),
    "acosh": (np.arccosh, lambda x: 1 + np.abs(x)),
    "atanh": (np.arctanh, lambda x: np.clip(x, -1, 1) * 0.9999),
}


@pytest.mark.parametrize("name", ACCURATE_NEAR_ZERO)
def test_functions_that_cancel_near_zero_are_within_a_few_float32_ulps(name):
    # log(1 + x), exp(x) - 1, exp(x) - exp(-x) and friends, computed as written, lose every
    # digit for tiny x (log1p(1e-8) was 0, sinh(1e-6) 5% off); ours are exact to the float32
    # result's rounding plus a few roundings of terms no larger than it: 4 ulps
    truth_fn, domain = ACCURATE_NEAR_ZERO[name]
    rng = np.random.default_rng(11)
    a = np.sign(rng.standard_normal(3000)) * 10.0 ** rng.uniform(-30, 30, 3000)
    x = np.concatenate([domain(a), [0.0, 1e-45]]).astype(np.float32)
    if name in ("acosh", "log1p"):
        x = x[x >= (1 if name == "acosh" else 0)]
    with np.errstate(all="ignore"):
        truth = truth_fn(x.astype(np.float64)).astype(np.float32)
    ours = np.array(getattr(lego.tensor(x), name)().tolist(), dtype=np.float64)
    finite = np.isfinite(truth)
    assert (ours[~finite] == truth[~finite]).all()
    ulps = np.spacing(np.abs(truth[finite])).astype(np.float64)
    err = np.abs(ours[finite] - truth[finite].astype(np.float64))
    assert (err <= 4 * ulps).all(), x[finite][err > 4 * ulps][:5]


def test_log1p_and_expm1_gradients_are_the_formulas_to_second_order():
    x, tx = both([1e-15, 1e-8, -0.5, 3.0], requires_grad=True)
    for t, m in ((x, lego), (tx, torch)):
        g, = m.autograd.grad(t.log1p().sum() + t.expm1().sum(), t, create_graph=True)
        g2, = m.autograd.grad(g.sum(), t)
        t.first, t.second = g, g2
    assert_close(x.first, tx.first)
    assert_close(x.second, tx.second)



def test_fmax_fmin_ignore_a_nan_and_diff_of_bools_as_torch():
    a, ta = both([1.0, np.nan, np.nan, -2.0])
    b, tb = both([np.nan, 3.0, np.nan, 5.0])
    assert_close(lego.fmax(a, b), torch.fmax(ta, tb), atol=0)
    assert_close(lego.fmin(a, b), torch.fmin(ta, tb), atol=0)
    c, tc = both([True, True, False, True], "bool")
    assert_close(c.diff(), tc.diff(), atol=0)
    inf, tinf = both([np.inf, -np.inf, 1.0])
    assert_close(lego.logaddexp(inf, inf), torch.logaddexp(tinf, tinf), atol=0)



@pytest.mark.parametrize("spatial", [1, 2, 3])
def test_channel_dropout_drops_whole_channels_as_torch(spatial):
    # torch's and ours draw different random numbers: compare what must hold for any draw.
    # Each (sample, channel) is all 0 or all 1/(1-p); over 8 x 64 channels the dropped
    # fraction is within 5 standard deviations, sqrt(p (1 - p) / 512), of p
    p, shape = 0.3, (8, 64) + (3,) * spatial
    for m in (lego, torch):
        layer = getattr(m.nn, f"Dropout{spatial}d")(p)
        assert repr(layer) == f"Dropout{spatial}d(p=0.3, inplace=False)"
        y = layer(m.ones(*shape)).reshape(8, 64, -1)
        dropped, kept = (y == 0).all(-1), (y == 1 / (1 - p)).all(-1)
        assert bool((dropped | kept).all())
        assert abs(dropped.double().mean().item() - p) < 5 * (p * (1 - p) / 512) ** 0.5
        x = m.ones(*shape)
        assert layer.eval()(x).equal(x) and m.equal(layer(x), x)
        if spatial == 1:  # torch only warns for the others
            with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
                m.nn.functional.dropout1d(m.ones(2, 2, 2, 2))


def test_dropout_inplace_and_unflatten_as_torch():
    for m in (lego, torch):
        x = m.ones(4, 100)
        y = m.nn.functional.dropout(x, 0.5, True, inplace=True)
        assert y is x and bool(((x == 0) | (x == 2)).all())
    x, tx = both(np.arange(30.0).reshape(3, 10))
    ours, ref = lego.nn.Unflatten(1, (2, 5)), torch.nn.Unflatten(1, (2, 5))
    assert repr(ours) == repr(ref)
    assert_close(ours(x), ref(tx), atol=0)


@pytest.mark.parametrize("groups, affine", [(1, True), (2, True), (4, False)])
def test_group_norm_values_and_gradients_match_torch(groups, affine):
    # each group's mean and variance are sums of K = 2 * 4 / groups * 3 <= 24 terms below 64, and
    # a dozen more float64 ops follow, on values below 64: within 2 (K + 12) 64 eps64 of each other
    x, tx = both(np.concatenate([POINTS, POINTS[:4]]).reshape(1, 8, 3), requires_grad=True)
    ours_layer, ref_layer = lego.nn.GroupNorm(groups, 8, affine=affine), \
        torch.nn.GroupNorm(groups, 8, affine=affine)
    assert repr(ours_layer) == repr(ref_layer)
    ours_layer.double(), ref_layer.double()
    if affine:
        w = np.linspace(0.5, 2.0, 8)
        ours_layer.load_state_dict({"weight": lego.tensor(w), "bias": lego.tensor(w - 1)})
        ref_layer.load_state_dict({"weight": torch.tensor(w), "bias": torch.tensor(w - 1)})
    ours, ref = ours_layer(x), ref_layer(tx)
    atol = 2 * (24 + 12) * 64 * float(np.finfo(np.float64).eps)
    assert_close(ours, ref, atol=atol)
    weights = np.linspace(-1, 2, 24).reshape(1, 8, 3)
    (ours * lego.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad, atol=atol)
    if affine:
        assert_close(ours_layer.weight.grad, ref_layer.weight.grad, atol=atol)
    same_error(lambda: lego.nn.functional.group_norm(x, 3), lambda: torch.nn.functional.group_norm(
        tx, 3))


INTERPOLATE = [((1, 2, 5), {"scale_factor": 2}), ((1, 2, 5), {"size": 7}),
               ((1, 2, 5), {"size": 3}), ((1, 2, 5), {"scale_factor": 1.7}),
               ((2, 3, 4, 5), {"scale_factor": 2, "mode": "bilinear"}),
               ((2, 3, 4, 5), {"size": (7, 3), "mode": "bilinear", "align_corners": True}),
               ((2, 3, 4, 5), {"size": (7, 3), "mode": "bilinear", "align_corners": False}),
               ((2, 3, 4, 5), {"scale_factor": (1.5, 0.5), "mode": "bilinear"}),
               ((1, 2, 5), {"scale_factor": 2.5, "mode": "linear"}),
               ((1, 1, 3, 4, 5), {"size": (5, 2, 6), "mode": "trilinear"}),
               ((1, 1, 3, 4, 5), {"scale_factor": 2}),
               ((2, 3, 4, 5), {"size": 1, "mode": "bilinear", "align_corners": True})]


@pytest.mark.parametrize("shape, kwargs", INTERPOLATE, ids=[str(c) for c in INTERPOLATE])
def test_interpolate_values_and_gradients_match_torch(shape, kwargs):
    # each output blends at most 2^3 inputs (below 5 in size) with weights in [0, 1]: a dozen
    # float64 operations on values below 64, as the module's ATOL assumes
    a = np.random.default_rng(len(str(kwargs))).standard_normal(shape)
    x, tx = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ours = lego.nn.functional.interpolate(x, **kwargs)
    ref = torch.nn.functional.interpolate(tx, **kwargs)
    assert_close(ours, ref)
    weights = np.linspace(-1, 2, ref.numel()).reshape(tuple(ref.shape))
    (ours * lego.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    assert_close(x.grad, tx.grad)


def test_upsample_module_and_interpolate_errors_as_torch():
    for spec in ("Upsample(scale_factor=2)", "Upsample(size=(3, 4), mode='bilinear')",
                 "Upsample(scale_factor=(2, 1.5), mode='bilinear', align_corners=True)"):
        ours, ref = eval(f"lego.nn.{spec}"), eval(f"torch.nn.{spec}")
        assert repr(ours) == repr(ref)
        a = np.arange(24.0).reshape(1, 2, 3, 4)
        assert_close(ours(lego.tensor(a)), ref(torch.tensor(a)))
    x, tx = both(np.ones((1, 2, 3)))
    same_error(lambda: lego.nn.functional.interpolate(x),
               lambda: torch.nn.functional.interpolate(tx))
    same_error(lambda: lego.nn.functional.interpolate(x, (2, 2)),
               lambda: torch.nn.functional.interpolate(tx, (2, 2)))
    same_error(lambda: lego.nn.functional.interpolate(x, 2, align_corners=True),
               lambda: torch.nn.functional.interpolate(tx, 2, align_corners=True))
