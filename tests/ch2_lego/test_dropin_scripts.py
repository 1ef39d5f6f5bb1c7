"""PyTorch scripts run unchanged through `python -m ch2_lego.as_torch`, checked against PyTorch.

The scripts in dropin_scripts/ are written the ordinary PyTorch way (device selection, seeding,
backends flags, autocast, GradScaler, torch.compile, DDP imports, DataLoader with samplers,
optimizers, checkpoints, sampling). Each runs in a fresh process twice, once with `python
script.py` (PyTorch) and once through the runner (ch2_lego), and writes JSON we compare.
They draw weights and batches from numpy, so both runs compute the same float64 numbers up to
rounding. Tolerance from the error bound: a step is at most ~100 float64 operations per value
(dot products of length <= 16, softmax, layer norm, the optimizer's update), each within eps64
of exact; over S steps the errors add, and a few steps of training amplify a perturbation by at
most ~10x (the loss is smooth and the steps small), so |loss_ours - loss_torch| <=
S * 100 * 10 * eps64 * loss (a loss is a mean of positive terms: no cancellation).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.sec_2_16
SCRIPTS = Path(__file__).parent / "dropin_scripts"
REPO = Path(__file__).resolve().parents[2]
EPS64 = np.finfo(np.float64).eps


def run(script: str, args: list[str], cwd: Path, lib: str) -> subprocess.CompletedProcess:
    """Run a script in a fresh process with PyTorch (lib="torch") or ch2_lego as torch."""
    runner = [] if lib == "torch" else ["-m", "ch2_lego.as_torch"]
    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, *runner, str(SCRIPTS / script), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{script} under {lib} failed:\n{proc.stderr[-3000:]}"
    return proc


def close_losses(ours, ref, steps_done):
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape
    bound = steps_done * 100 * 10 * EPS64 * np.abs(ref)
    assert (np.abs(ours - ref) <= bound).all(), f"{ours - ref} beyond {bound}"


OPTIMIZERS = ["sgd", "adam", "adamw", "adagrad", "rmsprop", "adadelta"]


def test_classifier_script_matches_torch(tmp_path):
    results = {}
    for lib in ("torch", "ch2_lego"):
        out = tmp_path / f"{lib}.json"
        proc = run("fit_classifier.py", ["--optimizers", ",".join(OPTIMIZERS), "--steps", "12",
                                         "--out", str(out)], tmp_path, lib)
        results[lib] = json.loads(out.read_text())
        assert "adadelta: train loss" in proc.stdout
    ours, ref = results["ch2_lego"], results["torch"]
    steps = np.arange(1, 13)  # loss k is computed after k-1 steps; count one for its forward
    for name in OPTIMIZERS:
        close_losses(ours["results"][name]["losses"], ref["results"][name]["losses"], steps)
        close_losses([ours["results"][name]["val_loss"]], [ref["results"][name]["val_loss"]], 13)
        assert ours["results"][name]["losses"][-1] != ours["results"][name]["losses"][0]
    # the infinite loader's batches: same shapes and dtypes (dtype names without the prefix)
    assert [[x, y, dx.split(".")[-1], dy.split(".")[-1]] for x, y, dx, dy in ours["batches"]] == \
        [[x, y, dx.split(".")[-1], dy.split(".")[-1]] for x, y, dx, dy in ref["batches"]]
    for key in ("device", "accelerated", "ddp", "scale"):  # cpu, False, False, 1.0 on both
        assert ours[key] == ref[key], key


def test_char_model_script_matches_torch_and_resumes(tmp_path):
    results = {}
    for lib in ("torch", "ch2_lego"):
        work = tmp_path / lib
        run("char_model.py", ["--work_dir", str(work), "--steps", "8", "--resume_at", "4"],
            tmp_path, lib)
        results[lib] = json.loads((work / "result.json").read_text())
    ours, ref = results["ch2_lego"], results["torch"]
    steps = np.arange(1, 9)
    close_losses(ours["first"] + ours["resumed"], ref["first"] + ref["resumed"], steps)
    for result in (ours, ref):  # resuming from the checkpoint repeats the uninterrupted run
        close_losses(result["first"] + result["resumed"], result["straight"], steps)
    # the checkpoint's float32 best_val_loss is the float32 rounding of the 4th loss
    assert ours["best_val_loss"] == float(np.float32(ours["first"][-1]))
    assert ours["config"] == ref["config"]
    letters = set("abcdefghijklmnopqrstuvwxyz")
    assert all(set(name) <= letters and len(name) <= 5 for name in ours["samples"])
    assert len(ours["samples"]) == 4
    # ch2's SummaryWriter logged every loss (PyTorch's needs tensorboard, not installed here);
    # repr of a float round-trips, so the logged values are the losses exactly
    rows = [line.split(",") for line in (tmp_path / "ch2_lego" / "scalars.csv").read_text()
            .splitlines()]
    assert [(tag, int(step)) for tag, step, _, _ in rows] == [("Loss/train", i) for i in range(8)]
    assert [float(value) for _, _, value, _ in rows] == ours["first"] + ours["resumed"]
