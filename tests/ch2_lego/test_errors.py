"""Bad input gets a clear error in PyTorch's words: each case runs on torch and on the
implementation, and both must raise one of torch's exception types with the key phrase."""

import importlib
import os

import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))

ERRORS = (RuntimeError, IndexError, ValueError, TypeError)


def fn_of(m):
    return importlib.import_module(m.__name__ + ".nn.functional")


# (book section, name, bad call on module m, key phrase of torch's message)
CASES = [
    ("2_1", "negative_size", lambda m: m.zeros(-1), "must be non-negative"),
    ("2_1", "item_of_empty", lambda m: m.zeros(0).item(), "a Tensor with 0 elements cannot"),
    ("2_1", "arange_zero_step", lambda m: m.arange(0, 5, 0), "step must be nonzero"),
    ("2_1", "arange_sign", lambda m: m.arange(0, 5, -1), "inconsistent with step sign"),
    ("2_1", "randint_empty", lambda m: m.randint(5, 3, (2,)), "expects 'from' to be less than"),
    ("2_1", "linspace_steps", lambda m: m.linspace(0, 1, -1), "number of steps must be non-neg"),
    ("2_2", "view_numel", lambda m: m.zeros(2, 3).view(5), r"shape '\[5\]' is invalid for"),
    ("2_2", "reshape_two_infer", lambda m: m.zeros(2, 3).reshape(-1, -1), "only one dimension"),
    (
        "2_2",
        "permute_len",
        lambda m: m.zeros(2, 3).permute(0, 1, 2),
        "does not match the length of the desired ordering",
    ),
    ("2_2", "permute_dup", lambda m: m.zeros(2, 3).permute(0, 0), "duplicate dims"),
    (
        "2_2",
        "expand_size",
        lambda m: m.zeros(3).expand(2, 4),
        r"expanded size of the tensor \(4\) must match the existing size \(3\)",
    ),
    ("2_2", "expand_fewer", lambda m: m.zeros(2, 3).expand(3), "the number of sizes provided"),
    ("2_2", "narrow_past_end", lambda m: m.zeros(4).narrow(0, 3, 2), "exceeds dimension size"),
    ("2_2", "transpose_dim", lambda m: m.zeros(2, 3).transpose(0, 2), "Dimension out of range"),
    ("2_2", "squeeze_dim", lambda m: m.zeros(2, 3).squeeze(3), "Dimension out of range"),
    ("2_2", "unsqueeze_dim", lambda m: m.zeros(2, 3).unsqueeze(4), "Dimension out of range"),
    ("2_2", "unflatten_sizes", lambda m: m.zeros(2, 5).unflatten(1, (2, 2)), "don't multiply up"),
    ("2_2", "flip_dim", lambda m: m.zeros(2).flip(1), "Dimension out of range"),
    ("2_2", "cat_dim", lambda m: m.cat([m.zeros(2, 3)] * 2, dim=2), "Dimension out of range"),
    ("2_2", "split_sizes", lambda m: m.zeros(5).split([2, 2]), "to sum exactly to 5"),
    ("2_2", "chunk_zero", lambda m: m.zeros(5).chunk(0), "greater than 0"),
    ("2_2", "pad_odd", lambda m: fn_of(m).pad(m.zeros(2, 3), (1,)), "divisible by 2"),
    (
        "2_3",
        "gather_ndim",
        lambda m: m.zeros(2, 3).gather(1, m.zeros(2, dtype=m.int64)),
        "must have the same number of dimensions",
    ),
    (
        "2_3",
        "gather_float_index",
        lambda m: m.zeros(2, 3).gather(1, m.zeros(2, 1)),
        "Expected dtype int32/int64 for index",
    ),
    (
        "2_3",
        "index_add_count",
        lambda m: m.zeros(3, 4).index_add(0, m.tensor([0, 1]), m.zeros(3, 4)),
        r"Number of indices \(2\) should be equal to source.size\(dim\)",
    ),
    (
        "2_4",
        "mean_of_int",
        lambda m: m.zeros(2, dtype=m.int64).mean(),
        "could not infer output dtype",
    ),
    ("2_6", "neg_of_bool", lambda m: -m.zeros(2, dtype=m.bool), "on a bool tensor is not supp"),
    (
        "2_4",
        "where_float_condition",
        lambda m: m.where(m.zeros(2), m.zeros(2), m.zeros(2)),
        "where expected condition to be a boolean tensor",
    ),
    (
        "2_4",
        "masked_fill_float_mask",
        lambda m: m.zeros(2).masked_fill(m.zeros(2), 1.0),
        "only supports boolean masks",
    ),
    ("2_8", "sum_dim", lambda m: m.zeros(2, 3).sum(2), r"expected to be in range of \[-2, 1\]"),
    ("2_8", "sum_dim_twice", lambda m: m.zeros(2, 3).sum((0, 0)), "appears multiple times"),
    ("2_8", "max_dim", lambda m: m.zeros(2, 3).max(-3), "Dimension out of range"),
    ("2_8", "softmax_dim", lambda m: m.zeros(2, 3).softmax(2), "Dimension out of range"),
    ("2_8", "tril_1d", lambda m: m.zeros(3).tril(), "at least 2 dimensions"),
    (
        "2_7",
        "matmul_dtypes",
        lambda m: m.zeros(2, 2) @ m.zeros(2, 2, dtype=m.float64),
        "expected m1 and m2 to have the same dtype",
    ),
    (
        "2_7",
        "bitwise_on_float",
        lambda m: m.zeros(2) & m.zeros(2),
        "not implemented for 'Float'",
    ),
    (
        "2_7",
        "matmul_on_bool",
        lambda m: m.zeros(2, 2, dtype=m.bool) @ m.zeros(2, 2, dtype=m.bool),
        "not implemented for 'Bool'",
    ),
    ("2_3", "unknown_device", lambda m: m.zeros(2, device="nope"), "device"),
    (
        "2_10",
        "ce_batch",
        lambda m: fn_of(m).cross_entropy(m.zeros(2, 3), m.zeros(3, dtype=m.int64)),
        r"Expected input batch_size \(2\) to match target batch_size \(3\)",
    ),
    (
        "2_10",
        "ce_target_dtype",
        lambda m: fn_of(m).cross_entropy(m.zeros(2, 3), m.zeros(2, dtype=m.int32)),
        "expected target dtype to be Long",
    ),
]


@pytest.mark.parametrize(
    "call, phrase",
    [pytest.param(c, p, id=n, marks=getattr(pytest.mark, f"sec_{s}")) for s, n, c, p in CASES],
)
def test_error_message(call, phrase):
    with pytest.raises(ERRORS, match=phrase):
        call(torch)
    with pytest.raises(ERRORS, match=phrase):
        call(lego)
