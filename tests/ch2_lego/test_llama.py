"""The Llama-style model (models/llama.py) against its PyTorch twin: the same file executed with
torch standing in for ch2_lego (models/twin.py), with the same weights. Also its parts against
independent references: RMSNorm against torch's F.rms_norm, rotary embeddings against a
rotation by complex numbers in numpy, and sampling with the KV cache against sampling without.

Tolerances: float64 on both sides, where a difference is rounding only: a few hundred
operations on values of order 1 (logits, loss, gradients of a 2-layer model) stay within about
1e3 eps64 = 2e-13 of each other; 1e-10 leaves a wide margin and still catches any wrong
formula, which is off by far more than 1e-6.
"""

import importlib
import os

import numpy as np
import pytest
import torch

from ch2_lego.data import CharTokenizer, load_names, padded_sequences, split_words
from ch2_lego.models.train import evaluate_lm, train_lm
from ch2_lego.models.twin import copy_weights, load_with

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)
ATOL = 1e-10


@pytest.fixture(scope="module")
def names():
    words = load_names()
    train, val, _ = split_words(words)
    return CharTokenizer(words), train, val


def np_of(t) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def small_llama(m, vocab_size: int, block_size: int = 8):
    return m.Llama(m.LlamaConfig(block_size=block_size, vocab_size=vocab_size, n_layer=2,
                                 n_head=4, n_kv_head=2, n_embd=16, hidden=48))


def twins(vocab_size: int):
    """(lego model, torch model) with identical float64 weights."""
    ours = small_llama(load_with("ch2_lego.models.llama", lego), vocab_size)
    ref = small_llama(load_with("ch2_lego.models.llama", torch), vocab_size)
    copy_weights(ours, ref, torch)
    return ours.double(), ref.double()


def test_rmsnorm_matches_torch():
    llama = load_with("ch2_lego.models.llama", lego)
    x = np.random.default_rng(0).standard_normal((3, 5, 8))
    w = np.random.default_rng(1).standard_normal(8)
    norm = llama.RMSNorm(8, eps=1e-5).double()
    with lego.no_grad():
        norm.weight.copy_(lego.tensor(w))
    ref = torch.nn.functional.rms_norm(torch.tensor(x), (8,), torch.tensor(w), eps=1e-5)
    np.testing.assert_allclose(np_of(norm(lego.tensor(x))), ref.numpy(), rtol=0, atol=ATOL)


def test_rope_is_a_rotation_of_complex_pairs():
    # pair i of a head is the complex number x_i + j x_{i+D/2}; position p multiplies it by
    # exp(j p theta^(-2i/D))
    llama = load_with("ch2_lego.models.llama", lego)
    d, t = 8, 6
    x = np.random.default_rng(2).standard_normal((2, 3, t, d))
    cos, sin = llama.rope_tables(d, t, theta=100.0)
    got = np_of(llama.apply_rope(lego.tensor(x), cos, sin))
    z = x[..., : d // 2] + 1j * x[..., d // 2:]
    angle = np.arange(t)[:, None] * 100.0 ** (-np.arange(0, d, 2) / d)[None, :]
    rotated = z * np.exp(1j * angle)
    np.testing.assert_allclose(got, np.concatenate([rotated.real, rotated.imag], -1),
                               rtol=0, atol=ATOL)


def test_llama_matches_torch_twin(names):
    tok, train, _ = names
    x, y = padded_sequences(train[:6], tok, block_size=8)  # includes ignored (-100) targets
    ours, ref = twins(tok.vocab_size)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert tuple(ours.layers[0].attention.wk.weight.shape) == (8, 16)  # 2 kv heads of 4
    logits, loss = ours(lego.tensor(x), lego.tensor(y))
    ref_logits, ref_loss = ref(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(np_of(logits), np_of(ref_logits), rtol=0, atol=ATOL)
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=0, atol=ATOL)
    loss.backward()
    ref_loss.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        np.testing.assert_allclose(np_of(p.grad), np_of(q.grad), rtol=0, atol=ATOL,
                                   err_msg=name)


def test_llama_training_steps_match_torch(names):
    # AdamW, cosine schedule, clipping: five steps on the same batches stay together
    tok, train, _ = names
    x, y = padded_sequences(train, tok, block_size=8)
    ours, ref = twins(tok.vocab_size)
    losses = [train_lm(model, x, y, steps=5, batch_size=16, lr=1e-2, lib=lib, progress=False)
              for lib, model in ((lego, ours), (torch, ref))]
    np.testing.assert_allclose(losses[0], losses[1], rtol=0, atol=1e-9)
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters(), strict=True):
        np.testing.assert_allclose(np_of(p), np_of(q), rtol=0, atol=1e-9, err_msg=name)


