"""nn.Module, Parameter and the containers, against torch.nn (book section 2.11).

The implementation under test is `lego` (ch2_lego, or torch itself with SINGSYS_ORACLE=torch);
each test builds the same structure with torch.nn and compares names, shapes, state_dict keys,
reprs and error messages.
"""

import importlib
import os
from collections import OrderedDict

import numpy as np
import pytest
import torch

ORACLE = os.environ.get("SINGSYS_ORACLE", "ch2_lego")
lego = importlib.import_module(ORACLE)
pytestmark = pytest.mark.sec_2_11


def make_pair():
    """The same small model in lego and torch: a Sequential with a nested block and a buffer."""
    def build(lib):
        class Block(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.proj = lib.nn.Linear(4, 3)
                self.norm = lib.nn.LayerNorm(3)
                self.scale = lib.nn.Parameter(lib.ones(3))
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("scratch", lib.zeros(2), persistent=False)

            def forward(self, x):
                return self.norm(self.proj(x)) * self.scale

        return lib.nn.Sequential(Block(), lib.nn.ReLU(), lib.nn.Linear(3, 2, bias=False))

    return build(lego), build(torch)


def test_named_parameters_and_buffers_match_torch():
    ours, ref = make_pair()
    names = [(n, tuple(p.shape)) for n, p in ours.named_parameters()]
    assert names == [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in ref.named_buffers()]
    assert len(list(ours.parameters())) == 6
    assert all(p.requires_grad and p.is_leaf for p in ours.parameters())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in ref.named_modules()]
    assert [n for n, _ in ours.named_children()] == ["0", "1", "2"]


def test_state_dict_keys_skip_non_persistent_buffers():
    ours, ref = make_pair()
    assert list(ours.state_dict().keys()) == list(ref.state_dict().keys())
    assert "0.scratch" not in ours.state_dict()
    assert not any(v.requires_grad for v in ours.state_dict().values())


def test_state_dict_round_trip_copies_values_in_place():
    a, _ = make_pair()
    b, _ = make_pair()
    weight_before = b[0].proj.weight
    result = b.load_state_dict(a.state_dict())
    assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
    assert b[0].proj.weight is weight_before  # same Parameter object, new values
    for (na, va), (nb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert na == nb
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_load_state_dict_reports_missing_and_unexpected_keys():
    ours, _ = make_pair()
    state = ours.state_dict()
    del state["2.weight"]
    state["extra"] = lego.zeros(1)
    with pytest.raises(RuntimeError, match="Missing key.*\"2.weight\"") as info:
        ours.load_state_dict(state)
    assert 'Unexpected key(s) in state_dict: "extra"' in str(info.value)
    result = ours.load_state_dict(state, strict=False)
    assert list(result.missing_keys) == ["2.weight"]
    assert list(result.unexpected_keys) == ["extra"]


def test_load_state_dict_reports_shape_mismatch():
    ours, _ = make_pair()
    state = ours.state_dict()
    state["0.proj.weight"] = lego.zeros(5, 4)
    with pytest.raises(RuntimeError, match="size mismatch for 0.proj.weight"):
        ours.load_state_dict(state)
    with pytest.raises(RuntimeError, match="size mismatch"):
        ours.load_state_dict(state, strict=False)
    state["0.proj.weight"] = 3.0
    with pytest.raises(RuntimeError, match='named "0.proj.weight", expected torch.Tensor'):
        ours.load_state_dict(state)


def test_load_state_dict_assign_takes_the_tensors_themselves():
    for lib in (lego, torch):
        layer = lib.nn.Linear(3, 2)
        state = {"weight": lib.zeros(2, 3), "bias": lib.ones(2)}
        layer.load_state_dict(state, assign=True)
        assert isinstance(layer.weight, lib.nn.Parameter) and layer.weight.requires_grad
        with lib.no_grad():
            state["weight"][0, 0] = 7.0  # the module now shares the given tensor's storage
        assert float(layer.weight.detach()[0, 0]) == 7.0
        assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_train_eval_reach_every_submodule():
    ours, _ = make_pair()
    assert all(m.training for m in ours.modules())
    assert ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())


def test_zero_grad_and_requires_grad():
    ours, _ = make_pair()
    out = ours(lego.ones(2, 4)).sum()
    out.backward()
    assert all(p.grad is not None for p in ours.parameters())
    ours.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0.0 for p in ours.parameters())
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    ours.requires_grad_(False)
    assert not any(p.requires_grad for p in ours.parameters())


def test_apply_visits_children_before_parents():
    ours, ref = make_pair()
    seen_ours, seen_ref = [], []
    ours.apply(lambda m: seen_ours.append(type(m).__name__))
    ref.apply(lambda m: seen_ref.append(type(m).__name__))
    assert seen_ours == seen_ref


