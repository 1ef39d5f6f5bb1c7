"""Chapter 3's part of `singsys demo` (ch3_brrr/tour.py), at a tiny size: its rows and files,
and what it does on a machine without a C compiler."""

import os
import re
import subprocess
import sys

import pytest

from ch3_brrr.tour import tour

pytestmark = pytest.mark.sec_3_7


def test_tour_saves_the_roofline_and_trains_on_c_as_on_cpu(tmp_path):
    rows = tour(tmp_path / "ch3", size=32, steps=1)
    assert (tmp_path / "ch3" / "roofline.png").stat().st_size > 10_000
    assert re.fullmatch(r"v\d_\w+: [\d.]+ GFLOP/s, \d+% of the baseline",
                        rows["c matmul, best rung at 32^3"])
    loss = {d: float(rows[f"ch2 GPT on {d!r}"].split()[1]) for d in ("cpu", "c")}
    # one step from the same float32 weights on the same batch: the devices differ only in
    # rounding, far below the 4 printed decimals of a loss near ln(27) = 3.3
    assert loss["c"] == pytest.approx(loss["cpu"], abs=2e-4)


def test_tour_without_a_c_compiler_says_why_and_goes_on(tmp_path):
    script = ("from pathlib import Path\n"
              "from ch3_brrr.tour import tour\n"
              f"rows = tour(Path({str(tmp_path)!r}), size=16, steps=1)\n"
              "print('ROWS', *rows, sep='\\n')\n")
    env = dict(os.environ, CC="no-such-cc", SINGSYS_CACHE=str(tmp_path / "cache"))
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "c ladder skipped: device 'c' needs a C compiler" in proc.stdout
    assert "device 'c' skipped" in proc.stdout and "install gcc" in proc.stdout
    rows = proc.stdout.split("ROWS\n")[1].splitlines()
    assert "ch2 GPT on 'cpu'" in rows and "ch2 GPT on 'c'" not in rows
    assert not [r for r in rows if r.startswith("c matmul")]
