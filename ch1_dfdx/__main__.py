"""`python -m ch1_dfdx`: train the scalar MLP on two moons and print how it went."""

from ch1_dfdx.data import make_moons
from ch1_dfdx.nn import MLP
from ch1_dfdx.train import accuracy, train


def main() -> None:
    xs, ys = make_moons(200, noise=0.1, seed=0)
    model = MLP(2, [8, 8, 1], seed=0)
    print(f"training {model!r} on {len(xs)} points of two moons")
    history = train(model, xs, ys, steps=100, lr=0.3)
    for step in range(0, len(history["loss"]), 10):
        print(f"step {step:3d}  loss {history['loss'][step]:.4f}  "
              f"accuracy {history['accuracy'][step]:.1%}")
    final = accuracy([model(x)[0] for x in xs], ys)  # after the last update
    print(f"final training accuracy {final:.1%} in {history['seconds']:.1f} s")


if __name__ == "__main__":
    main()