def test_repr_matches_torch():
    ours, ref = make_pair()
    assert repr(ours) == repr(ref)
    for build in (lambda lib: lib.nn.Conv2d(1, 8, 3, padding=1, bias=False),
                  lambda lib: lib.nn.Embedding(10, 4),
                  lambda lib: lib.nn.Dropout(0.1),
                  lambda lib: lib.nn.BatchNorm2d(4),
                  lambda lib: lib.nn.MaxPool2d(2),
                  lambda lib: lib.nn.Flatten(),
                  lambda lib: lib.nn.GELU(approximate="tanh"),
                  lambda lib: lib.nn.Softmax(dim=-1),
                  lambda lib: lib.nn.Sequential()):
        assert repr(build(lego)) == repr(build(torch))


def test_to_float64_keeps_parameter_identity():
    ours, _ = make_pair()
    weight = ours[2].weight
    ours.to(lego.float64)
    assert ours[2].weight is weight
    assert all(p.dtype == lego.float64 for p in ours.parameters())
    assert ours(lego.ones(1, 4, dtype=lego.float64)).dtype == lego.float64


def test_to_an_integer_dtype_is_refused():
    with pytest.raises(TypeError, match="only accepts floating point or complex dtypes"):
        lego.nn.Linear(2, 2).to(lego.int64)


def test_parameter_shares_storage_and_is_a_leaf():
    t = lego.zeros(3)
    p = lego.nn.Parameter(t)
    assert isinstance(p, lego.Tensor) and p.requires_grad and p.is_leaf
    with lego.no_grad():
        t[0] = 5.0
    assert float(p[0].detach()) == 5.0
    assert not lego.nn.Parameter(t, requires_grad=False).requires_grad


def test_assignment_errors():
    layer = lego.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign"):
        layer.weight = lego.zeros(2, 2)  # a plain tensor where a Parameter is registered
    layer.bias = None  # None is allowed
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        layer.nope  # noqa: B018
    with pytest.raises(KeyError):
        layer.register_buffer("a.b", lego.zeros(1))
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        lego.nn.Module()(1)


def test_get_submodule_and_delattr():
    ours, ref = make_pair()
    for model in (ours, ref):
        assert model.get_submodule("0.proj") is model[0].proj
        with pytest.raises(AttributeError, match="has no attribute `nope`"):
            model.get_submodule("0.nope")
        del model[0].scale  # a parameter: gone from the tree and from state_dict
        del model[0].norm  # a submodule
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert "0.scale" not in ours.state_dict() and "0.norm.weight" not in ours.state_dict()


def test_tied_parameters_are_listed_once():
    a, b = lego.nn.Linear(3, 3), lego.nn.Linear(3, 3)
    b.weight = a.weight
    model = lego.nn.Sequential(a, b)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert "1.weight" in model.state_dict()  # state_dict keeps every name, as PyTorch does


def test_sequential_indexing_and_ordered_dict():
    seq = lego.nn.Sequential(OrderedDict(first=lego.nn.Linear(2, 3), act=lego.nn.Tanh()))
    assert len(seq) == 2 and isinstance(seq[-1], lego.nn.Tanh)
    assert isinstance(seq[:1], lego.nn.Sequential) and len(seq[:1]) == 1
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh"]
    assert seq(lego.ones(4, 2)).shape == (4, 3)
    with pytest.raises(IndexError):
        seq[2]


def test_module_list_and_dict_register_children():
    layers = lego.nn.ModuleList([lego.nn.Linear(2, 2) for _ in range(3)])
    layers.append(lego.nn.Linear(2, 1))
    assert len(layers) == 4 and len(list(layers.parameters())) == 8
    assert [n for n, _ in layers.named_parameters()][-1] == "3.bias"
    heads = lego.nn.ModuleDict({"a": lego.nn.Linear(2, 2), "b": lego.nn.ReLU()})
    heads["c"] = lego.nn.Linear(2, 3)
    assert list(heads.keys()) == ["a", "b", "c"] and "b" in heads
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "c.weight",
                                                        "c.bias"]


@pytest.mark.skipif(ORACLE != "ch2_lego", reason="our own extra: named error types")
def test_errors_have_names_and_builtin_bases():
    from ch2_lego.nn.errors import LayerArgumentError, ModuleError, StateDictError
    from ch2_lego.optim.optimizer import OptimizerError

    layer = lego.nn.Linear(2, 2)
    with pytest.raises(StateDictError):
        layer.load_state_dict({})
    with pytest.raises(ModuleError):
        layer.weight = lego.zeros(2, 2)
    with pytest.raises(LayerArgumentError):
        lego.nn.Dropout(-0.1)
    with pytest.raises(OptimizerError):
        lego.optim.SGD(layer.parameters(), lr=-1.0)
    assert issubclass(StateDictError, RuntimeError) and issubclass(ModuleError, TypeError)
    assert issubclass(LayerArgumentError, ValueError) and issubclass(OptimizerError, ValueError)
