"""Layers against torch.nn with the same weights and inputs (book sections 2.11, 2.13, 2.15).

Each test builds a layer in lego and in torch, copies lego's weights into torch, moves both to
float64, runs the same input through both and compares the output, the input's gradient and
every parameter's gradient. Initialisation is checked by its distribution (the generators
differ), and functional forms by value.
"""

import importlib
import math
import os

import numpy as np
import pytest
import torch

lego = importlib.import_module(os.environ.get("SINGSYS_ORACLE", "ch2_lego"))


def np_of(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def copy_weights(src, dst) -> None:
    """Load the lego module's state into the torch module, through numpy."""
    dst.load_state_dict({k: torch.tensor(np_of(v)) for k, v in src.state_dict().items()})


def check_layer(build, shape, *, integer_input=None, rtol=1e-7, atol=1e-10, train=True,
                seed=0):
    """Same weights, same float64 input: outputs, input grads and parameter grads agree."""
    ours, ref = build(lego), build(torch)
    copy_weights(ours, ref)
    ours.double().train(train)
    ref.double().train(train)
    rng = np.random.default_rng(seed)
    if integer_input is not None:
        data = rng.integers(0, integer_input, size=shape)
        x_ours, x_ref = lego.tensor(data), torch.tensor(data)
    else:
        data = rng.standard_normal(shape)
        x_ours = lego.tensor(data, requires_grad=True)
        x_ref = torch.tensor(data, requires_grad=True)
    out_ours, out_ref = ours(x_ours), ref(x_ref)
    assert tuple(out_ours.shape) == tuple(out_ref.shape)
    np.testing.assert_allclose(np_of(out_ours), np_of(out_ref), rtol=rtol, atol=atol)
    upstream = rng.standard_normal(tuple(out_ref.shape))
    out_ours.backward(lego.tensor(upstream))
    out_ref.backward(torch.tensor(upstream))
    if integer_input is None:
        np.testing.assert_allclose(np_of(x_ours.grad), np_of(x_ref.grad), rtol=rtol, atol=atol)
    for (name, p_ours), (_, p_ref) in zip(ours.named_parameters(), ref.named_parameters()):
        assert p_ours.grad is not None, f"no gradient for {name}"
        np.testing.assert_allclose(np_of(p_ours.grad), np_of(p_ref.grad), rtol=rtol, atol=atol,
                                   err_msg=name)
    return ours, ref


# *** 2.11 the basic layers ***


@pytest.mark.sec_2_11
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
def test_linear(bias, shape):
    check_layer(lambda lib: lib.nn.Linear(4, 3, bias=bias), shape)


@pytest.mark.sec_2_11
@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.ReLU(), lambda lib: lib.nn.Tanh(), lambda lib: lib.nn.Sigmoid(),
    lambda lib: lib.nn.GELU(), lambda lib: lib.nn.GELU(approximate="tanh"),
    lambda lib: lib.nn.SiLU(), lambda lib: lib.nn.Softmax(dim=-1),
    lambda lib: lib.nn.Softmax(dim=0), lambda lib: lib.nn.LogSoftmax(dim=1),
    lambda lib: lib.nn.Identity(), lambda lib: lib.nn.Flatten(),
    lambda lib: lib.nn.Flatten(0, 1),
], ids=["relu", "tanh", "sigmoid", "gelu", "gelu_tanh", "silu", "softmax", "softmax0",
        "logsoftmax", "identity", "flatten", "flatten01"])
def test_activation_and_shape_layers(build):
    check_layer(build, (3, 4, 5))


@pytest.mark.sec_2_11
def test_sequential_mlp():
    check_layer(lambda lib: lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.Tanh(),
                                              lib.nn.Linear(8, 3)), (7, 6))


@pytest.mark.sec_2_11
def test_linear_default_init_distribution():
    layer = lego.nn.Linear(64, 256)
    w, b = np_of(layer.weight), np_of(layer.bias)
    bound = 1 / math.sqrt(64)
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-b, b) has std b / sqrt(3); 16384 draws pin it to within a few percent.
    assert abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound
    assert abs(w.mean()) < 0.02 * bound


