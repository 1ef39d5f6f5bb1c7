"""`singsys bench c`: it checks, prints every rung beside numpy, and saves a roofline."""

import pytest

from ch3_brrr import bench
from ch3_brrr.ladders.matmul_c import RUNGS

pytestmark = pytest.mark.sec_3_4


def test_bench_prints_every_rung_and_saves_the_roofline(tmp_path, capsys):
    assert bench.main(["c", "--size", "48", "--rounds", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in RUNGS.values():
        assert f"| c | {name.removeprefix('matmul_')} | 48 |" in out
    assert "| c | numpy | 48 |" in out and "| c | add_f32 |" in out
    assert (tmp_path / "roofline.png").stat().st_size > 10_000


def test_unknown_ladder_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        bench.main(["tpu"])
    assert info.value.code == 2
    assert "unknown ladder 'tpu' (choose from c, wgsl, cuda)" in capsys.readouterr().err


@pytest.mark.parametrize("argv,message", [
    (["c", "--size", "0"], "argument --size: must be at least 1, got 0"),
    (["c", "--rounds", "-2"], "argument --rounds: must be at least 1, got -2"),
    (["c", "--size", "big"], "argument --size: 'big' is not an integer"),
])
def test_bad_size_or_rounds_is_a_usage_error(argv, message, capsys):
    # a size of 0 would time nothing and divide by zero computing its GFLOP/s
    with pytest.raises(SystemExit) as info:
        bench.main(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err
