"""Chapter 2's GPT in graph mode (book 4.5): forward, sampling with the KV cache, and training
steps on the device "lazy", uncompiled and through compile(fn), against eager ch2 on the CPU.

The models run in float64 here, so eager (numpy/BLAS) and our kernels differ only by summation
order: rtol 1e-8 is far above that and far below any real mistake.
"""

import numpy as np
import pytest

import ch2_lego as lego
import ch4_pt2
from ch2_lego.models.gpt import GPT, GPTConfig, sample

pytestmark = pytest.mark.sec_4_5
CONFIG = GPTConfig(block_size=8, vocab_size=11, n_layer=2, n_head=2, n_embd=16)


@pytest.fixture
def float64():
    old = lego.get_default_dtype()
    lego.set_default_dtype(lego.float64)
    yield
    lego.set_default_dtype(old)


def twins(seed=0):
    """The same GPT twice: eager on "cpu" and in graph mode on "lazy"."""
    lego.manual_seed(seed)
    eager = GPT(CONFIG)
    lazy = GPT(CONFIG)
    lazy.load_state_dict(eager.state_dict())
    return eager, lazy.to("lazy")


def batch(b=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, CONFIG.vocab_size, (b, CONFIG.block_size))
    y = rng.integers(0, CONFIG.vocab_size, (b, CONFIG.block_size))
    return lego.tensor(x), lego.tensor(y)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-8, atol=1e-10)


def test_forward_matches_eager(float64):
    eager, lazy = twins()
    x, y = batch()
    logits, loss = eager(x, y)
    lazy_logits, lazy_loss = lazy(x.to("lazy"), y.to("lazy"))
    close(lazy_logits.detach().numpy(), logits.detach().numpy())
    close(lazy_loss.item(), loss.item())


def test_compiled_forward_replays_and_retraces_on_a_new_shape(float64):
    eager, lazy = twins()
    eager.eval()
    lazy.eval()
    forward = ch4_pt2.compile(lambda idx: lazy(idx)[0])
    with lego.no_grad():
        for seed in (1, 2, 3):
            x, _ = batch(seed=seed)
            close(forward(x).numpy(), eager(x)[0].numpy())
        assert len(forward.traces) == 1
        x, _ = batch(b=5)
        close(forward(x).numpy(), eager(x)[0].numpy())
        assert len(forward.traces) == 2


def train_step(model, opt, x, y):
    opt.zero_grad()
    _, loss = model(x, y)
    loss.backward()
    opt.step()
    return loss


def test_adamw_training_steps_match_eager(float64):
    eager, lazy = twins()
    opt = lego.optim.AdamW(eager.parameters(), lr=1e-2)
    lazy_opt = lego.optim.AdamW(lazy.parameters(), lr=1e-2)
    for seed in range(3):
        x, y = batch(seed=seed)
        want = train_step(eager, opt, x, y).item()
        got = train_step(lazy, lazy_opt, x.to("lazy"), y.to("lazy")).item()
        close(got, want)
    for p, q in zip(eager.parameters(), lazy.parameters()):
        close(q.detach().numpy(), p.detach().numpy())


def test_compiled_training_step_matches_eager(float64):
    eager, lazy = twins()
    opt = lego.optim.SGD(eager.parameters(), lr=0.1, momentum=0.9)
    lazy_opt = lego.optim.SGD(lazy.parameters(), lr=0.1, momentum=0.9)
    step = ch4_pt2.compile(lambda x, y: train_step(lazy, lazy_opt, x, y))
    x, y = batch(seed=0)
    # the first step creates the momentum buffers (Python state): run it uncompiled
    close(train_step(lazy, lazy_opt, x.to("lazy"), y.to("lazy")).item(),
          train_step(eager, opt, x, y).item())
    for seed in (1, 2, 3):
        x, y = batch(seed=seed)
        close(step(x, y).item(), train_step(eager, opt, x, y).item())
    assert len(step.traces) == 1
    assert next(iter(step.traces.values())).checked  # two equal traces: the third call replayed
    for p, q in zip(eager.parameters(), lazy.parameters()):
        close(q.detach().numpy(), p.detach().numpy())


