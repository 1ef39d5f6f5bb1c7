"""Device "c" under ch2's contract: every primitive through ch2's Tensor API against "cpu", and
a ch2 GPT trained and sampled on "c" against the same model on "cpu"."""

import numpy as np
import pytest

import ch2_lego as lego
import ch3_brrr.device_c  # noqa: F401  (registers device "c")
from ch2_lego.backend import CORE, get_device
from ch2_lego.errors import DeviceError

pytestmark = pytest.mark.sec_3_7
EPS64 = float(np.finfo(np.float64).eps)


def both(array):
    """The same values as a "cpu" tensor and a "c" tensor."""
    t = lego.tensor(array)
    return t, t.to("c")


def same(ours, ref, bound=0.0):
    """ours (on "c") equals ref (on "cpu") within bound, elementwise; bound 0: bit for bit."""
    assert str(ours.device) == "c" and ours.shape == ref.shape and ours.dtype == ref.dtype
    # (reshaped: ch2's to("cpu") makes a 0-d tensor 1-d, test_0d_tensor_keeps_its_shape)
    got, want = ours.to("cpu").numpy().reshape(ref.shape), ref.numpy()
    assert np.all(np.abs(got - want) <= bound), np.max(np.abs(got - want) - bound)


def rounding(ref, roundings=16):
    """The bound of a float64 result of a few roundings (and libm calls, within a few ulps
    each) of values no bigger than max(1, |result|): an absolute bound, so a result that
    cancels to near 0 (tanh x + sin y, log(exp(3x)) at small x) is not judged relatively."""
    return roundings * EPS64 * (1 + np.abs(ref.numpy()))


def test_c_implements_every_core_op():
    assert get_device("c").missing_core() == set()
    assert CORE <= set(get_device("c").kernels)


def test_to_and_back_keeps_values_and_dtype():
    rng = np.random.default_rng(0)
    for a in (rng.standard_normal((3, 4)).astype(np.float32), rng.integers(0, 9, (5,)),
              rng.random((2, 2)) < 0.5, np.zeros((0, 3))):
        cpu, c = both(a)
        assert c.dtype == cpu.dtype and tuple(c.shape) == a.shape
        np.testing.assert_array_equal(c.to("cpu").numpy(), a)


def test_0d_tensor_keeps_its_shape_across_devices():
    scalar = lego.tensor(2.5)
    assert scalar.to("c").shape == () and scalar.to("c").to("cpu").shape == ()


@pytest.mark.parametrize("fn", [
    lambda x, y: x + y, lambda x, y: x * y - y, lambda x, y: x / (y.abs() + 1),
    lambda x, y: (x * 3).exp().log(), lambda x, y: x.maximum(y), lambda x, y: (x < y).float(),
    lambda x, y: lego.where(x > 0, x, y), lambda x, y: x.tanh() + y.sin(),
    lambda x, y: x ** 2, lambda x, y: (x // 0.3) + x % 0.7,
], ids=["add", "mul_sub", "div", "exp_log", "maximum", "lt", "where", "tanh_sin", "pow",
        "floordiv_mod"])
@pytest.mark.parametrize("layout", ["dense", "transposed", "stepped", "broadcast", "empty"])
def test_elementwise_through_tensors(fn, layout):
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((6, 8)), rng.standard_normal((6, 8))
    x, xc = both(a)
    y, yc = both(b)
    view = {"dense": lambda t: t, "transposed": lambda t: t.T, "stepped": lambda t: t[::2, 1::3],
            "broadcast": lambda t: t[:1].expand(6, 8), "empty": lambda t: t[:0]}[layout]
    # float64 on both devices: libm and numpy agree to a few ulps; exact ops agree exactly
    ref = fn(view(x), view(y))
    same(fn(view(xc), view(yc)), ref, rounding(ref))


def summed(fn):
    """Bound for a sum of at most 60 terms (x has 60 elements) in any order: 60 eps times the
    same sum of the terms' magnitudes (fn of |x|)."""
    return lambda x, ref: 60 * EPS64 * fn(x.abs()).numpy()


@pytest.mark.parametrize("fn,bound", [
    (lambda x: x.sum(), summed(lambda x: x.sum())),
    (lambda x: x.sum(0), summed(lambda x: x.sum(0))),
    (lambda x: x.sum(1, keepdim=True), summed(lambda x: x.sum(1, keepdim=True))),
    (lambda x: x.max(1)[0], None), (lambda x: x.argmax(0), None),
    (lambda x: x.mean((0, 2)), summed(lambda x: x.mean((0, 2)))),
    (lambda x: x.softmax(-1), lambda x, ref: rounding(ref, 64)),
    (lambda x: x.log_softmax(1), lambda x, ref: rounding(ref, 64)),
    (lambda x: x.cumsum(2), summed(lambda x: x.cumsum(2))), (lambda x: x.sort(1)[0], None),
    (lambda x: x.permute(2, 0, 1).reshape(4, 15), None),
    (lambda x: x @ x.transpose(1, 2), summed(lambda x: x @ x.transpose(1, 2))),
], ids=["sum", "sum0", "sum1k", "max", "argmax", "mean", "softmax", "log_softmax", "cumsum",
        "sort", "permute", "bmm"])
def test_reductions_and_matmul_through_tensors(fn, bound):
    rng = np.random.default_rng(2)
    x, xc = both(rng.standard_normal((3, 5, 4)))
    ref = fn(x)
    same(fn(xc), ref, 0.0 if bound is None else bound(x, ref))  # None: exact (picks, moves)


def test_index_ops_through_tensors():
    rng = np.random.default_rng(3)
    w, wc = both(rng.standard_normal((10, 4)))
    idx, idxc = both(rng.integers(0, 10, (3, 5)))
    same(wc[idxc], w[idx])
    same(wc.gather(1, idxc[:, :4] % 4), w.gather(1, idx[:, :4] % 4))
    # repeated indices add in index order on both devices: the same roundings
    same(lego.zeros(10, 4, device="c").index_add(0, idxc[0], wc[:5]),
         lego.zeros(10, 4).index_add(0, idx[0], w[:5]))


def test_gradients_match_cpu():
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 3))
    grads = {}
    for device in ("cpu", "c"):
        x = lego.tensor(a, device=device, requires_grad=True)
        w = lego.tensor(b, device=device, requires_grad=True)
        loss = (x @ w).relu().softmax(-1).log().mean() + (x * x).sum()
        loss.backward()
        grads[device] = (x.grad.to("cpu").numpy(), w.grad.to("cpu").numpy())
    # the devices differ in the order of the matmuls' and softmax's sums (7 and 3 terms of
    # magnitude <= max(1, |grad|)) and in libm's last bits: a few dozen roundings at most
    for g_c, g_cpu in zip(grads["c"], grads["cpu"]):
        assert np.all(np.abs(g_c - g_cpu) <= 64 * EPS64 * (1 + np.abs(g_cpu)))