def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    points = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, points, side="right") / len(a)
    cdf_b = np.searchsorted(b, points, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


@pytest.mark.sec_2_11
@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.Linear(48, 96), lambda lib: lib.nn.Conv2d(6, 32, 3),
    lambda lib: lib.nn.Conv1d(4, 24, 5, groups=2), lambda lib: lib.nn.ConvTranspose2d(8, 12, 3),
    lambda lib: lib.nn.Embedding(300, 16), lambda lib: lib.nn.LayerNorm(32),
    lambda lib: lib.nn.RMSNorm(32), lambda lib: lib.nn.BatchNorm2d(16),
], ids=["linear", "conv2d", "conv1d_groups", "conv_transpose2d", "embedding", "layer_norm",
        "rms_norm", "batch_norm"])
def test_default_initialisation_matches_torch(build):
    # The generators differ, so the numbers differ; the distributions must not. A constant
    # initialisation must match exactly; a random one must pass a two-sample KS test against
    # torch's draws (critical value for alpha = 0.001; the seeds are fixed, so no flakiness).
    lego.manual_seed(0)
    torch.manual_seed(0)
    ours, ref = build(lego), build(torch)
    for (name, p), (_, q) in zip(ours.state_dict().items(), ref.state_dict().items(),
                                 strict=True):
        a, b = np_of(p), np_of(q)
        assert a.shape == b.shape and a.dtype == b.dtype, name
        if b.std() == 0:
            np.testing.assert_array_equal(a, b, err_msg=name)
            continue
        critical = 1.95 * math.sqrt(2 / a.size)
        assert ks_statistic(a, b) < critical, name


@pytest.mark.sec_2_11
def test_init_functions_match_their_formulas():
    t = lego.empty(200, 300)
    lego.nn.init.kaiming_normal_(t, nonlinearity="relu")
    # 60000 draws: the sample std is within about 0.3% of the true one; allow 2%.
    assert abs(np_of(t).std() - math.sqrt(2 / 300)) < 0.02 * math.sqrt(2 / 300)
    lego.nn.init.xavier_uniform_(t)
    bound = math.sqrt(6 / 500)
    assert np.abs(np_of(t)).max() <= bound and np.abs(np_of(t)).max() > 0.95 * bound
    lego.nn.init.constant_(t, 0.5)
    assert np.all(np_of(t) == 0.5)
    for name, gain in [("tanh", 5 / 3), ("relu", math.sqrt(2)), ("linear", 1.0)]:
        assert lego.nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(
            name))
        assert lego.nn.init.calculate_gain(name) == pytest.approx(gain)


# *** 2.13 embeddings and losses ***


@pytest.mark.sec_2_13
def test_embedding_lookup_and_scatter_back():
    # Repeated indices: their gradients must add up in the same row.
    check_layer(lambda lib: lib.nn.Embedding(7, 5), (4, 6), integer_input=7)


@pytest.mark.sec_2_13
def test_embedding_init_and_padding_idx():
    emb = lego.nn.Embedding(1000, 16, padding_idx=0)
    w = np_of(emb.weight)
    assert np.all(w[0] == 0) and abs(w[1:].std() - 1.0) < 0.03
    with pytest.raises((TypeError, RuntimeError, IndexError)):
        emb(lego.tensor([[0.5, 1.5]]))
    for bad in (1000, -1):  # a lookup, unlike x[i], does not wrap negative rows round
        with pytest.raises(IndexError, match="index out of range|out of bounds"):
            emb(lego.tensor([3, bad]))


@pytest.mark.sec_2_13
@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1}, {"reduction": "sum"},
                                    {"ignore_index": 2}])
def test_cross_entropy_loss(kwargs):
    rng = np.random.default_rng(0)
    logits, target = rng.standard_normal((6, 5)), rng.integers(0, 5, size=6)
    x_ours = lego.tensor(logits, requires_grad=True)
    x_ref = torch.tensor(logits, requires_grad=True)
    loss_ours = lego.nn.CrossEntropyLoss(**kwargs)(x_ours, lego.tensor(target))
    loss_ref = torch.nn.CrossEntropyLoss(**kwargs)(x_ref, torch.tensor(target))
    np.testing.assert_allclose(loss_ours.item(), loss_ref.item(), rtol=1e-10)
    loss_ours.backward()
    loss_ref.backward()
    np.testing.assert_allclose(np_of(x_ours.grad), np_of(x_ref.grad), rtol=1e-8, atol=1e-12)


@pytest.mark.sec_2_13
def test_mse_loss():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    ours = lego.nn.MSELoss()(lego.tensor(a), lego.tensor(b))
    np.testing.assert_allclose(ours.item(), ((a - b) ** 2).mean(), rtol=1e-12)


