"""Chapter 3 on the GPU, in one run: check every CUDA kernel, then time it against its baseline.

Usage (on a machine with an NVIDIA GPU, pycuda, and PyTorch built for CUDA):
    python bench/ch3_cuda.py [--out DIR] [--check-only] [--small] [--label "run 7"]
    python bench/ch3_cuda.py --roofline-from run3.json run6.json --out DIR   (no GPU needed)
Every kernel is first checked against a float64 reference (ch3_brrr/ladders/*_cuda.py), then
timed with CUDA events beside its baseline in the same process: cuBLAS through PyTorch for the
GEMMs, torch.softmax / layer_norm / cross_entropy and a device-to-device copy for the row
kernels, torch's scaled_dot_product_attention for flash attention. Writes ch3_cuda.json (all
numbers) and ch3_cuda.md (the tables bench/results/ch3_cuda.md holds) into --out; each table
names the GPU, the time and the command of its run, so a table copied into the results (and
included by the book) keeps saying where it comes from.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ch3_brrr.ladders import attention_cuda, matmul_cuda, prims_cuda, rows_cuda  # noqa: E402
from ch3_brrr.ladders.common_cuda import draw_roofline, kernel_source  # noqa: E402
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


OVERRUN = 'extern "C" __global__ void overrun(float* x, int n) { x[n + threadIdx.x] = 1.f; }\n'


def sanitizer_control(dev) -> None:
    """A kernel that writes 32 floats past the end of its buffer, for compute-sanitizer's control
    run: memcheck must report it (an overrun this small rarely faults without the tool), which
    shows that the tool sees kernels loaded through pycuda."""
    buf = dev.allocator.alloc(4 * 1000)
    dev.build("overrun", OVERRUN)(buf, global_size=(1,), local_size=(32,), vals=(1000,))
    dev.synchronize()


def prebuild_all(capability: str) -> int:
    """Compile every kernel source the checks and timings use, into $SINGSYS_CACHE, for the GPU
    of compute capability `capability`: nvcc here, so the GPU machine's time is not spent on it."""
    from ch3_brrr.ladders.common_cuda import kernel_files, prebuild
    from ch3_brrr.runtime.ops_cuda import CUDACompiler, nvcc_arch

    class NoGpu:
        compiler = CUDACompiler(nvcc_arch(*map(int, capability.split("."))))

    tiles = [t for t in matmul_cuda.CANDIDATES if matmul_cuda.tile_ok(t)]
    sources = [kernel_source(p.stem) for p in kernel_files()]
    sources += [kernel_source("matmul", t) for t in tiles] + [OVERRUN]
    sources += [kernel_source("matmul_hopper", {"HP_STAGES": s}) for s in (3, 2)]
    prebuild(NoGpu, sources)
    print(f"{len(sources)} sources compiled for sm_{capability}")
    return 0


