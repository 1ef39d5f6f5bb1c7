"""A differential edge-case suite against torch, in the spirit of PyTorch's OpInfo (issue 11).

Each case is one line: a name and a function of the library module `m` (torch or ch2_lego, with
`F = m.nn.functional`). The case runs on both and its outcome is classified:

- same result: both return, with equal structure, dtypes and shapes, and values within the
  error bound of a few float ops on the inputs (see `_bound`), nan where torch has nan;
- both raise: ch2_lego's exception is an instance of torch's class (our named errors subclass
  the builtin torch raises, errors.py);
- documented: a difference we keep on purpose, listed with its reason in DOCUMENTED;
- defect: anything else (a value where torch raises, a raise where torch returns, another
  class, another value). The suite asserts there is none.

Inputs are boundary values: empty and 0-d tensors, nan and infinities, huge and tiny numbers,
negative and out-of-range dims, wrong dtypes, broadcasting edges, aliasing, autograd, nn, optim.
"""

import importlib
import io
import math
import operator
import os
import traceback

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

# edge cases warn by design (torch: degrees of freedom <= 0, numpy: nan - nan, ...)
pytestmark = [pytest.mark.sec_2_16, pytest.mark.filterwarnings("ignore")]

NAN, INF = math.nan, math.inf
SPECIAL = [0.0, -0.0, 1.0, -1.5, NAN, INF, -INF, 1e-45, 3e38, -3e38, 0.5, 7.0]


def t(m, data, dtype="float32", grad=False):
    return m.tensor(data, dtype=getattr(m, dtype), requires_grad=grad)


def grad_of(m, fn, data, dtype="float64"):
    """The gradient of fn(x).sum() at x = data."""
    x = t(m, data, dtype, grad=True)
    fn(x).sum().backward()
    return x.grad


def step(m, opt_name, **kw):
    """One optimizer step on a 2-parameter model from fixed weights; the new weights."""
    w = m.nn.Parameter(t(m, [[1.0, -2.0], [0.5, 3.0]], "float64"))
    opt = getattr(m.optim, opt_name)([w], **kw)
    ((w @ t(m, [1.0, 2.0], "float64")) ** 2).sum().backward()
    opt.step()
    return w.detach()


def round_trip(m, obj):
    buf = io.BytesIO()
    m.save(obj, buf)
    buf.seek(0)
    return m.load(buf)


def method(op, make, *args):
    """A case: make(m) (an input tensor), then its method `op` called with args."""
    return lambda m: getattr(make(m), op)(*args)


def binary(op, make_a, make_b):
    return lambda m: getattr(make_a(m), op)(make_b(m))


UNARY = ["exp", "log", "sqrt", "tanh", "sigmoid", "abs", "neg", "sign", "floor", "ceil",
         "round", "relu", "sin", "cos", "reciprocal", "rsqrt", "log1p", "expm1", "square",
         "trunc", "log2", "isnan", "isinf", "isfinite", "erf"]
UNARY_INPUTS = {
    "": lambda m: t(m, SPECIAL),
    "_empty": lambda m: m.ones(0, 3),
    "_0d_f64": lambda m: t(m, 0.25, "float64"),
}
CASES = {f"unary_{op}{suffix}": method(op, make)
         for op in UNARY for suffix, make in UNARY_INPUTS.items()}

REDUCTIONS = ["sum", "mean", "amax", "amin", "prod", "var", "std", "norm", "logsumexp",
              "argmax", "argmin", "all", "any"]
REDUCTION_INPUTS = {  # suffix: (input, dim)
    "_dim1": (lambda m: t(m, [[1.0, NAN, 3.0], [4.0, 5.0, -6.0]]), 1),
    "_dim_neg": (lambda m: t(m, [[1.0, 2.0], [-3.0, 4.0]]), -1),
    "_dim_out_of_range": (lambda m: m.ones(2, 3), 2),
    "_dim_too_negative": (lambda m: m.ones(2, 3), -3),
    "_empty_dim": (lambda m: m.ones(0, 3), 1),
    "_0d": (lambda m: t(m, 2.5), 0),
    "_0d_dim_1": (lambda m: t(m, 2.5), 1),
    "_int": (lambda m: m.tensor([[3, 1], [2, 5]]), 1),
}
CASES |= {f"{r}{suffix}": method(r, make, dim)
          for r in REDUCTIONS for suffix, (make, dim) in REDUCTION_INPUTS.items()}

BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "pow", "remainder", "eq", "lt",
          "ge", "ne"]
BINARY_INPUTS = {  # suffix: (a, b)
    "_special": (lambda m: t(m, SPECIAL), lambda m: t(m, SPECIAL[::-1])),
    "_broadcast_0x3_1x3": (lambda m: m.ones(0, 3), lambda m: m.ones(1, 3)),
    "_broadcast_bad": (lambda m: m.ones(2, 3), lambda m: m.ones(2)),
    "_int_float": (lambda m: m.tensor([3, -4]), lambda m: 2.5),
    "_0d_f64_with_f32": (lambda m: t(m, [1.5, 2.0]), lambda m: t(m, 3.0, "float64")),
    "_int_int": (lambda m: m.tensor([7, -7, 0]), lambda m: m.tensor([2, 3, 5])),
}
CASES |= {f"{op}{suffix}": binary(op, a, b)
          for op in BINARY for suffix, (a, b) in BINARY_INPUTS.items()}
SCALAR_FIRST = {"add": operator.add, "sub": operator.sub, "mul": operator.mul,
                "div": operator.truediv, "pow": operator.pow, "remainder": operator.mod,
                "floordiv": operator.floordiv, "xor": operator.xor, "and": operator.and_}


def scalar_first(f, scalar):
    return lambda m: f(scalar, m.tensor([3, 4]))


CASES |= {f"{op}_scalar_first_{type(v).__name__}": scalar_first(f, v)
          for op, f in SCALAR_FIRST.items() for v in (7, 2.5, True)}


def assign_grad(m, value):
    x = t(m, [1.0, 2.0], grad=True)
    x.grad = value(m)


