"""The chapter's models against their PyTorch twins (sections 2.13, 2.15, 2.16, 2.14).

models/twin.py executes the same model file with torch standing in for ch2_lego, so each test
builds the model twice, copies lego's weights into the torch twin and compares forward values
and gradients; training runs compare final losses with PyTorch's run of the same model on the
same batches. With SINGSYS_ORACLE=torch both twins are torch, and every test still holds.
"""

import importlib
import os

import numpy as np
import pytest
import torch

from ch2_lego.data import (
    CharTokenizer,
    context_windows,
    load_digits,
    load_names,
    padded_sequences,
    split_digits,
    split_words,
)
from ch2_lego.models.train import accuracy, evaluate_lm, train_classifier, train_lm
from ch2_lego.models.twin import copy_weights, load_with

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)


@pytest.fixture(scope="module")
def names():
    words = load_names()
    train, val, _ = split_words(words)
    return CharTokenizer(words), train, val


@pytest.fixture
def one_thread():
    """Time-sliced threads make tiny torch ops crawl on a busy 2-core machine: use one."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def np_of(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def twins(module_name, build):
    """(lego model, torch model) with identical float64 weights."""
    ours = build(load_with(module_name, lego))
    ref = build(load_with(module_name, torch))
    copy_weights(ours, ref, torch)
    return ours.double(), ref.double()


def compare_forward_backward(ours, ref, x, y, rtol=1e-8):
    out_ours = ours(lego.tensor(x), lego.tensor(y))
    out_ref = ref(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(np_of(out_ours[0]), np_of(out_ref[0]), rtol=rtol, atol=1e-10)
    np.testing.assert_allclose(out_ours[1].item(), out_ref[1].item(), rtol=rtol)
    out_ours[1].backward()
    out_ref[1].backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        np.testing.assert_allclose(np_of(p.grad), np_of(q.grad), rtol=1e-6, atol=1e-10,
                                   err_msg=name)


# *** 2.13 the MLP language model ***


@pytest.mark.sec_2_13
def test_mlp_lm_matches_torch_twin(names):
    tok, train, _ = names
    x, y = context_windows(train[:20], tok, block_size=3)
    ours, ref = twins("ch2_lego.models.mlp_lm",
                      lambda m: m.MLPLanguageModel(tok.vocab_size, 3, n_embd=5, n_hidden=16))
    compare_forward_backward(ours, ref, x, y)


@pytest.mark.sec_2_13
def test_mlp_lm_trains_as_well_as_torch(names, one_thread):
    tok, train, val = names
    x, y = context_windows(train, tok, block_size=3)
    xv, yv = context_windows(val, tok, block_size=3)
    losses = {}
    ours, ref = twins("ch2_lego.models.mlp_lm",
                      lambda m: m.MLPLanguageModel(tok.vocab_size, 3, n_embd=8, n_hidden=64))
    for lib, model in ((lego, ours.float()), (torch, ref.float())):
        train_lm(model, x, y, steps=150, batch_size=64, lr=1e-2, warmup=10, lib=lib,
                 progress=False)
        losses[lib.__name__] = evaluate_lm(model, xv, yv, lib=lib)
    # A uniform guess over 27 characters costs log(27) = 3.30 nats; both must learn, and
    # ours must land within 2% of PyTorch's validation loss after the same 150 steps.
    assert losses["torch"] < 2.6
    assert losses[ORACLE] < 1.02 * losses["torch"]


@pytest.mark.sec_2_16
def test_mlp_lm_samples_are_words(names):
    tok, _, _ = names
    mlp = load_with("ch2_lego.models.mlp_lm", lego)
    model = mlp.MLPLanguageModel(tok.vocab_size, 3)
    samples = mlp.sample(model, 8, max_len=12, generator=lego.Generator().manual_seed(0))
    assert len(samples) == 8
    assert all(len(s) <= 12 and all(0 < i < tok.vocab_size for i in s) for s in samples)
    assert all(isinstance(tok.decode(s), str) for s in samples)


# *** 2.15 the GPT ***


def small_gpt(m, tok):
    return m.GPT(m.GPTConfig(block_size=8, vocab_size=tok.vocab_size, n_layer=2, n_head=2,
                             n_embd=16))


@pytest.mark.sec_2_15
def test_gpt_matches_torch_twin(names):
    tok, train, _ = names
    x, y = padded_sequences(train[:6], tok, block_size=8)  # includes ignored (-100) targets
    ours, ref = twins("ch2_lego.models.gpt", lambda m: small_gpt(m, tok))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    compare_forward_backward(ours, ref, x, y)


@pytest.mark.sec_2_15
def test_kv_cache_gives_the_same_logits_as_recomputing(names):
    tok, _, _ = names
    gpt = load_with("ch2_lego.models.gpt", lego)
    model = small_gpt(gpt, tok).double().eval()
    idx = lego.tensor(np.random.default_rng(0).integers(0, tok.vocab_size, size=(3, 8)))
    full, _ = model(idx)
    caches = [gpt.KVCache() for _ in model.h]
    parts = [model(idx[:, a:b], caches=caches)[0] for a, b in ((0, 3), (3, 4), (4, 8))]
    assert caches[0].length == 8
    np.testing.assert_allclose(np_of(lego.cat(parts, dim=1)), np_of(full), rtol=1e-10,
                               atol=1e-12)
    with pytest.raises(ValueError, match="block size"):
        model(idx[:, :1], caches=caches)


@pytest.mark.sec_2_16
def test_generate_with_and_without_cache_agree(names):
    tok, _, _ = names
    gpt = load_with("ch2_lego.models.gpt", lego)
    model = small_gpt(gpt, tok).double().eval()
    start = lego.zeros(4, 1, dtype=lego.int64)
    runs = [gpt.generate(model, start, 7, generator=lego.Generator().manual_seed(3),
                         use_cache=use_cache) for use_cache in (True, False)]
    assert tuple(runs[0].shape) == (4, 8)
    np.testing.assert_array_equal(np_of(runs[0]), np_of(runs[1]))
    names_out = gpt.sample(model, 5, generator=lego.Generator().manual_seed(1))
    assert len(names_out) == 5 and all(0 not in s for s in names_out)


@pytest.mark.sec_2_16
def test_gpt_trains_as_well_as_torch(names, one_thread):
    tok, train, val = names
    x, y = padded_sequences(train, tok, block_size=8)
    xv, yv = padded_sequences(val, tok, block_size=8)
    ours, ref = twins("ch2_lego.models.gpt", lambda m: small_gpt(m, tok))
    losses = {}
    for lib, model in ((lego, ours.float()), (torch, ref.float())):
        train_lm(model, x, y, steps=40, batch_size=32, lr=1e-2, warmup=5, lib=lib,
                 progress=False)
        losses[lib.__name__] = evaluate_lm(model, xv, yv, lib=lib)
    assert losses["torch"] < 2.9  # well below log(27) = 3.30
    assert losses[ORACLE] < 1.02 * losses["torch"]


# *** 2.14 the CNN on the digits ***


@pytest.mark.sec_2_14
def test_cnn_reaches_97_percent_on_held_out_digits(one_thread):
    x, y = load_digits()
    x_train, y_train, x_test, y_test = split_digits(x, y)
    cnn = load_with("ch2_lego.models.cnn", lego)
    lego.manual_seed(0)
    model = cnn.DigitsCNN(width=8)
    train_classifier(model, x_train, y_train, epochs=4, batch_size=32, lr=1e-2, lib=lego,
                     progress=False)
    assert accuracy(model, x_test, y_test, lib=lego) >= 0.97