def test_llama_trains_as_well_as_torch(names):
    tok, train, val = names
    x, y = padded_sequences(train, tok, block_size=8)
    xv, yv = padded_sequences(val, tok, block_size=8)
    ours, ref = twins(tok.vocab_size)
    losses = {}
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny ops crawl with time-sliced threads on a busy machine
    try:
        for lib, model in ((lego, ours.float()), (torch, ref.float())):
            train_lm(model, x, y, steps=40, batch_size=32, lr=1e-2, warmup=5, lib=lib,
                     progress=False)
            losses[lib.__name__] = evaluate_lm(model, xv, yv, lib=lib)
    finally:
        torch.set_num_threads(before)
    assert losses["torch"] < 2.9  # well below log(27) = 3.30
    assert losses[ORACLE] < 1.02 * losses["torch"]


def test_kv_cache_gives_the_same_logits_as_recomputing(names):
    tok, _, _ = names
    llama = load_with("ch2_lego.models.llama", lego)
    model = small_llama(llama, tok.vocab_size).double().eval()
    idx = lego.tensor(np.random.default_rng(0).integers(0, tok.vocab_size, size=(3, 8)))
    full, _ = model(idx)
    caches = [llama.KVCache() for _ in model.layers]
    parts = [model(idx[:, a:b], caches=caches)[0] for a, b in ((0, 3), (3, 4), (4, 8))]
    assert caches[0].length == 8 and caches[0].k.shape[1] == 2  # the kv heads are cached
    np.testing.assert_allclose(np_of(lego.cat(parts, dim=1)), np_of(full), rtol=0, atol=ATOL)
    with pytest.raises(ValueError, match="block size"):
        model(idx[:, :1], caches=caches)


def test_sampling_with_the_cache_equals_sampling_without(names):
    tok, _, _ = names
    llama = load_with("ch2_lego.models.llama", lego)
    model = small_llama(llama, tok.vocab_size).double().eval()
    start = lego.zeros(4, 1, dtype=lego.int64)
    runs = [llama.generate(model, start, 7, generator=lego.Generator().manual_seed(3),
                           use_cache=use_cache) for use_cache in (True, False)]
    assert tuple(runs[0].shape) == (4, 8)
    np.testing.assert_array_equal(np_of(runs[0]), np_of(runs[1]))
    names_out = llama.sample(model, 5, generator=lego.Generator().manual_seed(1))
    assert len(names_out) == 5 and all(0 not in s for s in names_out)


@pytest.mark.parametrize("sizes", [dict(n_embd=12, n_head=4), dict(n_embd=16, n_head=3),
                                   dict(n_embd=16, n_head=4, n_kv_head=3)], ids=str)
def test_a_config_that_cannot_work_is_refused_when_built(sizes):
    # an odd head size (rotary pairs), heads not dividing C, kv heads not dividing the heads:
    # a ValueError naming the sizes, not a shape error from deep inside the first forward
    llama = load_with("ch2_lego.models.llama", lego)
    config = dict(vocab_size=27, n_layer=1, n_head=4, n_kv_head=2, n_embd=16, hidden=32)
    with pytest.raises(ValueError, match="n_head"):
        llama.Llama(llama.LlamaConfig(**{**config, **sizes}))