def hooked_backward(m, hook):
    x = t(m, [1.0, 2.0], grad=True)
    x.register_hook(lambda g: hook(m, g))
    (x * 2).sum().backward()


def backward_twice(m):
    y = t(m, [1.0], grad=True).exp().sum()
    y.backward()
    y.backward()


def modified_after_save(m):
    x = t(m, [1.0], grad=True).clone()
    y = x.exp()
    x.data.add_(0)
    y.sum().backward()


def params(m):
    return [m.nn.Parameter(m.ones(2))]


CASES |= {
    # creation
    "tensor_2_63": lambda m: m.tensor([2**63]),
    "tensor_ragged": lambda m: m.tensor([[1, 2], [3]]),
    "tensor_bool_int_mix": lambda m: m.tensor([True, 2]),
    "tensor_int_float_mix": lambda m: m.tensor([1, 2.5]),
    "tensor_str": lambda m: m.tensor("abc"),
    "zeros_float_size": lambda m: m.zeros(2.5),
    "zeros_negative": lambda m: m.zeros(-1),
    "zeros_empty": lambda m: m.zeros(0, 4),
    "ones_tuple": lambda m: m.ones((2, 3)),
    "full_bool": lambda m: m.full((2,), True),
    "full_int": lambda m: m.full((2,), 7),
    "arange_zero_step": lambda m: m.arange(0, 5, 0),
    "arange_wrong_sign": lambda m: m.arange(0, 5, -1),
    "arange_float": lambda m: m.arange(0, 1, 0.1),
    "arange_empty": lambda m: m.arange(3, 3),
    "linspace_negative": lambda m: m.linspace(0, 1, -1),
    "linspace_one": lambda m: m.linspace(2, 5, 1),
    "linspace_zero": lambda m: m.linspace(2, 5, 0),
    "eye_negative": lambda m: m.eye(-1),
    "eye_rect": lambda m: m.eye(2, 3),
    "empty_negative": lambda m: m.empty(2, -3),
    "randn_float_size": lambda m: m.randn(2.0),
    "randn_shape": lambda m: m.randn(2, 0, 3).shape,
    # views and shapes
    "view_float_size": lambda m: m.ones(4).view(2.0, 2),
    "view_two_inferred": lambda m: m.ones(4).view(-1, -1),
    "view_bad_size": lambda m: m.ones(4).view(3, -1),
    "view_noncontig": lambda m: m.ones(2, 3).t().view(6),
    "view_dtype_same_size": lambda m: t(m, [1.0, -2.0]).view(m.int32),
    "view_dtype_bigger": lambda m: t(m, [[1.0, 2.0]]).view(m.float64),
    "view_dtype_odd": lambda m: m.ones(3).view(m.float64),
    "reshape_empty": lambda m: m.ones(0, 3).reshape(3, 0),
    "reshape_0d": lambda m: t(m, 5.0).reshape(1, 1),
    "expand_neg2": lambda m: m.ones(2, 1).expand(2, -2),
    "expand_bad": lambda m: m.ones(2, 3).expand(4, 3),
    "expand_leading_neg": lambda m: m.ones(3).expand(-1, 3),
    "expand_0d": lambda m: t(m, 2.0).expand(3, 2),
    "permute_dup": lambda m: m.ones(2, 3).permute(0, 0),
    "permute_wrong_len": lambda m: m.ones(2, 3).permute(0),
    "transpose_oob": lambda m: m.ones(2, 3).transpose(0, 2),
    "squeeze_oob": lambda m: m.ones(2, 1).squeeze(3),
    "unsqueeze_end": lambda m: m.ones(2).unsqueeze(-1).shape,
    "unsqueeze_oob": lambda m: m.ones(2).unsqueeze(3),
    "flatten_0d": lambda m: t(m, 3.0).flatten(),
    "narrow_negative_length": lambda m: m.ones(4).narrow(0, 0, -1),
    "narrow_past_end": lambda m: m.ones(4).narrow(0, 2, 3),
    "narrow_negative_start": lambda m: m.arange(4).narrow(0, -2, 2),
    "split_zero": lambda m: m.ones(4).split(0),
    "split_zero_empty": lambda m: [x.shape for x in m.ones(0).split(0)],
    "split_sizes_bad": lambda m: m.ones(4).split([1, 2]),
    "split_uneven": lambda m: [x.shape for x in m.ones(5).split(2)],
    "chunk_zero": lambda m: m.ones(4).chunk(0),
    "chunk_more_than_size": lambda m: [x.shape for x in m.ones(2).chunk(5)],
    "unfold_step0": lambda m: m.ones(4).unfold(0, 2, 0),
    "unfold_too_big": lambda m: m.ones(4).unfold(0, 5, 1),
    "unfold_strided": lambda m: m.arange(12.0).reshape(3, 4).t()[1].unfold(0, 2, 1),
    "repeat_too_few": lambda m: m.ones(2, 2).repeat(2),
    "repeat_negative": lambda m: m.ones(2).repeat(-1),
    "repeat_ones": lambda m: m.arange(3).repeat(1, 1),
    "repeat_no_sizes": lambda m: m.ones(3).repeat(),
    "linspace_float_steps": lambda m: m.linspace(0, 1, 2.5),
    "full_nan_int": lambda m: m.full((2,), NAN, dtype=m.int64),
    "full_huge_int": lambda m: m.full((2,), 1e30, dtype=m.int64),
    "full_inf_int32": lambda m: m.full((2,), INF, dtype=m.int32),
    "full_float_int": lambda m: m.full((2,), 2.7, dtype=m.int64),
    "randn_generator_not_one": lambda m: m.randn(2, generator=1),
    "arange_nan": lambda m: m.arange(NAN),
    "arange_inf_end": lambda m: m.arange(0, INF),
    "tril_indices_negative": lambda m: m.tril_indices(-1, 2),
    "triu_indices_negative": lambda m: m.triu_indices(2, -1),
    "multinomial_zero_samples": lambda m: m.multinomial(t(m, [0.5, 0.5]), 0),
    "multinomial_3d": lambda m: m.multinomial(m.ones(2, 2, 2), 1),
    "bernoulli_p_above_1": lambda m: m.bernoulli(t(m, [1.5])),
    "bernoulli_p_below_0": lambda m: t(m, [0.5]).bernoulli(-0.5),
    "bernoulli__p_above_1": lambda m: m.ones(2).bernoulli_(1.5),
    "bernoulli__tensor_p_above_1": lambda m: m.ones(2).bernoulli_(t(m, [0.5, 1.5])),
    "bernoulli__p_1": lambda m: m.ones(2).bernoulli_(1.0),
    "normal_negative_std": lambda m: m.normal(0.0, -1.0, (2,)),
    "normal_negative_std_tensor": lambda m: m.normal(m.zeros(2), t(m, [1.0, -1.0])),
    "normal__negative_std": lambda m: m.ones(2).normal_(0.0, -1.0),
    "uniform__reversed": lambda m: m.ones(3).uniform_(2, 1),
    "cross_entropy_label_smoothing_big": lambda m: m.nn.functional.cross_entropy(
        m.zeros(2, 3), m.tensor([0, 1]), label_smoothing=1.5),
    "backward_empty_inputs": lambda m: (t(m, [1.0], grad=True) * 2).sum().backward(inputs=[]),
    "new_zeros_negative": lambda m: m.ones(3).new_zeros(-1),
    "new_ones_negative": lambda m: m.ones(3).new_ones(2, -3),
    "new_full_negative": lambda m: m.ones(3).new_full((-1,), 2.0),
    "randperm_negative": lambda m: m.randperm(-1),
    "randperm_zero": lambda m: m.randperm(0),
    "roll_full_turn": lambda m: m.arange(5).roll(5),
    "roll_negative": lambda m: m.arange(6).reshape(2, 3).roll(-1, 1),
    "roll_two_dims": lambda m: m.arange(6).reshape(2, 3).roll((1, 1), (0, 1)),
    "roll_empty": lambda m: m.ones(0).roll(3),
    "flip_dup": lambda m: m.ones(2, 2).flip((0, 0)),
    "tril_1d": lambda m: m.ones(3).tril(),
    "tril_offset": lambda m: m.ones(3, 4).tril(-1),
    "triu_big_offset": lambda m: m.ones(3, 3).triu(5),
    "cat_list_operand": lambda m: m.cat([m.ones(2), [1.0, 2.0]]),
    "cat_tensor_operand": lambda m: m.cat(m.ones(2)),
    "cat_empty_list": lambda m: m.cat([]),
    "cat_mismatch": lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)]),
    "cat_dim_oob": lambda m: m.cat([m.ones(2), m.ones(2)], 1),
    "cat_legacy_empty": lambda m: m.cat([m.ones(0), m.ones(2, 3)]),
    "cat_promotes": lambda m: m.cat([m.tensor([1]), t(m, [2.5])]),
    "stack_mismatch": lambda m: m.stack([m.ones(2), m.ones(3)]),
    "stack_empty": lambda m: m.stack([]),
    "stack_neg_dim": lambda m: m.stack([m.ones(2), m.ones(2)], -1),
    # indexing
    "index_oob": lambda m: m.ones(3)[3],
    "index_neg_oob": lambda m: m.ones(3)[-4],
    "index_0d": lambda m: t(m, 1.0)[0],
    "index_too_many": lambda m: m.ones(3)[0, 0],
    "index_tensor_oob": lambda m: m.ones(3)[m.tensor([0, 5])],
    "index_bool_mask": lambda m: m.arange(4)[m.tensor([True, False, True, False])],
    "index_bool_mask_wrong": lambda m: m.arange(4)[m.tensor([True, False])],
    "index_float_tensor": lambda m: m.arange(4)[t(m, [1.0])],
    "index_ellipsis_none": lambda m: m.ones(2, 3)[..., None].shape,
    "index_step_negative": lambda m: m.arange(4)[::-1],
    "index_step_zero": lambda m: m.arange(4)[::0],
    "gather_oob": lambda m: m.ones(2, 2).gather(1, m.tensor([[0, 2], [1, 0]])),
    "gather_float_index": lambda m: m.ones(2, 2).gather(1, t(m, [[0.0, 1.0], [1.0, 0.0]])),
    "index_select_oob": lambda m: m.ones(3).index_select(0, m.tensor([3])),
    "index_select_float_index": lambda m: m.ones(3).index_select(0, t(m, [1.0])),
    "scatter_float_index": lambda m: m.ones(3).scatter(0, t(m, [1.0]), m.ones(1)),
    "scatter_add_float_index": lambda m: m.ones(3).scatter_add(0, t(m, [1.0]), m.ones(1)),
    "squeeze_repeated_dims": lambda m: m.ones(2, 1).squeeze((1, 1)),
    "flip_no_dims": lambda m: m.ones(2, 2).flip(),
    "outer_2d": lambda m: m.outer(m.ones(2, 2), m.ones(2)),
    "einsum_unknown_output": lambda m: m.einsum("ij->k", m.ones(2, 3)),
    "einsum_repeated_output": lambda m: m.einsum("ij->ii", m.ones(2, 2)),
    "index_select_bool_index": lambda m: m.ones(3).index_select(0, m.tensor([True])),
    "index_select_2d_index": lambda m: m.ones(3).index_select(0, m.tensor([[0, 1]])),
    "index_select_0d_index": lambda m: m.arange(3).index_select(0, m.tensor(2)),
    "setitem_broadcast": lambda m: (lambda x: (x.__setitem__(0, m.ones(3)), x)[1])(m.zeros(2, 3)),
    "setitem_bad_shape": lambda m: m.zeros(2, 3).__setitem__(0, m.ones(2)),
    "masked_fill_float_mask": lambda m: m.ones(2).masked_fill(t(m, [1.0, 0.0]), 0.0),
    # dtype rules
    "clamp_int_float_bound": lambda m: m.tensor([1, 2, 3]).clamp(min=1.5),
    "clamp_no_bound": lambda m: m.ones(2).clamp(),
    "clamp_min_gt_max": lambda m: t(m, [1.0, 5.0]).clamp(3.0, 2.0),
    "int_div_int": lambda m: m.tensor([7, -7]) / m.tensor([2, 2]),
    "int_floordiv_zero": lambda m: m.tensor([7]) // m.tensor([0]),
    "int_mod_zero": lambda m: m.tensor([7]) % m.tensor([0]),
    "float_floordiv_zero": lambda m: t(m, [7.0, -7.0, 0.0]) // t(m, [0.0, 0.0, 0.0]),
    "bool_add": lambda m: m.tensor([True]) + m.tensor([True]),
    "bool_sub": lambda m: m.tensor([True]) - m.tensor([True]),
    "bool_neg": lambda m: -m.tensor([True]),
    "bool_xor_int": lambda m: m.tensor([True, False]) ^ m.tensor([3, 1]),
    "int_and_int": lambda m: m.tensor([6, -1]) & m.tensor([3, 5]),
    "int_or_scalar": lambda m: m.tensor([6]) | 1,
    "float_and": lambda m: t(m, [1.0]) & t(m, [1.0]),
    "invert_int": lambda m: ~m.tensor([0, 5, -3]),
    "invert_float": lambda m: ~t(m, [1.0]),
    "pow_int_negative": lambda m: m.tensor([2]) ** -1,
    "pow_zero_zero": lambda m: t(m, [0.0]) ** 0,
    "int_overflow_add": lambda m: m.tensor([2**62]) + m.tensor([2**62]),
    "float64_0d_plus_float32": lambda m: (t(m, [1.0]) + t(m, 2.0, "float64")).dtype,
    "to_bool": lambda m: t(m, [0.0, -0.0, NAN, 0.1]).bool(),
    "nan_to_int": lambda m: t(m, [1.5, -1.5]).long(),
    "cumsum_precision": lambda m: m.full((100_000,), 0.1).cumsum(0)[-1],
    "cumsum_int": lambda m: m.tensor([1, 2, 3]).cumsum(0),
    "cumsum_bool": lambda m: m.tensor([True, True]).cumsum(0),
    "cumsum_empty": lambda m: m.ones(0).cumsum(0),
    "cumsum_dim_oob": lambda m: m.ones(3).cumsum(1),
    "norm_neg_inf": lambda m: t(m, [3.0, 0.5, -2.0]).norm(-INF),
    "norm_zero_p": lambda m: t(m, [3.0, 0.0, -2.0]).norm(0),
    "norm_negative_p_with_zero": lambda m: t(m, [-3.0, 0.0, 2.0]).norm(-1),
    "norm_negative_p": lambda m: t(m, [-3.0, 1.0, 2.0]).norm(-2),
    "norm_negative_p_dim": lambda m: t(m, [[-3.0, 0.0], [1.0, 2.0]]).norm(-1, dim=1),
    "norm_negative_p_grad": lambda m: grad_of(m, lambda x: x.norm(-1.5), [-3.0, 1.0, 2.0]),
    "norm_fractional_p": lambda m: t(m, [-3.0, 0.0, 2.0]).norm(0.5),
    "norm_int": lambda m: m.tensor([3, 4]).norm(),
    "norm_inf_empty": lambda m: m.ones(0).norm(INF),
    "var_one_element": lambda m: t(m, [2.0]).var(),
    "var_int": lambda m: m.tensor([1, 2]).var(),
    "mean_int": lambda m: m.tensor([1, 2]).mean(),
    "max_empty": lambda m: m.ones(0).max(),
    "argmax_empty": lambda m: m.ones(0).argmax(),
    "sort_nan": lambda m: t(m, [3.0, NAN, 1.0, -INF]).sort().values,
    "topk_too_many": lambda m: m.ones(3).topk(4),
    "where_scalars": lambda m: m.where(m.tensor([True, False]), t(m, [1.0, 2.0]), 0.0),
    "matmul_list": lambda m: m.matmul(m.ones(2, 2), [[1.0, 2.0], [3.0, 4.0]]),
    "matmul_op_list": lambda m: m.ones(2, 2) @ [[1.0, 2.0], [3.0, 4.0]],
    "matmul_0d": lambda m: m.matmul(t(m, 2.0), m.ones(2)),
    "matmul_mismatch": lambda m: m.ones(2, 3) @ m.ones(2, 3),
    "matmul_dtype_mix": lambda m: m.ones(2, 2) @ m.ones(2, 2, dtype=m.float64),
    "matmul_empty_k": lambda m: m.ones(2, 0) @ m.ones(0, 3),
    "matmul_batch_broadcast": lambda m: (m.ones(2, 1, 2, 3) @ m.ones(4, 3, 1)).shape,
    "dot_2d": lambda m: m.ones(2, 2).dot(m.ones(2, 2)),
    "mm_1d": lambda m: m.ones(2).mm(m.ones(2, 2)),
    "softmax_all_neg_inf": lambda m: t(m, [-INF, -INF]).softmax(0),
    "softmax_inf": lambda m: t(m, [INF, 1.0]).softmax(0),
    "log_softmax_big": lambda m: t(m, [1e30, -1e30]).log_softmax(0),
    "logsumexp_all_neg_inf": lambda m: t(m, [-INF, -INF]).logsumexp(0),
    "logsumexp_big": lambda m: t(m, [3e38, 3e38]).logsumexp(0),
    "item_of_many": lambda m: m.ones(2).item(),
    "bool_of_many": lambda m: bool(m.ones(2)),
    "float_of_0d": lambda m: float(t(m, 2.5)),
    "int_of_float": lambda m: int(t(m, -2.5)),
    "len_0d": lambda m: len(t(m, 1.0)),
    "iter_0d": lambda m: list(t(m, 1.0)),
    # autograd
    "grad_norm_at_zero": lambda m: grad_of(m, lambda x: x.norm(), [0.0, 0.0]),
    "grad_norm_dim_at_zero": lambda m: grad_of(m, lambda x: x.norm(dim=1), [[0.0, 0.0], [3, 4]]),
    "grad_sqrt_at_zero": lambda m: grad_of(m, lambda x: x.sqrt(), [0.0, 4.0]),
    "grad_abs_at_zero": lambda m: grad_of(m, lambda x: x.abs(), [0.0, -2.0]),
    "grad_relu_at_zero": lambda m: grad_of(m, lambda x: x.relu(), [0.0, -1.0, 2.0]),
    "grad_max_ties": lambda m: grad_of(m, lambda x: x.amax(), [2.0, 2.0, 1.0]),
    "grad_pow_zero_base": lambda m: grad_of(m, lambda x: x**2, [0.0, 3.0]),
    "grad_var": lambda m: grad_of(m, lambda x: x.var(), [1.0, 2.0, 4.0]),
    "grad_std_single": lambda m: grad_of(m, lambda x: x.std(0), [[1.0, 2.0]]),
    "grad_clamp_edges": lambda m: grad_of(m, lambda x: x.clamp(0.0, 1.0), [0.0, 0.5, 1.0, 2.0]),
    "grad_cumsum": lambda m: grad_of(m, lambda x: x.cumsum(0) * x.detach(), [1.0, 2.0, 3.0]),
    "grad_through_long": lambda m: t(m, [1.0], grad=True).long().requires_grad,
    "grad_through_argmax": lambda m: t(m, [1.0, 2.0], grad=True).argmax().requires_grad,
    "grad_through_compare": lambda m: (t(m, [1.0], grad=True) > 0).requires_grad,
    "grad_int_leaf": lambda m: m.tensor([1, 2], requires_grad=True),
    "grad_non_scalar": lambda m: (t(m, [1.0, 2.0], grad=True) * 2).backward(),
    "grad_twice": backward_twice,
    "grad_no_grad_leaf": lambda m: t(m, [1.0]).sum().backward(),
    "grad_assign_wrong_shape": lambda m: assign_grad(m, lambda m: m.ones(3)),
    "grad_assign_wrong_dtype": lambda m: assign_grad(m, lambda m: m.ones(2, dtype=m.float64)),
    "grad_assign_int": lambda m: assign_grad(m, lambda m: m.ones(2, dtype=m.int64)),
    "grad_assign_not_tensor": lambda m: assign_grad(m, lambda m: [1.0, 2.0]),
    "grad_assign_none": lambda m: assign_grad(m, lambda m: None),
    "hook_wrong_shape": lambda m: hooked_backward(m, lambda m, g: m.ones(3)),
    "hook_wrong_dtype": lambda m: hooked_backward(m, lambda m, g: g.double()),
    "hook_scaling": lambda m: hooked_backward(m, lambda m, g: g * 2),
    "hook_on_no_grad": lambda m: t(m, [1.0]).register_hook(lambda g: g),
    "inplace_on_leaf": lambda m: t(m, [1.0], grad=True).add_(1.0),
    "inplace_saved_modified": modified_after_save,
    "autograd_grad_unused": lambda m: m.autograd.grad(t(m, [1.0], grad=True).sum(),
                                                      t(m, [2.0], grad=True)),
    "requires_grad_non_leaf": lambda m: (t(m, [1.0], grad=True) * 2).requires_grad_(False),
    # nn
    "linear_zero_in": lambda m: m.nn.Linear(0, 3)(m.ones(2, 0)) * 0,
    "linear_negative": lambda m: m.nn.Linear(-1, 3),
    "linear_wrong_input": lambda m: m.nn.Linear(3, 2)(m.ones(2, 4)),
    "linear_int_input": lambda m: m.nn.Linear(2, 2)(m.ones(1, 2, dtype=m.int64)),
    "embedding_zero": lambda m: m.nn.Embedding(0, 3).weight.shape,
    "embedding_oob": lambda m: m.nn.Embedding(3, 2)(m.tensor([3])),
    "embedding_float_index": lambda m: m.nn.Embedding(3, 2)(t(m, [1.0])),
    "layernorm_zero": lambda m: m.nn.LayerNorm(0)(m.ones(2, 0)).shape,
    "layernorm_wrong_shape": lambda m: m.nn.LayerNorm(4)(m.ones(2, 3)),
    "conv2d_zero_in": lambda m: m.nn.Conv2d(0, 3, 3).weight.shape,
    "conv2d_wrong_channels": lambda m: m.nn.Conv2d(2, 3, 3)(m.ones(1, 3, 5, 5)),
    "conv2d_too_small": lambda m: m.nn.Conv2d(1, 1, 3)(m.ones(1, 1, 2, 2)),
    "dropout_p_bad": lambda m: m.nn.Dropout(1.5),
    "dropout_p_one": lambda m: F(m).dropout(m.ones(3), 1.0),
    "ce_target_size": lambda m: F(m).cross_entropy(m.zeros(3, 5), m.tensor([1, 2])),
    "ce_target_oob": lambda m: F(m).cross_entropy(m.zeros(3, 5), m.tensor([1, 2, 7])),
    "ce_target_negative": lambda m: F(m).cross_entropy(m.zeros(3, 5), m.tensor([1, 2, -3])),
    "ce_ignore_all": lambda m: F(m).cross_entropy(m.zeros(2, 5), m.tensor([-100, -100])),
    "ce_float_target_shape": lambda m: F(m).cross_entropy(m.zeros(3, 5), m.rand(3, 4)),
    "ce_int32_target": lambda m: F(m).cross_entropy(m.zeros(3, 5),
                                                    m.tensor([1, 2, 3], dtype=m.int32)),
    "ce_inf_logit": lambda m: F(m).cross_entropy(t(m, [[INF, 0.0]]), m.tensor([0])),
    "nll_target_oob": lambda m: F(m).nll_loss(m.zeros(2, 3), m.tensor([0, 3])),
    "one_hot_oob": lambda m: F(m).one_hot(m.tensor([1, 5]), 3),
    "one_hot_negative": lambda m: F(m).one_hot(m.tensor([-1]), 3),
    "one_hot_float": lambda m: F(m).one_hot(t(m, [1.0]), 3),
    "one_hot_auto": lambda m: F(m).one_hot(m.tensor([0, 2])),
    "bce_input_oob": lambda m: F(m).binary_cross_entropy(t(m, [1.5]), t(m, [1.0])),
    "bce_input_negative": lambda m: F(m).binary_cross_entropy(t(m, [-0.5]), t(m, [1.0])),
    "bce_target_oob": lambda m: F(m).binary_cross_entropy(t(m, [0.5]), t(m, [2.0])),
    "bce_size": lambda m: F(m).binary_cross_entropy(t(m, [0.5, 0.5]), t(m, [1.0])),
    "bce_edges": lambda m: F(m).binary_cross_entropy(t(m, [0.0, 1.0]), t(m, [1.0, 0.0])),
    "bce_logits_size": lambda m: F(m).binary_cross_entropy_with_logits(t(m, [0.5, 0.5]),
                                                                       t(m, [1.0])),
    "bce_logits_big": lambda m: F(m).binary_cross_entropy_with_logits(t(m, [100.0, -100.0]),
                                                                      t(m, [0.0, 1.0])),
    "mse_empty": lambda m: F(m).mse_loss(m.ones(0), m.ones(0)),
    "softmax_no_dim_2d": lambda m: F(m).softmax(m.ones(2, 2), dim=5),
    "pad_negative": lambda m: F(m).pad(m.arange(5.0), (-1, -2)),
    "pad_too_negative": lambda m: F(m).pad(m.arange(2.0), (-3, 0)),
    "pad_odd_length": lambda m: F(m).pad(m.ones(2), (1,)),
    "gelu_bad_mode": lambda m: F(m).gelu(m.ones(2), approximate="fast"),
    "gelu_special": lambda m: F(m).gelu(t(m, SPECIAL)),
    "sdpa_causal": lambda m: F(m).scaled_dot_product_attention(
        m.arange(8.0).reshape(1, 2, 4) / 8, m.ones(1, 2, 4), m.arange(8.0).reshape(1, 2, 4),
        is_causal=True),
    # optim
    "sgd_negative_lr": lambda m: m.optim.SGD(params(m), lr=-0.1),
    "sgd_negative_momentum": lambda m: m.optim.SGD(params(m), lr=0.1, momentum=-1),
    "sgd_no_lr": lambda m: m.optim.SGD(params(m)).param_groups[0]["lr"],
    "adam_bad_beta": lambda m: m.optim.Adam(params(m), betas=(1.0, 0.999)),
    "adam_negative_beta": lambda m: m.optim.Adam(params(m), betas=(0.9, -0.1)),
    "adam_negative_eps": lambda m: m.optim.Adam(params(m), eps=-1e-8),
    "adam_negative_lr": lambda m: m.optim.Adam(params(m), lr=-1.0),
    "adamw_negative_wd": lambda m: m.optim.AdamW(params(m), weight_decay=-1),
    "optim_empty_params": lambda m: m.optim.SGD([], lr=0.1),
    "optim_tensor_params": lambda m: m.optim.SGD(m.nn.Parameter(m.ones(2)), lr=0.1),
    "sgd_step": lambda m: step(m, "SGD", lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam_step": lambda m: step(m, "Adam", lr=0.1, amsgrad=True),
    "adamw_step": lambda m: step(m, "AdamW", lr=0.1, weight_decay=0.1),
    "clip_grad_norm_zero": lambda m: m.nn.utils.clip_grad_norm_(
        [m.nn.Parameter(m.ones(2))], 1.0),
    # aliasing and in-place writes
    "inplace_add_self_flipped": lambda m: (lambda x: x.add_(x.flip(0)))(m.arange(4.0)),
    "inplace_through_view": lambda m: (lambda x: (x[1:].mul_(10), x)[1])(m.arange(4.0)),
    "inplace_through_transpose": lambda m: (lambda x: (x.t()[0].fill_(-1), x)[1])(
        m.arange(6.0).reshape(2, 3)),
    "inplace_expanded_target": lambda m: m.zeros(1, 3).expand(2, 3).add_(1.0),
    "inplace_dtype_change": lambda m: m.tensor([1, 2]).add_(0.5),
    "inplace_bool_to_int": lambda m: m.tensor([True]).add_(m.tensor([2])),
    "inplace_broadcast_grow": lambda m: m.zeros(3).add_(m.ones(2, 3)),
    "setitem_overlap": lambda m: (lambda x: (x.__setitem__(slice(1, None), x[:-1]), x)[1])(
        m.arange(5.0)),
    "setitem_nan": lambda m: (lambda x: (x.__setitem__(x > 1, NAN), x)[1])(m.arange(4.0)),
    "index_put_accumulate_dups": lambda m: m.zeros(3).index_put_(
        (m.tensor([0, 0, 2]),), t(m, [1.0, 2.0, 3.0]), accumulate=True),
    "index_add_dups": lambda m: m.zeros(3).index_add_(0, m.tensor([1, 1]), t(m, [1.0, 2.0])),
    "scatter_add_dups": lambda m: m.zeros(3).scatter_add_(0, m.tensor([2, 2, 0]),
                                                          t(m, [1.0, 2.0, 3.0])),
    "masked_fill_broadcast_mask": lambda m: m.ones(2, 3).masked_fill(m.tensor([True, False,
                                                                                True]), 0.0),
    "masked_fill_bad_mask": lambda m: m.ones(2, 3).masked_fill(m.tensor([True, False]), 0.0),
    "fill_of_nan_memory": lambda m: t(m, [NAN, INF]).fill_(2.0),
    "zero_of_inf_memory": lambda m: t(m, [INF, -INF]).zero_(),
    "clone_is_not_alias": lambda m: (lambda x: (x.clone().add_(1), x)[1])(m.arange(3.0)),
    "contiguous_of_contiguous": lambda m: (lambda x: (x.contiguous().add_(1), x)[1])(
        m.arange(3.0)),
    "detach_shares": lambda m: (lambda x: (x.detach().add_(1), x.detach())[1])(
        t(m, [1.0, 2.0], grad=True)),
    "view_then_write": lambda m: (lambda x: (x.view(2, 2).zero_(), x)[1])(m.arange(4.0)),
    "reshape_noncontig_copies": lambda m: (lambda x: (x.t().reshape(4).zero_(), x)[1])(
        m.arange(4.0).reshape(2, 2)),
    # more nn
    "embedding_padding_idx_grad": lambda m: (lambda e: (e(m.tensor([0, 1, 0])).sum().backward(),
                                                        e.weight.grad)[1])(
        m.nn.Embedding(3, 2, padding_idx=0)),
    "batchnorm_one_value": lambda m: m.nn.BatchNorm1d(2)(m.ones(1, 2)),
    "batchnorm_eval_stats": lambda m: m.nn.BatchNorm1d(2).eval()(t(m, [[1.0, 2.0]])),
    "layernorm_no_affine": lambda m: m.nn.LayerNorm(3, elementwise_affine=False)(
        t(m, [[1.0, 2.0, 4.0]])),
    "sequential_empty": lambda m: m.nn.Sequential()(t(m, [1.0])),
    "module_list_index_oob": lambda m: m.nn.ModuleList([m.nn.ReLU()])[1],
    "load_state_dict_missing": lambda m: m.nn.Linear(2, 2).load_state_dict({}),
    "load_state_dict_shape": lambda m: m.nn.Linear(2, 2).load_state_dict(
        {"weight": m.ones(3, 2), "bias": m.ones(2)}),
    "parameter_int": lambda m: m.nn.Parameter(m.tensor([1, 2])),
    "mse_broadcast_warns": lambda m: F(m).mse_loss(m.ones(2, 3), m.zeros(3)),
    "l1_empty": lambda m: F(m).l1_loss(m.ones(0), m.ones(0), reduction="sum"),
    "softmax_0d": lambda m: F(m).softmax(t(m, 3.0), 0),
    "log_softmax_empty": lambda m: F(m).log_softmax(m.ones(0, 3), 1),
    "embedding_neg_index": lambda m: m.nn.Embedding(3, 2)(m.tensor([-1])),
    # more bad arguments, each of which once reached numpy or a Python tuple unchecked
    "sum_float_dim": lambda m: m.ones(2).sum(dim=1.5),
    "index_float": lambda m: m.ones(2)[1.5],
    "unsqueeze_float": lambda m: m.ones(2).unsqueeze(1.0),
    "arange_str": lambda m: m.arange("a"),
    "to_unknown_device": lambda m: m.ones(2).to("foo"),
    "zeros_tuple_negative": lambda m: m.zeros((2, -1)),
    "randn_negative": lambda m: m.randn(-1),
    "view_zero_inferred": lambda m: m.ones(3).view(-1, 0),
    "split_dim_oob": lambda m: m.ones(2, 2).split([1, 1], dim=5),
    "multinomial_all_zero": lambda m: m.multinomial(t(m, [0.0, 0.0]), 1),
    "multinomial_negative": lambda m: m.multinomial(t(m, [-1.0, 2.0]), 1),
    "multinomial_too_many": lambda m: m.multinomial(t(m, [1.0, 2.0]), 3),
    "gather_rank_mismatch": lambda m: m.ones(3).gather(0, m.tensor([[0]])),
    "linear_float_size": lambda m: m.nn.Linear(2.5, 3),
    "conv_zero_kernel": lambda m: m.nn.Conv2d(1, 1, 0)(m.ones(1, 1, 3, 3)),
    "conv_zero_stride": lambda m: F(m).conv2d(m.ones(1, 1, 3, 3), m.ones(1, 1, 1, 1), stride=0),
    "dropout_negative": lambda m: m.nn.Dropout(-0.1),
    "masked_fill_str": lambda m: m.ones(2).masked_fill(m.tensor([True, False]), "a"),
    "full_str": lambda m: m.full((2,), "a"),
    "where_mismatch": lambda m: m.where(m.tensor([True, False, True]), m.ones(2), m.zeros(2)),
    "where_float_cond": lambda m: m.where(t(m, [1.0, 0.0]), m.ones(2), m.zeros(2)),
    "max_pool_too_big": lambda m: F(m).max_pool2d(m.ones(1, 1, 2, 2), 3),
    "avg_pool_zero": lambda m: F(m).avg_pool2d(m.ones(1, 1, 4, 4), 0),
    "layer_norm_bad_weight": lambda m: F(m).layer_norm(m.ones(2, 3), (3,), weight=m.ones(2)),
    "embedding_2d_weight_1d": lambda m: F(m).embedding(m.tensor([0]), m.ones(3)),
    "cross_entropy_0d_input": lambda m: F(m).cross_entropy(t(m, 1.0), m.tensor(0)),
    "softmax_str_dim": lambda m: m.ones(2).softmax("a"),
    "permute_oob": lambda m: m.ones(2, 3).permute(0, 2),
    "movedim_oob": lambda m: m.ones(2, 3).movedim(0, 2),
    "flatten_bad_range": lambda m: m.ones(2, 3, 4).flatten(2, 1),
    "unflatten_bad": lambda m: m.ones(6).unflatten(0, (4, 2)),
    "squeeze_tuple_oob": lambda m: m.ones(1, 2).squeeze((0, 5)),
    "chunk_negative": lambda m: m.ones(4).chunk(-1),
    "tensor_none": lambda m: m.tensor(None),
    "tensor_nested_none": lambda m: m.tensor([1.0, None]),
    "tensor_dict": lambda m: m.tensor({"a": 1}),
    # checkpoints (torch.save pickles, ours is safetensors: the round trip is what compares)
    "save_load_nested": lambda m: round_trip(m, {"w": t(m, [1.0, NAN]), 3: (1, 2.5, None, "s"),
                                                 "l": [m.tensor([1, 2])]}),
    "save_load_0d_and_empty": lambda m: round_trip(m, [t(m, 2.0), m.ones(0, 3)]),
    "save_load_state_dict": lambda m: sorted(round_trip(m, m.nn.Linear(2, 3).state_dict())),
    "save_load_view": lambda m: round_trip(m, m.arange(6.0).reshape(2, 3).t()),
    "save_function": lambda m: round_trip(m, {"f": print}),
}


