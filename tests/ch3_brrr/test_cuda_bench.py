"""`singsys bench --device D`: the spelling of issue 14, and the GPU roofline's drawing."""

import importlib.util
from pathlib import Path

import pytest

from ch3_brrr import bench
from ch3_brrr.ladders.common import Row
from ch3_brrr.ladders.matmul_c import RUNGS

pytestmark = pytest.mark.sec_3_13
REPO = Path(__file__).resolve().parents[2]


def test_device_c_runs_the_c_ladder(tmp_path, capsys):
    argv = ["--device", "c", "--size", "32", "--rounds", "1", "--out", str(tmp_path)]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert all(f"| c | {n.removeprefix('matmul_')} | 32 |" in out for n in RUNGS.values())
    assert "wgsl" not in out and (tmp_path / "roofline.png").exists()


def test_unknown_device_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        bench.main(["--device", "tpu"])
    assert info.value.code == 2 and "invalid choice: 'tpu'" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("pycuda") is not None,
                    reason="pycuda is installed: the ladder would run, not skip")
def test_device_cuda_without_pycuda_says_why(tmp_path, capsys):
    assert bench.main(["--device", "cuda", "--out", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "=== the cuda matmul ladder, 4096x4096x4096" in out  # the GPU's default size
    assert "cuda ladder skipped: device 'cuda' needs pycuda" in out


def test_gpu_roofline_is_drawn_under_the_measured_roofs(tmp_path):
    pytest.importorskip("matplotlib")
    from ch3_brrr.ladders.common_cuda import draw_roofline
    n = 4096
    rows = [Row("cuda", "torch_copy", n, 1e-4, 0.0, 3e8),
            Row("cuda", "cublas_sgemm", n, 2.8e-3, 2.0 * n**3, 3 * 4.0 * n * n),
            Row("cuda", "v8_autotuned", n, 3.1e-3, 2.0 * n**3, 3 * 4.0 * n * n, 2.8e-3)]
    draw_roofline(rows, tmp_path / "r.png")
    assert (tmp_path / "r.png").stat().st_size > 10_000
    draw_roofline(rows[1:], tmp_path / "none.png")  # no copy: no memory roof, nothing drawn
    assert not (tmp_path / "none.png").exists()


def test_roofline_redrawn_from_recorded_runs(tmp_path, capsys):
    # bench/ch3_cuda.py --roofline-from: the book's figure from the recorded JSON, no GPU
    pytest.importorskip("matplotlib")
    spec = importlib.util.spec_from_file_location("ch3_cuda", REPO / "bench" / "ch3_cuda.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    runs = [str(REPO / "bench" / "results" / f) for f in ("ch3_cuda_run3.json",
                                                          "ch3_cuda_run6_attention.json")]
    assert script.main(["--roofline-from", *runs, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ch3_cuda_roofline.png").stat().st_size > 10_000
    # run 6's rows replace run 3's of the same name and add the 4 wgmma rungs: 37 + 4
    assert "41 kernels" in capsys.readouterr().out