def roofline_from(paths: list[str], out: Path) -> int:
    """Redraw the roofline from recorded ch3_cuda.json files, no GPU needed: a later file's row
    replaces an earlier one's of the same name (e.g. run 3's tables with run 6's attention)."""
    from ch3_brrr.ladders.common import Row
    rows: dict = {}
    for path in paths:
        report = json.loads(Path(path).read_text())
        for part in ("sgemm", "rows", "attention", "tensor cores"):
            for r in report.get(part, []):
                rows[r["rung"]] = Row(r["ladder"], r["rung"], r["size"], r["seconds"],
                                      r["flops"], r["bytes"], r["baseline"])
    out.mkdir(parents=True, exist_ok=True)
    draw_roofline(list(rows.values()), out / "ch3_cuda_roofline.png")
    print(f"{out / 'ch3_cuda_roofline.png'}: {len(rows)} kernels from {', '.join(paths)}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.environ.get("OUT", "bench/results"))
    p.add_argument("--check-only", action="store_true")
    p.add_argument("--small", action="store_true", help="smaller timing sizes (a smoke run)")
    p.add_argument("--no-gpt", action="store_true", help="skip the ch2 GPT on cuda")
    p.add_argument("--only",
                   help="comma-separated parts: sgemm,rows,attention,prims,gpt,tensor cores")
    p.add_argument("--prebuild", metavar="MAJOR.MINOR",
                   help="only compile every kernel for this compute capability into the cache "
                        "(no GPU needed; e.g. 9.0), then exit")
    p.add_argument("--sanitizer-control", action="store_true",
                   help="only launch a kernel that overruns its buffer (run it under memcheck)")
    p.add_argument("--label", default="", help="the run's name in the tables, e.g. 'run 7'")
    p.add_argument("--roofline-from", nargs="+", metavar="JSON",
                   help="only redraw the roofline from these recorded ch3_cuda.json files")
    args = p.parse_args(argv)
    if args.prebuild:
        return prebuild_all(args.prebuild)
    if args.roofline_from:
        return roofline_from(args.roofline_from, Path(args.out))
    if args.sanitizer_control:
        sanitizer_control(get_device("cuda"))
        return 0
    only = set(args.only.split(",")) if args.only else None
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
             ("prims", lambda dev, rng: prims_cuda.check("cuda", rng), None),
             ("gpt", None, None),
             ("tensor cores", matmul_cuda.check_tensor_cores,
              lambda: matmul_cuda.time_tensor_cores(dev, rng, torch, n, nb))]
    for name, check, timing in parts:
        if (name == "gpt" and args.no_gpt) or (only is not None and name not in only):
            continue
        if name == "gpt":
            report["gpt"] = section("gpt on cuda vs cpu", gpt_cuda.train_both, sec)
            print("gpt:", report["gpt"], flush=True)
            continue
        ok = section(f"check {name}", lambda check=check: check(dev, rng), sec)
        if ok is not None and timing is not None and not args.check_only:
            tables[name] = section(f"time {name}", timing, sec)
            if tables[name]:
                print(table(tables[name], "bytes" if name == "rows" else "flops"), flush=True)
        (out / "ch3_cuda.json").write_text(json.dumps(report, indent=1, default=str))
    report["sass"] = section("sass", lambda: sass_summary(dev), sec)
    now = datetime.datetime.now(datetime.UTC)
    command = shlex.join(["python", "bench/ch3_cuda.py", *(sys.argv[1:] if argv is None else argv)])
    label = f"{args.label}: " if args.label else ""
    stamp = (f"{label}{dev.gpu_name}, {now:%Y-%m-%d %H:%M} UTC, PyTorch {torch.__version__}, "
             f"`{command}`")
    md = [f"Measured on {stamp}."]
    titles = {"sgemm": "SGEMM ladder, fp32 (baseline: cuBLAS, TF32 off)",
              "tensor cores": "Tensor-core GEMM, C = A B^T (baseline: cuBLAS, same precision)",
              "rows": "Row kernels, 8192 x 8192 fp32 (baseline: PyTorch)",
              "attention": "Flash attention forward, bf16, B=8 H=16 "
                           "(baseline: torch SDPA, its fastest backend)"}
    markers = {"sgemm": "sgemm", "tensor cores": "tensor", "rows": "rows",
               "attention": "attention"}
    for name, rows in tables.items():
        if rows:  # each table between snippet markers, so the book can include it by name
            kind = "bytes" if name == "rows" else "flops"
            note = [] if name != "sgemm" else [
                "", f"Rung 8's tile, chosen by the autotuner: `{report.get('tile')}`."]
            md += ["", f"<!-- --8<-- [start:{markers[name]}] -->", f"**{titles[name]}**", "",
                   f"{stamp}.", "", table(rows, kind), *note,
                   f"<!-- --8<-- [end:{markers[name]}] -->"]
            report[name] = [{**r.__dict__, "pct": r.pct} for r in rows]
    if tables:
        rows = [r for rs in tables.values() if rs for r in rs]
        section("roofline", lambda: draw_roofline(rows, out / "ch3_cuda_roofline.png"), sec)
    (out / "ch3_cuda.md").write_text("\n".join(md) + "\n")
    (out / "ch3_cuda.json").write_text(json.dumps(report, indent=1, default=str))
    print("\n".join(md))
    failed = [k for k, v in sec.items() if not v["ok"]]
    print("FAILED sections:", failed if failed else "none")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