def F(m):
    return m.nn.functional


# *** classifying outcomes ***


def _run(fn, m):
    try:
        return "value", fn(m)
    except Exception as e:  # noqa: BLE001 (the exception is the outcome under test)
        return "raise", e


def _plain(v):
    """A comparable form: tensors as (dtype, shape, float64 values), containers element-wise."""
    if hasattr(v, "detach") and hasattr(v, "dtype"):
        return ("tensor", str(v.dtype).split(".")[-1], tuple(v.shape),
                np.array(v.detach().to("cpu").double().numpy(), dtype=np.float64))
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list | tuple) and not hasattr(v, "numel"):
        return [_plain(x) for x in v]
    if hasattr(v, "is_floating_point") and not hasattr(v, "shape"):  # a dtype
        return str(v).split(".")[-1]
    if isinstance(v, list | tuple):  # torch.Size / ch2_lego.Size
        return [int(n) for n in v]
    return v


def _bound(ref: np.ndarray, dtype: str) -> np.ndarray:
    """What a short chain of float ops (a few per element, sums of at most 1e5 terms accumulated
    in double or pairwise) can differ by: 64 ulps of the dtype at the result's magnitude, and
    at least 64 ulps of 1.0 for results that cancel to near zero."""
    eps = {"float16": 2.0**-10, "bfloat16": 2.0**-7, "float32": 2.0**-23,
           "float64": 2.0**-52}.get(dtype, 0.0)
    return 64 * eps * np.maximum(np.abs(np.nan_to_num(ref, posinf=0, neginf=0)), 1.0)


