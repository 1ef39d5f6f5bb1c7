"""Benchmark: well-known PyTorch programs run unchanged on ch2_lego, side by side with PyTorch.

Given checkouts of karpathy/nanoGPT and karpathy/makemore, each program runs twice in a copy of
its checkout (the checkouts are never written to): `python prog.py args` with PyTorch, and
`python -m ch2_lego.as_torch prog.py args` with ch2_lego. Printed: the losses each run reports,
side by side, its wall time, and whether it finished. The two libraries seed different random
generators, so the initial weights and batches differ and the losses agree only statistically
(same start near ln(vocab), same downward trend); bench/ch2_models.py compares exact twins.

Stand-ins, printed when used: nanoGPT's Shakespeare text must be downloaded by prepare.py; without
internet a text of the same kind (English prose, Python's own docstrings) takes its place.
PyTorch's run of makemore needs the tensorboard package, and nanoGPT's sample.py imports tiktoken;
where they are not installed, the PyTorch run gets ch2_lego's CSV SummaryWriter, and both runs a
tiktoken that raises if called (sample.py uses its meta.pkl vocabulary instead). Numbers are
unaffected. Both runs go through as_torch.run_script, the function behind the command line.

    .venv/bin/python bench/dropin.py --nanogpt PATH --makemore PATH [--full] [--markdown]
"""

import argparse
import importlib
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY_GPT = ["--device=cpu", "--compile=False", "--eval_iters=2", "--max_iters=20",
            "--n_layer=2", "--n_head=2", "--n_embd=64", "--block_size=64", "--batch_size=8",
            "--eval_interval=10", "--log_interval=5"]
FULL_GPT = ["--device=cpu", "--compile=False", "--eval_iters=1", "--max_iters=1",
            "--log_interval=1"]  # the config's model: 6 layers, 384 wide, 2 iterations
LOSS_LINES = [  # (what, pattern): the loss lines each program prints
    ("train", re.compile(r"^iter (\d+): loss ([\d.]+)")),  # nanoGPT
    ("val", re.compile(r"^step (\d+): train loss [\d.]+, val loss ([\d.]+)")),
    ("train", re.compile(r"^step (\d+) \| loss ([\d.]+)")),  # makemore
    ("val", re.compile(r"^step (\d+) train loss: [\d.]+ test loss: ([\d.]+)")),
]

# Both sides run through as_torch.run_script (what `python -m ch2_lego.as_torch` calls), with
# stand-ins for missing optional packages (see the module docstring): argv is lib script args.
RUNNER = """
import importlib.util, sys, types
from ch2_lego.as_torch import run_script
lib, script, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if lib == "torch" and importlib.util.find_spec("tensorboard") is None:
    import torch, ch2_lego.utils.tensorboard as csv_writer
    sys.modules["torch.utils.tensorboard"] = csv_writer
if importlib.util.find_spec("tiktoken") is None:
    def get_encoding(name):
        raise RuntimeError("tiktoken is not installed (a stand-in of bench/dropin.py)")
    sys.modules["tiktoken"] = types.SimpleNamespace(get_encoding=get_encoding)
run_script(script, args, torch_module=lib)
"""