def test_compiled_adamw_step_is_right_though_its_step_count_changes(float64):
    """AdamW's bias corrections are Python numbers of the step count: each trace's graph
    differs from the last, so compile never replays a stale one (and says so)."""
    eager, lazy = twins()
    opt = lego.optim.AdamW(eager.parameters(), lr=1e-2)
    lazy_opt = lego.optim.AdamW(lazy.parameters(), lr=1e-2)
    step = ch4_pt2.compile(lambda x, y: train_step(lazy, lazy_opt, x, y))
    with pytest.warns(RuntimeWarning, match="graph changed on 3 calls"):
        for seed in range(5):
            x, y = batch(seed=seed)
            close(step(x, y).item(), train_step(eager, opt, x, y).item())
    assert not next(iter(step.traces.values())).checked
    for p, q in zip(eager.parameters(), lazy.parameters()):
        close(q.detach().numpy(), p.detach().numpy())


def test_compiled_capturable_adamw_step_replays_without_retracing(float64):
    """capturable=True: the step count is a tensor, so every step is the same graph. After the
    first (uncompiled) step makes the state, compile traces twice (its agreement check) and
    then replays: the trace count stays 2 over the later steps, and the weights follow eager."""
    eager, lazy = twins()
    opt = lego.optim.AdamW(eager.parameters(), lr=1e-2, capturable=True)
    lazy_opt = lego.optim.AdamW(lazy.parameters(), lr=1e-2, capturable=True)
    step = ch4_pt2.compile(lambda x, y: train_step(lazy, lazy_opt, x, y))
    x, y = batch(seed=0)
    close(train_step(lazy, lazy_opt, x.to("lazy"), y.to("lazy")).item(),
          train_step(eager, opt, x, y).item())
    counts = []
    for seed in range(1, 7):
        x, y = batch(seed=seed)
        close(step(x, y).item(), train_step(eager, opt, x, y).item())
        counts.append(step.trace_count)
    assert counts == [1, 2, 2, 2, 2, 2]
    for p, q in zip(eager.parameters(), lazy.parameters()):
        close(q.detach().numpy(), p.detach().numpy())
    step_count = lazy_opt.state[next(iter(lazy.parameters()))]["step"]
    assert step_count.device == "lazy" and float(step_count.item()) == 7.0


def test_a_python_number_that_changes_every_call_is_never_replayed_stale():
    counter = [0]

    def scaled(x):
        counter[0] += 1
        return x * counter[0]

    f = ch4_pt2.compile(scaled)
    x = lego.tensor(np.ones(3))
    with pytest.warns(RuntimeWarning, match="traced on every call"):
        got = [float(f(x).numpy()[0]) for _ in range(4)]
    assert got == [1.0, 2.0, 3.0, 4.0]  # torch.compile's answer too: Dynamo guards on it


def test_a_write_at_a_python_position_is_never_replayed_stale():
    """A KV-cache update at a position kept in Python: the write's box moves every call."""
    pos = [0]
    cache = lego.zeros(4, 2, device="lazy")

    def write(x):
        cache[pos[0]] = x
        pos[0] += 1
        return cache.sum(0)

    f = ch4_pt2.compile(write)
    with pytest.warns(RuntimeWarning, match="traced on every call"):
        for k in range(4):
            f(lego.tensor([1.0 + k, 10.0]))
    want = np.array([[1.0, 10.0], [2.0, 10.0], [3.0, 10.0], [4.0, 10.0]])
    np.testing.assert_array_equal(cache.numpy(), want)


def test_sampling_with_the_kv_cache_matches_eager(float64):
    eager, lazy = twins()
    eager.eval()
    lazy.eval()
    with lego.no_grad():
        want = sample(eager, 3, generator=lego.Generator().manual_seed(5))
        got = sample(lazy, 3, generator=lego.Generator().manual_seed(5))
    assert got == want
