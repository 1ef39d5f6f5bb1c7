"""conv3d and conv_transpose3d (book 2.6), values and gradients against torch in float64, and
the nn.Conv3d / nn.ConvTranspose3d modules.

Bound: every output (and every gradient element) is a sum of K products, K at most
C * KD * KH * KW * (output positions, for the weight gradient); in float64 each side is within
K * eps64 * (the same sum over |terms|) of the truth. torch computes that sum of |terms| when run
on |input|, |weight| and |upstream gradient|, so the bound is 2 * K * eps64 * torch(|.|).
"""

import copy
import importlib
import math
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))
pytestmark = pytest.mark.sec_2_6
EPS64 = float(np.finfo(np.float64).eps)

CONFIGS = {
    "plain": ({}, (2, 4, 5, 6, 7), (2, 3, 2)),
    "stride padding": ({"stride": 2, "padding": 1}, (2, 4, 5, 6, 7), (3, 3, 3)),
    "per-dim": ({"stride": (1, 2, 1), "padding": (0, 1, 2), "dilation": (2, 1, 1)},
                (1, 4, 6, 5, 4), (2, 3, 2)),
    "groups": ({"groups": 2}, (2, 4, 4, 5, 3), (1, 2, 2)),
    "unbatched": ({"padding": 1}, (4, 3, 4, 5), (3, 3, 3)),
}


def run(m, fn, x, w, b, cfg, upstream):
    """fn's output and the gradients of sum(out * upstream) for x, w, b (float64, in m)."""
    leaves = [m.tensor(a, dtype=m.float64, requires_grad=True) for a in (x, w, b)]
    out = getattr(m.nn.functional, fn)(*leaves, **cfg)
    (out * m.tensor(upstream(tuple(out.shape)), dtype=m.float64)).sum().backward()
    return [np.asarray(t.detach().numpy()) for t in [out] + [leaf.grad for leaf in leaves]]


@pytest.mark.parametrize("fn", ["conv3d", "conv_transpose3d"])
@pytest.mark.parametrize("case", CONFIGS)
def test_conv3d_values_and_gradients_match_torch(fn, case):
    cfg, xshape, kernel = CONFIGS[case]
    rng = np.random.default_rng(len(case))
    c = xshape[-4]
    groups = cfg.get("groups", 1)
    wshape = (6, c // groups, *kernel) if fn == "conv3d" else (c, 6 // groups, *kernel)
    if fn == "conv_transpose3d" and cfg.get("stride") == 2:
        cfg = {**cfg, "output_padding": 1}
    x, w, b = rng.standard_normal(xshape), rng.standard_normal(wshape), rng.standard_normal(6)
    cache = {}

    def upstream(shape):  # the same upstream gradient for both libraries
        return cache.setdefault(shape, rng.standard_normal(shape))
    ours = run(lego, fn, x, w, b, cfg, upstream)
    ref = run(torch, fn, x, w, b, cfg, upstream)
    size = run(torch, fn, np.abs(x), np.abs(w), np.abs(b), cfg, lambda s: np.abs(cache[s]))
    k = c * math.prod(kernel) * math.prod(ref[0].shape[-3:])
    for mine, theirs, magnitude in zip(ours, ref, size):
        assert mine.shape == theirs.shape
        np.testing.assert_array_less(np.abs(mine - theirs), 2 * k * EPS64 * magnitude + 1e-300)


def test_conv3d_modules_match_torch_with_the_same_weights():
    for spec in ("Conv3d(4, 6, 3, stride=2, padding=1)", "Conv3d(4, 6, (1, 2, 3), bias=False)",
                 "ConvTranspose3d(4, 6, 2, stride=2)", "Conv3d(4, 8, 3, groups=2)"):
        ours, ref = eval(f"lego.nn.{spec}"), eval(f"torch.nn.{spec}")
        assert repr(ours) == repr(ref)
        assert [tuple(p.shape) for p in ours.parameters()] == \
            [tuple(p.shape) for p in ref.parameters()]
        ours.load_state_dict({k: lego.tensor(v.detach().numpy()) for k, v in
                              ref.state_dict().items()})
        x = np.random.default_rng(0).standard_normal((2, 4, 5, 6, 7)).astype(np.float32)
        mine, theirs = ours(lego.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy()
        size = copy.deepcopy(ref)  # the same layer on |weights| and |x|: the sum of |terms|
        with torch.no_grad():
            for p in size.parameters():
                p.abs_()
            magnitude = size(torch.tensor(np.abs(x))).numpy()
        k = 4 * 3 * 3 * 3  # terms per output, at most (in-channels * kernel volume)
        bound = 2 * k * float(np.finfo(np.float32).eps) * magnitude
        np.testing.assert_array_less(np.abs(mine - theirs), bound)


def test_conv3d_bad_shapes_raise_torchs_errors():
    x, tx = lego.ones(2, 4, 3, 3, 3), torch.ones(2, 4, 3, 3, 3)
    for args in (((6, 4, 4, 4, 4),), ((6, 3, 2, 2, 2),), ((6, 4, 2, 2),)):
        w, tw = lego.ones(*args[0]), torch.ones(*args[0])
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv3d(tx, tw)
        with pytest.raises(RuntimeError, match="conv3d|weight|stride|Kernel size|channels"):
            lego.nn.functional.conv3d(x, w)
    with pytest.raises(RuntimeError):
        torch.nn.functional.conv3d(torch.ones(4, 3), torch.ones(6, 4, 1, 1, 1))
    with pytest.raises(RuntimeError, match="Expected 4D \\(unbatched\\) or 5D"):
        lego.nn.functional.conv3d(lego.ones(4, 3), lego.ones(6, 4, 1, 1, 1))
    w, tw = lego.ones(4, 2, 2, 2, 2), torch.ones(4, 2, 2, 2, 2)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        torch.nn.functional.conv_transpose3d(tx, tw, output_padding=1)
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        lego.nn.functional.conv_transpose3d(x, w, output_padding=1)