def test_device_mismatch_is_torchs_error():
    x, xc = both(np.ones(3))
    msg = r"Expected all tensors to be on the same device, .* cpu and c! \(when checking the ar"
    with pytest.raises(DeviceError, match=msg):
        x + xc
    with pytest.raises(DeviceError, match="same device"):
        xc @ x.reshape(3, 1)


# *** a ch2 model on "c" ***


def small_gpt(tok):
    from ch2_lego.models import gpt
    lego.manual_seed(0)
    return gpt.GPT(gpt.GPTConfig(block_size=8, vocab_size=tok.vocab_size, n_layer=2, n_head=2,
                                 n_embd=16))


def test_gpt_training_steps_and_sampling_on_c_match_cpu(bounds):
    from ch2_lego.data import CharTokenizer, load_names, padded_sequences, split_words
    from ch2_lego.models import gpt
    from ch2_lego.models.train import train_lm
    words = load_names()
    tok = CharTokenizer(words)
    x, y = padded_sequences(split_words(words)[0][:512], tok, block_size=8)
    runs = {}
    for device in ("cpu", "c"):
        model = small_gpt(tok).double().to(device)
        losses = train_lm(model, x, y, steps=6, batch_size=16, lr=1e-2, warmup=2, progress=False)
        start = lego.zeros(3, 1, dtype=lego.int64, device=device)
        sample = gpt.generate(model.eval(), start, 6, generator=lego.Generator().manual_seed(5))
        params = [p.detach().to("cpu").numpy() for p in model.parameters()]
        runs[device] = (losses, sample.to("cpu").numpy(), params)
    # float64: the two devices differ only in summation order, ~1e-15 of a tensor's scale per
    # step; the losses (near ln 27, no cancellation) keep that relative error. A weight near 0
    # carries the rounding of the larger values it was computed from, and AdamW's division by
    # sqrt(v) can amplify it over the 6 steps: compared at its tensor's scale, with room.
    np.testing.assert_allclose(runs["c"][0], runs["cpu"][0], rtol=1e-10)
    for p_c, p_cpu in zip(runs["c"][2], runs["cpu"][2]):
        bounds.at_scale(p_c, p_cpu, 1e-8)
    np.testing.assert_array_equal(runs["c"][1], runs["cpu"][1])


def test_mlp_language_model_training_on_c_matches_cpu():
    from ch2_lego.data import CharTokenizer, context_windows, load_names, split_words
    from ch2_lego.models import mlp_lm
    from ch2_lego.models.train import train_lm
    words = load_names()
    tok = CharTokenizer(words)
    x, y = context_windows(split_words(words)[0][:300], tok, block_size=3)
    losses = {}
    for device in ("cpu", "c"):
        lego.manual_seed(0)
        model = mlp_lm.MLPLanguageModel(tok.vocab_size, block_size=3, n_embd=8, n_hidden=32)
        losses[device] = train_lm(model.double().to(device), x, y, steps=8, batch_size=32,
                                  lr=1e-2, progress=False)
    np.testing.assert_allclose(losses["c"], losses["cpu"], rtol=1e-10)


def test_out_of_memory_is_a_named_error():
    from ch3_brrr.runtime import OutOfMemoryError
    with pytest.raises(OutOfMemoryError, match=r"c out of memory\. Tried to allocate"):
        lego.empty(1 << 58, device="c")
