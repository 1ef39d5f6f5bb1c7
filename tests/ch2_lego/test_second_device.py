"""The chapter's models on a second device (conftest.py's "core": its own memory, the core ops
only), against the same models on "cpu": training losses, final weights, sampling with the KV
cache, the CNN; and the host traffic of a GPT training step (the batch up, nothing down). The
optimizers and the nn layers whose ops are exact there are checked against torch step by step.

The core device runs the non-core primitives decomposed (decompositions.py): exact except TANH,
COS and ERF, within 8 eps of the exact value (test_device_contract.py). Through a 2-layer model
and a few optimizer steps such per-element differences grow by the network's gain, so runs are
compared to 1e-4 relative, against float32's own spread of about 1e-7 per op.
"""

import copy

import numpy as np
import pytest
import torch

import ch2_lego as lego
from ch2_lego.data import (
    CharTokenizer,
    context_windows,
    load_digits,
    load_names,
    padded_sequences,
    split_words,
)
from ch2_lego.models import cnn, gpt, mlp_lm
from ch2_lego.models.train import train_classifier, train_lm

pytestmark = pytest.mark.sec_2_16

RTOL = 1e-4


@pytest.fixture(scope="module")
def names():
    words = load_names()
    train, _, _ = split_words(words)
    return CharTokenizer(words), train[:400]


def host(t) -> np.ndarray:
    return np.array(t.detach().to("cpu").numpy(), copy=True)


def on_both(build, device):
    """The same freshly initialized model twice: one on "cpu", a deep copy moved to `device`."""
    lego.manual_seed(0)
    cpu_model = build()
    return cpu_model, copy.deepcopy(cpu_model).to(device)