def _same(ours, ref, where="result") -> str | None:
    """None if equal within bounds, else what differs."""
    if isinstance(ref, tuple) and ref and ref[0] == "tensor":
        if not (isinstance(ours, tuple) and ours and ours[0] == "tensor"):
            return f"{where}: a tensor in torch, {type(ours).__name__} in ours"
        if ours[1:3] != ref[1:3]:
            return f"{where}: dtype/shape {ours[1:3]} vs torch's {ref[1:3]}"
        a, b = ours[3], ref[3]
        same_special = (np.isnan(a) == np.isnan(b)) & (np.isinf(a) == np.isinf(b))
        finite = np.isfinite(b) & np.isfinite(a)
        close = np.where(finite, np.abs(a - b) <= _bound(b, ref[1]), a == b)
        close |= np.isnan(a) & np.isnan(b)
        if not (same_special.all() and close.all()):
            return f"{where}: values {a.ravel()[:8]} vs torch's {b.ravel()[:8]}"
        return None
    if isinstance(ref, dict):
        if not isinstance(ours, dict) or set(ours) != set(ref):
            return f"{where}: keys differ"
        return next((e for k in ref if (e := _same(ours[k], ref[k], f"{where}[{k!r}]"))), None)
    if isinstance(ref, list):
        if not isinstance(ours, list) or len(ours) != len(ref):
            return f"{where}: {ours!r} vs torch's {ref!r}"
        return next((e for i, (x, y) in enumerate(zip(ours, ref))
                     if (e := _same(x, y, f"{where}[{i}]"))), None)
    if isinstance(ref, float) and isinstance(ours, float) and math.isnan(ref):
        return None if math.isnan(ours) else f"{where}: {ours} vs nan"
    return None if ours == ref and type(ours) is type(ref) else f"{where}: {ours!r} vs {ref!r}"