def stand_in_text(path: Path) -> None:
    """English prose for prepare.py when the Shakespeare download is impossible: the docstrings
    of Python's standard library, about 1 MB like tiny Shakespeare."""
    names = ("argparse collections json textwrap typing dataclasses pathlib subprocess logging "
             "decimal fractions statistics random re string difflib inspect functools "
             "itertools threading socket pickle tarfile zipfile csv configparser").split()
    parts = []
    for name in names:
        with warnings.catch_warnings():  # typing's deprecated submodules warn when touched
            warnings.simplefilter("ignore")
            module = importlib.import_module(name)
        for attr in sorted(dir(module)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                doc = getattr(getattr(module, attr, None), "__doc__", None)
            if isinstance(doc, str) and len(doc) > 200:
                parts.append(doc.strip())
    path.write_text("".join(c for c in "\n\n".join(parts) if c.isascii()))


def run(lib: str, cwd: Path, script: str, args: list[str]) -> dict:
    """Run one program with `lib` ("torch" or "ch2_lego"); its losses, time and last error."""
    command = [sys.executable, "-c", RUNNER, lib, script, *args]
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    losses = {"train": [], "val": []}
    for line in proc.stdout.splitlines():
        for what, pattern in LOSS_LINES:
            if m := pattern.match(line):
                losses[what].append((int(m[1]), float(m[2])))
    error = proc.stderr.strip().splitlines()[-1] if proc.returncode else ""
    return dict(ok=proc.returncode == 0, seconds=seconds, losses=losses, error=error,
                stdout=proc.stdout)


def programs(nanogpt: Path, makemore: Path, full: bool) -> list[tuple]:
    """(name, folder, script, args for the PyTorch run, args for the ch2 run)."""
    config = "config/train_shakespeare_char.py"
    out = {lib: f"--out_dir=out-{lib}" for lib in ("torch", "ch2")}
    runs = [("nanoGPT train.py (tiny)", nanogpt, "train.py",
             [config, *TINY_GPT, out["torch"]], [config, *TINY_GPT, out["ch2"]])]
    if full:
        runs.append(("nanoGPT train.py (config's model)", nanogpt, "train.py",
                     [config, *FULL_GPT, out["torch"] + "-full"],
                     [config, *FULL_GPT, out["ch2"] + "-full"]))
    sample = ["--device=cpu", "--num_samples=2", "--max_new_tokens=80"]
    runs.append(("nanoGPT sample.py", nanogpt, "sample.py",
                 [*sample, out["torch"]], [*sample, out["ch2"]]))
    mm = ["-i", "names.txt", "--device", "cpu"]
    runs.append(("makemore transformer", makemore, "makemore.py",
                 [*mm, "-o", "out-torch", "--max-steps", "50"],
                 [*mm, "-o", "out-ch2", "--max-steps", "50"]))
    for kind in ("bigram", "mlp", "rnn", "gru", "bow"):
        steps = "501" if kind == "bigram" else "30"  # bigram: through eval, save and samples
        runs.append((f"makemore {kind}", makemore, "makemore.py",
                     [*mm, "--type", kind, "-o", f"out-torch-{kind}", "--max-steps", steps],
                     [*mm, "--type", kind, "-o", f"out-ch2-{kind}", "--max-steps", steps]))
    runs.append(("makemore bigram --sample-only", makemore, "makemore.py",
                 [*mm, "--type", "bigram", "-o", "out-torch-bigram", "--sample-only"],
                 [*mm, "--type", "bigram", "-o", "out-ch2-bigram", "--sample-only"]))
    return runs


def last(losses: list) -> str:
    return f"{losses[-1][1]:.4f} (step {losses[-1][0]})" if losses else "-"


def first(losses: list) -> str:
    return f"{losses[0][1]:.4f}" if losses else "-"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nanogpt", type=Path, required=True, help="a karpathy/nanoGPT checkout")
    parser.add_argument("--makemore", type=Path, required=True,
                        help="a karpathy/makemore checkout")
    parser.add_argument("--full", action="store_true",
                        help="also train.py with the Shakespeare config's own model size")
    parser.add_argument("--markdown", action="store_true", help="print the table as markdown")
    parser.add_argument("--show", action="store_true", help="print each run's output")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="dropin-"))
    nanogpt = work / "nanoGPT"
    makemore = work / "makemore"
    shutil.copytree(args.nanogpt, nanogpt, ignore=shutil.ignore_patterns(".git"))
    shutil.copytree(args.makemore, makemore, ignore=shutil.ignore_patterns(".git"))
    text = nanogpt / "data" / "shakespeare_char" / "input.txt"
    notes = []
    if not text.exists():
        try:  # prepare.py downloads it; try once, quickly
            import urllib.request
            url = ("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
                   "tinyshakespeare/input.txt")
            text.write_bytes(urllib.request.urlopen(url, timeout=10).read())
        except OSError:
            stand_in_text(text)
            notes.append("no internet: input.txt is a stand-in text (Python's docstrings, "
                         f"{text.stat().st_size:,} characters), not Shakespeare")
    if importlib.util.find_spec("tensorboard") is None:
        notes.append("tensorboard not installed: PyTorch's makemore runs log through ch2_lego's "
                     "CSV SummaryWriter")
    if importlib.util.find_spec("tiktoken") is None:
        notes.append("tiktoken not installed: both sample.py runs import a stand-in (unused: "
                     "they decode with meta.pkl)")
    prep = run("ch2_lego", nanogpt / "data" / "shakespeare_char", "prepare.py", [])
    print(f"prepare.py through the runner: {'ok' if prep['ok'] else prep['error']}")

    rows = []
    for name, folder, script, torch_args, ch2_args in programs(nanogpt, makemore, args.full):
        ref, ours = run("torch", folder, script, torch_args), run("ch2_lego", folder, script,
                                                                    ch2_args)
        if args.show:
            print(f"--- {name}: PyTorch\n{ref['stdout']}\n--- {name}: ch2_lego\n{ours['stdout']}")
        status = "ok" if ours["ok"] else f"FAILS: {ours['error'][:120]}"
        if not ref["ok"]:
            status += f" (PyTorch fails too: {ref['error'][:80]})"
        rows.append([name, first(ref["losses"]["train"]), first(ours["losses"]["train"]),
                     last(ref["losses"]["train"]), last(ours["losses"]["train"]),
                     last(ref["losses"]["val"]), last(ours["losses"]["val"]),
                     f"{ref['seconds']:.1f}", f"{ours['seconds']:.1f}", status])
        print(f"{name}: {status}", flush=True)

    header = ["program", "first loss torch", "first loss ch2", "last loss torch",
              "last loss ch2", "val loss torch", "val loss ch2", "wall s torch", "wall s ch2",
              "ch2 run"]
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    print(f"\n{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}, OPENBLAS_NUM_THREADS={threads}; wall times include "
          "starting Python and importing the library")
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    for note in notes:
        print(f"note: {note}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
