"""Chapter 3 on the GPU, in one run: check every CUDA kernel, then time it against its baseline.

Usage (on a machine with an NVIDIA GPU, pycuda, and PyTorch built for CUDA):
    python bench/ch3_cuda.py [--out DIR] [--check-only] [--small]
Every kernel is first checked against a float64 reference (ch3_brrr/ladders/*_cuda.py), then
timed with CUDA events beside its baseline in the same process: cuBLAS through PyTorch for the
GEMMs, torch.softmax / layer_norm / cross_entropy and a device-to-device copy for the row
kernels, torch's scaled_dot_product_attention for flash attention. Writes ch3_cuda.json (all
numbers) and ch3_cuda.md (the tables bench/results/ch3_cuda.md holds) into --out.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ch3_brrr.ladders import attention_cuda, matmul_cuda, rows_cuda  # noqa: E402
from ch3_brrr.ladders.common_cuda import kernel_source  # noqa: E402
from ch3_brrr.runtime.device import get_device  # noqa: E402


def section(name: str, fn, report: dict):
    """Run one part; a failure is recorded and printed, and the run goes on."""
    t0 = time.perf_counter()
    try:
        result = fn()
        report[name] = {"ok": True, "seconds": round(time.perf_counter() - t0, 1)}
        print(f"[{name}] ok in {time.perf_counter() - t0:.1f} s", flush=True)
        return result
    except Exception as e:  # noqa: BLE001 -- report every failure, keep measuring the rest
        report[name] = {"ok": False, "error": f"{type(e).__name__}: {e}"[:3000]}
        print(f"[{name}] FAILED: {type(e).__name__}: {e}", flush=True)
        traceback.print_exc()
        return None


def sass_summary(dev) -> dict:
    """Which matrix instructions the tensor-core GEMMs compiled to (HGMMA = wgmma, HMMA =
    mma.sync), read off the cubin by cuobjdump when it is installed."""
    tool = shutil.which("cuobjdump")
    if tool is None:
        return {}
    with tempfile.NamedTemporaryFile(suffix=".cubin") as f:
        f.write(dev.compiler.compile_cached(kernel_source("matmul_tc")))
        f.flush()
        sass = subprocess.run([tool, "-sass", f.name], capture_output=True, text=True).stdout
    return {op: sass.count(op) for op in ("HGMMA", "HMMA", "LDSM", "LDGSTS")}


def draw_roofline(tables: dict, path: Path) -> None:
    """Every timed kernel at its arithmetic intensity (flops per byte of the least traffic),
    under two roofs measured in this run: the copy's GB/s, and cuBLAS's fp32 and bf16 rates."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for rs in tables.values() if rs for r in rs]
    by_name = {r.rung: r for r in rows}
    copy = by_name.get("torch_copy")
    if copy is None:
        return
    bw = copy.bytes / copy.seconds / 1e9
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    x = np.logspace(-2, 4, 300)
    for name, style in (("cublas_sgemm", "k-"), ("cublas_bf16", "k--")):
        if name in by_name:
            peak = by_name[name].flops / by_name[name].seconds / 1e9
            ax.plot(x, np.minimum(peak, x * bw), style,
                    label=f"{name}: {peak / 1e3:.0f} TFLOP/s, copy {bw:.0f} GB/s")
    for r in rows:
        if r.flops > 0 and not r.rung.startswith(("cublas", "torch")):
            ax.plot(r.intensity, r.flops / r.seconds / 1e9, "o")
            ax.annotate(r.rung, (r.intensity, r.flops / r.seconds / 1e9), fontsize=6)
    ax.set(xscale="log", yscale="log", xlabel="arithmetic intensity (FLOP / byte)",
           ylabel="GFLOP/s", title="CUDA kernels on the roofline (measured roofs)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=130)


def table(rows, kind: str) -> str:
    """Markdown table: TFLOP/s for compute-bound rows, GB/s for memory-bound ones."""
    unit = "TFLOP/s" if kind == "flops" else "GB/s"
    out = [f"| kernel | size | ms | {unit} | % of baseline |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        rate = r.flops / r.seconds / 1e12 if kind == "flops" else r.bytes / r.seconds / 1e9
        out.append(f"| {r.rung} | {r.size} | {r.seconds * 1e3:.3f} | {rate:.1f} | {r.pct:.0f}% |")
    return "\n".join(out)


def time_sgemm(dev, n: int, rng, torch, report: dict):
    """Autotune rung 8 at n^3, then time the whole ladder beside cuBLAS."""
    tile, results = matmul_cuda.autotune(dev, n, rng)
    report["autotune"] = [{"tflops": 2 * n**3 / s / 1e12, **t} for s, t in results]
    report["tile"] = tile
    return matmul_cuda.time_ladder(dev, n, tile, rng, torch)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.environ.get("OUT", "bench/results"))
    p.add_argument("--check-only", action="store_true")
    p.add_argument("--small", action="store_true", help="smaller timing sizes (a smoke run)")
    p.add_argument("--no-gpt", action="store_true", help="skip the ch2 GPT on cuda")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dev = get_device("cuda")
    import torch

    report: dict = {"gpu": dev.gpu_name, "date": datetime.date.today().isoformat(),
                    "torch": torch.__version__, "sections": {}}
    print(f"GPU: {dev.gpu_name}, torch {torch.__version__}", flush=True)
    sec = report["sections"]
    rng = np.random.default_rng(0)
    n, nb = (1024, 2048) if args.small else (4096, 8192)
    tables: dict = {}
    # Riskiest last: a kernel that faults leaves the CUDA context unusable for what follows,
    # so the tensor-core rungs (wgmma) come after everything else has been measured.
    from ch3_brrr.ladders import gpt_cuda
    parts = [("sgemm", matmul_cuda.check, lambda: time_sgemm(dev, n, rng, torch, report)),
             ("rows", rows_cuda.check,
              lambda: rows_cuda.time_rows(dev, rng, torch, 2048 if args.small else 8192)),
             ("attention", attention_cuda.check, lambda: attention_cuda.time_attention(
                 dev, rng, torch, T=1024 if args.small else 2048)),
             ("gpt", None, None),
             ("tensor cores", matmul_cuda.check_tensor_cores,
              lambda: matmul_cuda.time_tensor_cores(dev, rng, torch, n, nb))]
    for name, check, timing in parts:
        if name == "gpt" and args.no_gpt:
            continue
        if name == "gpt":
            report["gpt"] = section("gpt on cuda vs cpu", gpt_cuda.train_both, sec)
            print("gpt:", report["gpt"], flush=True)
            continue
        ok = section(f"check {name}", lambda check=check: check(dev, rng), sec)
        if ok is not None and not args.check_only:
            tables[name] = section(f"time {name}", timing, sec)
            if tables[name]:
                print(table(tables[name], "bytes" if name == "rows" else "flops"), flush=True)
        (out / "ch3_cuda.json").write_text(json.dumps(report, indent=1, default=str))
    report["sass"] = section("sass", lambda: sass_summary(dev), sec)
    md = [f"Measured on {dev.gpu_name}, {report['date']}, PyTorch {torch.__version__} "
          f"(`python bench/ch3_cuda.py`)."]
    titles = {"sgemm": "SGEMM ladder, fp32 (baseline: cuBLAS, TF32 off)",
              "tensor cores": "Tensor-core GEMM, C = A B^T (baseline: cuBLAS, same precision)",
              "rows": "Row kernels, 8192 x 8192 fp32 (baseline: PyTorch)",
              "attention": "Flash attention forward, bf16, B=8 H=16 (baseline: torch SDPA)"}
    markers = {"sgemm": "sgemm", "tensor cores": "tensor", "rows": "rows",
               "attention": "attention"}
    for name, rows in tables.items():
        if rows:  # each table between snippet markers, so the book can include it by name
            kind = "bytes" if name == "rows" else "flops"
            note = [] if name != "sgemm" else [
                "", f"Rung 8's tile, chosen by the autotuner: `{report.get('tile')}`."]
            md += ["", f"<!-- --8<-- [start:{markers[name]}] -->", f"**{titles[name]}**", "",
                   table(rows, kind), *note, f"<!-- --8<-- [end:{markers[name]}] -->"]
            report[name] = [{**r.__dict__, "pct": r.pct} for r in rows]
    if tables:
        section("roofline", lambda: draw_roofline(tables, out / "ch3_cuda_roofline.png"), sec)
    (out / "ch3_cuda.md").write_text("\n".join(md) + "\n")
    (out / "ch3_cuda.json").write_text(json.dumps(report, indent=1, default=str))
    print("\n".join(md))
    failed = [k for k, v in sec.items() if not v["ok"]]
    print("FAILED sections:", failed if failed else "none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