# Differences we keep on purpose, each with its reason (the book's "differs from PyTorch" list).
DOCUMENTED = {
    "gelu_special": "gelu(+inf): torch's vectorized kernel gives nan, ours the limit, inf",
    "save_function": "torch.save pickles a function and refuses it only at a weights-only load; "
                     "our save refuses it at once (CheckpointError): the format holds no code",
}


def _leaked(error: Exception) -> str | None:
    """Where an error escaped from, unless a check raised it: a user mistake must meet a `raise`
    in ch2_lego, not stumble into numpy or a Python tuple. An error raised at the call site
    itself (Python's own, for `tensor @ list`) is fine, as it is torch's too."""
    frames = traceback.extract_tb(error.__traceback__)
    inner = frames[-1]
    if inner.filename == __file__ or (
            "ch2_lego" in inner.filename and (inner.line or "").lstrip().startswith("raise")):
        return None
    return f"{inner.filename.split('site-packages/')[-1]}:{inner.lineno}"


def classify(name: str) -> tuple[str, str]:
    """("same" | "both raise" | "documented" | "defect", detail) for one case."""
    if name in DOCUMENTED:
        return "documented", DOCUMENTED[name]
    fn = CASES[name]
    torch.manual_seed(0)
    ref_kind, ref = _run(fn, torch)
    ours_kind, ours = _run(fn, lego)
    if ref_kind == "raise" and ours_kind == "raise":
        if (where := _leaked(ours)) is not None:
            return "defect", f"not checked: {type(ours).__name__} ({ours}) from {where}"
        if isinstance(ours, type(ref)):
            return "both raise", f"{type(ours).__name__}: {ours}"
        return "defect", (f"raised {type(ours).__name__} ({ours}), torch raises "
                          f"{type(ref).__name__} ({ref})")
    if ref_kind != ours_kind:
        what = {"raise": "raised", "value": "returned"}
        return "defect", (f"ours {what[ours_kind]} {ours!r}; torch {what[ref_kind]} "
                          f"{type(ref).__name__ if ref_kind == 'raise' else ''} {ref!r}")
    if "rand" in name:  # random values differ by design: compare structure only
        return "same", ""
    problem = _same(_plain(ours), _plain(ref))
    return ("defect", problem) if problem else ("same", "")


@pytest.mark.parametrize("name", sorted(CASES))
def test_case(name):
    kind, detail = classify(name)
    assert kind != "defect", f"{name}: {detail}"


def test_the_table_is_broad():
    assert len(CASES) >= 300