# *** 2.15 the transformer's layers ***


@pytest.mark.sec_2_15
@pytest.mark.parametrize("build", [
    lambda lib: lib.nn.LayerNorm(6), lambda lib: lib.nn.LayerNorm((4, 6)),
    lambda lib: lib.nn.LayerNorm(6, elementwise_affine=False),
    lambda lib: lib.nn.LayerNorm(6, bias=False),
    lambda lib: lib.nn.RMSNorm(6), lambda lib: lib.nn.RMSNorm(6, eps=1e-3),
], ids=["ln", "ln2d", "ln_noaffine", "ln_nobias", "rms", "rms_eps"])
def test_normalization_layers(build):
    ours, _ = check_layer(build, (3, 4, 6))
    if getattr(ours, "weight", None) is not None:
        assert np.all(np_of(ours.weight) == 1.0)


@pytest.mark.sec_2_15
def test_layer_norm_rejects_wrong_trailing_shape():
    with pytest.raises(RuntimeError, match="normalized_shape"):
        lego.nn.LayerNorm(5)(lego.ones(2, 4))
    with pytest.raises(RuntimeError, match="normalized_shape"):
        lego.nn.RMSNorm(5)(lego.ones(2, 4))


@pytest.mark.sec_2_15
def test_dropout_train_and_eval():
    x = lego.ones(200, 100, dtype=lego.float64)
    drop = lego.nn.Dropout(0.25)
    out = np_of(drop(x))
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75)  # survivors are scaled up
    assert abs(kept.mean() - 0.75) < 0.02  # 20000 Bernoulli(0.75) draws
    drop.eval()
    np.testing.assert_array_equal(np_of(drop(x)), np_of(x))
    assert np.all(np_of(lego.nn.functional.dropout(x, 1.0)) == 0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        lego.nn.Dropout(1.5)


@pytest.mark.sec_2_15
# PyTorch forbids attn_mask together with is_causal, so those pairs are not cases.
@pytest.mark.parametrize("causal, mask", [(True, None), (False, None), (False, "bool"),
                                          (False, "float")])
def test_scaled_dot_product_attention(causal, mask):
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal((2, 3, 5, 4)) for _ in range(3))
    masks = {"bool": rng.random((5, 5)) > 0.3, "float": rng.standard_normal((5, 5))}
    if mask == "bool":
        masks["bool"][:, 0] = True  # every query sees at least one key
    results = []
    for lib in (lego, torch):
        inputs = [lib.tensor(a, requires_grad=True) for a in (q, k, v)]
        m = None if mask is None else lib.tensor(masks[mask])
        out = lib.nn.functional.scaled_dot_product_attention(*inputs, attn_mask=m,
                                                              is_causal=causal)
        out.backward(lib.tensor(np.cos(np.arange(out.numel())).reshape(tuple(out.shape))))
        results.append([np_of(out)] + [np_of(t.grad) for t in inputs])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-10)


# *** 2.14 batch norm (the CNN's) ***


@pytest.mark.sec_2_14
@pytest.mark.parametrize("momentum", [0.1, None])
def test_batchnorm2d_training_updates_running_stats(momentum):
    ours, ref = check_layer(lambda lib: lib.nn.BatchNorm2d(3, momentum=momentum), (4, 3, 5, 5))
    for name in ("running_mean", "running_var"):
        np.testing.assert_allclose(np_of(getattr(ours, name)), np_of(getattr(ref, name)),
                                   rtol=1e-7)
    assert int(ours.num_batches_tracked) == 1


@pytest.mark.sec_2_14
def test_batchnorm_eval_uses_running_stats():
    def build(lib):
        bn = lib.nn.BatchNorm1d(4)
        with lib.no_grad():
            bn.running_mean.copy_(lib.tensor([0.5, -1.0, 2.0, 0.0]))
            bn.running_var.copy_(lib.tensor([1.0, 4.0, 0.25, 2.0]))
        return bn

    check_layer(build, (6, 4), train=False)
    check_layer(build, (6, 4, 3), train=False)
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        lego.nn.BatchNorm1d(4)(lego.ones(2, 4, 3, 3))
    with pytest.raises(RuntimeError, match="running_mean should contain 5 elements not 4"):
        lego.nn.BatchNorm1d(4)(lego.ones(2, 5))