def assert_same_weights(a, b, rtol=RTOL):
    """Equal to rtol of each tensor's largest entry. Not elementwise: the key bias gets a zero
    gradient in exact arithmetic (softmax ignores a shift shared by all keys), so its gradient
    is rounding noise on either device, which Adam scales up to steps of size lr."""
    for (name, p), (_, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert str(p.device) == "cpu" and str(q.device) != "cpu"
        ref = host(p)
        np.testing.assert_allclose(host(q), ref, rtol=rtol, atol=rtol * np.abs(ref).max(),
                                   err_msg=name)


def small_gpt(tok):
    return gpt.GPT(gpt.GPTConfig(block_size=8, vocab_size=tok.vocab_size, n_layer=2, n_head=2,
                                 n_embd=16))


@pytest.mark.parametrize("device", ["core", "dense"])
def test_gpt_trains_the_same_on_a_second_device(names, device, core_device, dense_device):
    tok, words = names
    x, y = padded_sequences(words, tok, block_size=8)
    ours, theirs = on_both(lambda: small_gpt(tok), device)
    assert str(next(theirs.parameters()).device) == device
    losses = [train_lm(m, x, y, steps=4, batch_size=16, lr=1e-2, warmup=2, progress=False)
              for m in (ours, theirs)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=RTOL)
    assert_same_weights(ours, theirs)


def test_gpt_samples_the_same_with_the_kv_cache(names, core_device):
    tok, words = names
    x, y = padded_sequences(words, tok, block_size=8)
    ours, theirs = on_both(lambda: small_gpt(tok), "core")
    for m in (ours, theirs):
        train_lm(m, x, y, steps=3, batch_size=16, lr=1e-2, progress=False)
    samples = [gpt.sample(m, 6, generator=lego.Generator().manual_seed(3)) for m in (ours, theirs)]
    assert samples[0] == samples[1] and len(samples[0]) == 6
    start = lego.tensor([[0, 3, 5]])
    cached = gpt.generate(theirs, start.to("core"), 4, generator=lego.Generator().manual_seed(5))
    plain = gpt.generate(theirs, start.to("core"), 4, generator=lego.Generator().manual_seed(5),
                         use_cache=False)
    assert str(cached.device) == "core" and host(cached).tolist() == host(plain).tolist()


def test_mlp_language_model_trains_and_samples_the_same(names, core_device):
    tok, words = names
    x, y = context_windows(words, tok, block_size=3)
    ours, theirs = on_both(lambda: mlp_lm.MLPLanguageModel(tok.vocab_size, 3), "core")
    losses = [train_lm(m, x, y, steps=4, batch_size=32, progress=False) for m in (ours, theirs)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=RTOL)
    assert_same_weights(ours, theirs)
    samples = [mlp_lm.sample(m, 4, generator=lego.Generator().manual_seed(2))
               for m in (ours, theirs)]
    assert samples[0] == samples[1]


def test_cnn_trains_the_same_on_a_second_device(core_device):
    x, y = load_digits()
    x, y = x[:128], y[:128]
    ours, theirs = on_both(cnn.DigitsCNN, "core")
    losses = [train_classifier(m, x, y, epochs=1, batch_size=64, progress=False)
              for m in (ours, theirs)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=RTOL)
    assert_same_weights(ours, theirs)
    assert host(theirs.features[1].running_mean).shape == (16,)  # buffers moved too


def test_a_gpt_training_step_moves_only_the_batch(names, core_device):
    """After warm-up, one step (forward, backward, clipping, AdamW) uploads the two batch
    tensors and reads nothing back: no sync. Constants are FILL kernels, index checks run in
    the kernels, and the clipping scale is applied without being read."""
    tok, words = names
    x, y = padded_sequences(words, tok, block_size=8)
    _, model = on_both(lambda: small_gpt(tok), "core")
    opt = lego.optim.AdamW(model.parameters(), lr=1e-3)

    def step(i):
        xb = lego.tensor(x[16 * i:16 * i + 16], device="core")
        yb = lego.tensor(y[16 * i:16 * i + 16], device="core")
        _, loss = model(xb, yb)
        opt.zero_grad()
        loss.backward()
        lego.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    step(0)
    core_device.reset()
    loss = step(1)
    assert core_device.uploads == 2 and core_device.downloads == 0
    assert np.isfinite(host(loss))  # reading the loss is the one sync, when asked for
    assert core_device.downloads == 1


# the optimizers on the second device, against torch step by step (as test_optim.py on "cpu");
# ReLU, not Tanh: every op of this model is exact on the core device (no approximate decomposition)
OPTIMIZERS = {
    "sgd_nesterov_wd": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True,
                                                    weight_decay=0.01),
    "sgd_maximize_dampening": lambda lib, p: lib.optim.SGD(p, lr=0.01, momentum=0.9,
                                                           dampening=0.5, maximize=True),
    "adam_amsgrad_wd": lambda lib, p: lib.optim.Adam(p, lr=0.02, amsgrad=True, weight_decay=0.1),
    "adam_for_loop": lambda lib, p: lib.optim.Adam(p, lr=0.01, foreach=False),
    "adamw_multi_tensor": lambda lib, p: lib.optim.AdamW(p, lr=0.03, weight_decay=0.5,
                                                         foreach=True, amsgrad=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizers_step_on_a_second_device_as_torch_does(name, core_device):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((8, 5)), rng.standard_normal((8, 2))
    layers = [(4, 5), (2, 4)]
    weights = [(rng.standard_normal(s) / 2, rng.standard_normal(s[0]) / 2) for s in layers]

    def build(lib, device):
        model = lib.nn.Sequential(lib.nn.Linear(5, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
        with lib.no_grad():
            for layer, (w, b) in zip((model[0], model[2]), weights, strict=True):
                layer.weight.copy_(lib.tensor(w))
                layer.bias.copy_(lib.tensor(b))
        return model.double().to(device)

    ours, ref = build(lego, "core"), build(torch, "cpu")
    opts = [OPTIMIZERS[name](lib, m.parameters()) for lib, m in ((lego, ours), (torch, ref))]
    for _ in range(5):
        for lib, model, opt, device in ((lego, ours, opts[0], "core"),
                                        (torch, ref, opts[1], "cpu")):
            opt.zero_grad()
            xb, yb = lib.tensor(x).to(device), lib.tensor(y).to(device)
            ((model(xb) - yb) ** 2).mean().backward()
            opt.step()
        # float64 through a few dozen exact roundings per element, in either library's order
        for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
            assert str(p.device) == "core"
            np.testing.assert_allclose(host(p), q.detach().numpy(), rtol=1e-10, atol=1e-12)
    state = opts[0].state_dict()["state"]
    assert all(str(v.device) == "core" for s in state.values() for v in s.values()
               if isinstance(v, lego.Tensor) and v.ndim)


# the nn layers on the second device, forward and backward against torch in float64; layers
# whose ops are exact on the core device, so the only differences are summation orders
LAYERS = {
    "conv1d": (lambda nn: nn.Conv1d(3, 4, 3, padding=1, stride=2), (2, 3, 9)),
    "conv2d": (lambda nn: nn.Conv2d(3, 4, 3, padding=1, dilation=2), (2, 3, 7, 7)),
    "conv_transpose2d": (lambda nn: nn.ConvTranspose2d(3, 2, 3, stride=2), (2, 3, 4, 4)),
    "batchnorm2d": (lambda nn: nn.BatchNorm2d(3), (4, 3, 5, 5)),
    "layernorm": (lambda nn: nn.LayerNorm(6), (3, 4, 6)),
    "rmsnorm": (lambda nn: nn.RMSNorm(6), (3, 4, 6)),
    "maxpool2d": (lambda nn: nn.MaxPool2d(2), (2, 3, 6, 6)),
    "avgpool2d": (lambda nn: nn.AvgPool2d(3, stride=2), (2, 3, 7, 7)),
    "log_softmax": (lambda nn: nn.LogSoftmax(-1), (4, 7)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_nn_layers_on_a_second_device_match_torch(name, core_device):
    make, shape = LAYERS[name]
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape)
    lego.manual_seed(0)
    ours = make(lego.nn).double()
    ref = make(torch.nn).double()
    ref.load_state_dict({k: torch.tensor(host(v)) for k, v in ours.state_dict().items()})
    ours = ours.to("core")
    x, xt = lego.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = ours(x.to("core")), ref(xt)
    g = rng.standard_normal(tuple(yt.shape))
    y.backward(lego.tensor(g).to("core"))
    yt.backward(torch.tensor(g))
    # float64, sums of at most ~100 terms of size ~10: error below 1e-12 absolute
    assert str(y.device) == "core"
    np.testing.assert_allclose(host(y), yt.detach().numpy(), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(host(x.grad), xt.grad.numpy(), rtol=1e-9, atol=1e-11)
    for (k, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        np.testing.assert_allclose(host(p.grad), q.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=k)
