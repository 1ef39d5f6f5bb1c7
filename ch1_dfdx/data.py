"""A 2-D classification dataset made in code: two interleaving half moons.

`make_moons(n, noise, seed)` returns n points (x1, x2) and labels -1 or +1, half in each class,
the same shape of problem as `sklearn.datasets.make_moons`. No two classes are separable by a
line, so a classifier needs a hidden layer. Deterministic for a given seed.

Shapes: xs (n, 2) as a list of [x1, x2]; ys (n) as a list of -1.0 / +1.0.
"""

import math
import random


# --8<-- [start:make_moons]
def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list, list]:
    """Two half circles of radius 1: the upper centred at (0, 0), the lower at (1, 0.5).

    Each point lies at a uniformly random angle on its moon, then moves by Gaussian noise of
    standard deviation `noise` in both coordinates.
    """
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = rng.uniform(0.0, math.pi)
        if i % 2 == 0:  # the upper moon, label -1
            x1, x2, y = math.cos(t), math.sin(t), -1.0
        else:  # the lower moon, flipped and shifted into the upper one's mouth, label +1
            x1, x2, y = 1.0 - math.cos(t), 0.5 - math.sin(t), 1.0
        xs.append([x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)])
        ys.append(y)
    return xs, ys
# --8<-- [end:make_moons]
