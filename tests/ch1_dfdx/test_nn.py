"""Neurons, layers and the MLP against torch.nn with the same weights; SGD against
torch.optim.SGD; the moons dataset; and training to at least 95% accuracy."""

import gc
import math

import pytest
import torch

from ch1_dfdx import MLP, SGD, Layer, Neuron, Value, gradcheck
from ch1_dfdx.data import make_moons
from ch1_dfdx.train import accuracy, hinge_loss, train

pytestmark = pytest.mark.sec_1_8


def torch_copy(model: MLP) -> list[torch.nn.Linear]:
    """torch.nn.Linear layers in float64 holding the MLP's weights."""
    linears = []
    for layer in model.layers:
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)
        lin = torch.nn.Linear(nin, nout, dtype=torch.float64)
        with torch.no_grad():
            # float64 tensors: torch.tensor of Python floats would default to float32
            weight = [[w.data for w in n.w] for n in layer.neurons]
            lin.weight.copy_(torch.tensor(weight, dtype=torch.float64))
            lin.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        linears.append(lin)
    return linears


def torch_forward(linears, x):
    h = torch.tensor(x, dtype=torch.float64)
    for i, lin in enumerate(linears):
        h = lin(h)
        if i < len(linears) - 1:
            h = torch.tanh(h)
    return h


def test_neuron_by_hand():
    n = Neuron(2, nonlin=False)
    n.w[0].data, n.w[1].data, n.b.data = 2.0, -1.0, 0.5
    assert n([3.0, 4.0]).data == 2.5  # 2*3 - 1*4 + 0.5
    assert Neuron(2)([3.0, 4.0]).data == math.tanh(Neuron(2, nonlin=False)([3.0, 4.0]).data)
    assert len(Layer(3, 4)([1.0, 2.0, 3.0])) == 4
    assert len(Layer(3, 4).parameters()) == 4 * (3 + 1)


def test_mlp_outputs_and_grads_match_torch(close):
    model = MLP(3, [5, 4, 2], seed=3)
    x = [0.5, -1.5, 2.0]
    out = model(x)
    loss = out[0] * out[1] + out[1].tanh()
    loss.backward()
    linears = torch_copy(model)
    t_out = torch_forward(linears, x)
    t_loss = t_out[0] * t_out[1] + t_out[1].tanh()
    t_loss.backward()
    assert all(close(o.data, t.item()) for o, t in zip(out, t_out))
    for layer, lin in zip(model.layers, linears):
        for k, neuron in enumerate(layer.neurons):
            assert all(close(w.grad, t.item()) for w, t in zip(neuron.w, lin.weight.grad[k]))
            assert close(neuron.b.grad, lin.bias.grad[k].item())
    assert len(model.parameters()) == sum(p.numel() for lin in linears for p in lin.parameters())


def test_gradients_pass_gradcheck():
    # The check that needs no torch: reverse mode against central differences, with respect to
    # an MLP's inputs and to a neuron's weights.
    model = MLP(3, [5, 1], seed=2)
    assert gradcheck(lambda a, b, c: model([a, b, c])[0], (0.3, -1.2, 0.8))

    def loss_of_weights(w1, w2, b):
        neuron = Neuron(2)
        neuron.w, neuron.b = [w1, w2], b
        return (neuron([0.5, -1.0]) - 1.0) ** 2

    assert gradcheck(loss_of_weights, (0.4, 0.9, -0.2))


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.8, 0.01)])
def test_sgd_matches_torch_optim_sgd(momentum, weight_decay, close):
    start = [1.5, -0.5, 2.0]
    ours = [Value(x) for x in start]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in start]
    opt = SGD(ours, lr=0.1, momentum=momentum, weight_decay=weight_decay)
    t_opt = torch.optim.SGD(theirs, lr=0.1, momentum=momentum, weight_decay=weight_decay)
    for _ in range(5):
        for params, optimizer in ((ours, opt), (theirs, t_opt)):
            a, b, c = params
            loss = (a * b - 1.0) ** 2 + (c * a).sin() + b**4
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    assert all(close(p.data, t.item()) for p, t in zip(ours, theirs))


def test_moons_are_deterministic_and_balanced():
    xs, ys = make_moons(50, noise=0.1, seed=4)
    assert (xs, ys) == make_moons(50, noise=0.1, seed=4)
    assert xs != make_moons(50, noise=0.1, seed=5)[0]
    assert len(xs) == 50 and all(len(x) == 2 for x in xs)
    assert sorted(set(ys)) == [-1.0, 1.0] and ys.count(1.0) == 25
    # Without noise every point lies on its circle: |p - centre| = 1.
    for (x1, x2), y in zip(*make_moons(20, noise=0.0)):
        cx, cy = (0.0, 0.0) if y < 0 else (1.0, 0.5)
        assert abs((x1 - cx) ** 2 + (x2 - cy) ** 2 - 1.0) < 1e-12


def test_hinge_loss_and_accuracy_by_hand():
    scores = [Value(2.0), Value(-0.5), Value(0.25)]
    ys = [1.0, -1.0, -1.0]
    # relu(1 - 2) + relu(1 - 0.5) + relu(1 + 0.25) = 0 + 0.5 + 1.25, mean 0.5833...
    assert hinge_loss(scores, ys).data == pytest.approx(1.75 / 3, rel=1e-12)
    assert accuracy(scores, ys) == 2 / 3


def test_training_reaches_95_percent():
    xs, ys = make_moons(60, noise=0.1, seed=0)
    model = MLP(2, [16, 1], seed=0)
    history = train(model, xs, ys, steps=60, lr=0.3, progress=False)
    assert gc.isenabled()  # train pauses the cycle collector and must turn it back on
    assert history["loss"][-1] < history["loss"][0]
    assert accuracy([model(x)[0] for x in xs], ys) >= 0.95
