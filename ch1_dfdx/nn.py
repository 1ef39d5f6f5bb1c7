"""Neural networks on scalars: Neuron, Layer, MLP, and the SGD optimizer.

Every weight is a Value, so a forward pass builds a graph of scalar operations and one
`loss.backward()` fills every weight's grad. Names follow torch.nn and torch.optim: a Module
lists its `parameters()` and can `zero_grad()`; an optimizer's `step()` moves each parameter.

Shapes: nin inputs, nout outputs; a layer maps a list of nin scalars to a list of nout.
"""

import math
import random

from ch1_dfdx.engine import Value
from ch1_dfdx.errors import ShapeError

# *** 1. modules ***


# --8<-- [start:module]
class Module:
    """Anything with trainable Values: lists them and clears their grads."""

    def parameters(self) -> list[Value]:
        return []

    def zero_grad(self) -> None:
        # Grads accumulate over backward() calls; a training step must start from zero.
        for p in self.parameters():
            p.grad = 0.0
# --8<-- [end:module]


# --8<-- [start:neuron]
class Neuron(Module):
    """One unit: tanh(w . x + b), or the affine part alone where nonlin is False.

    Shapes: x (nin) -> a scalar.
    """

    def __init__(self, nin: int, nonlin: bool = True, rng: random.Random | None = None):
        rng = rng or random.Random(0)
        # U(-1/sqrt(nin), 1/sqrt(nin)), torch.nn.Linear's default: w . x stays of order 1
        # whatever nin is, so tanh starts in its steep middle and the gradients flow.
        bound = 1.0 / math.sqrt(nin)
        self.w = [Value(rng.uniform(-bound, bound)) for _ in range(nin)]
        self.b = Value(rng.uniform(-bound, bound))
        self.nonlin = nonlin

    def __call__(self, x: list) -> Value:
        if len(x) != len(self.w):
            raise ShapeError(f"Neuron expects {len(self.w)} inputs, got {len(x)}")
        # EXERCISE 1.8: the weighted sum w . x + b, then tanh where the neuron is nonlinear
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        out = act.tanh() if self.nonlin else act
        # END EXERCISE
        return out

    def parameters(self) -> list[Value]:
        return [*self.w, self.b]
# --8<-- [end:neuron]


# --8<-- [start:layer]
class Layer(Module):
    """nout neurons that all read the same inputs, like torch.nn.Linear plus an activation.

    Shapes: x (nin) -> out (nout).
    """

    def __init__(self, nin: int, nout: int, nonlin: bool = True,
                 rng: random.Random | None = None):
        rng = rng or random.Random(0)
        self.neurons = [Neuron(nin, nonlin, rng) for _ in range(nout)]

    def __call__(self, x: list) -> list[Value]:
        return [n(x) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]
# --8<-- [end:layer]


# --8<-- [start:mlp]
class MLP(Module):
    """A multilayer perceptron: tanh layers, then a linear output layer.

    Shapes: x (nin) -> out (nouts[-1]).
    """

    def __init__(self, nin: int, nouts: list[int], seed: int = 0):
        rng = random.Random(seed)
        sizes = [nin, *nouts]
        self.layers = [Layer(sizes[i], sizes[i + 1], nonlin=i < len(nouts) - 1, rng=rng)
                       for i in range(len(nouts))]

    def __call__(self, x: list) -> list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]
# --8<-- [end:mlp]

    def __repr__(self):
        sizes = [len(self.layers[0].neurons[0].w)] + [len(layer.neurons) for layer in self.layers]
        return f"MLP({' -> '.join(map(str, sizes))}, {len(self.parameters())} parameters)"


# *** 2. the optimizer ***


# --8<-- [start:sgd]
class SGD:
    """Stochastic gradient descent with momentum and weight decay, as torch.optim.SGD.

    With g = p.grad + weight_decay * p: b = g on the first step, then b = momentum * b + g,
    and p -= lr * b (b = g when momentum is 0). Momentum averages the steps over about
    1 / (1 - momentum) iterations, damping the zigzag across a narrow valley.
    """

    def __init__(self, params: list[Value], lr: float, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.buffers: list[float | None] = [None] * len(self.params)

    def step(self) -> None:
        # EXERCISE 1.9: move each parameter against its gradient (with decay and momentum)
        for i, p in enumerate(self.params):
            g = p.grad + self.weight_decay * p.data
            if self.momentum:
                b = self.buffers[i]
                g = g if b is None else self.momentum * b + g
                self.buffers[i] = g
            p.data -= self.lr * g
        # END EXERCISE

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = 0.0
# --8<-- [end:sgd]
