"""The runner's import hook, and torch.cuda/amp/backends/accelerator/distributed/compile as
scripts meet them on a machine without CUDA, each compared with what PyTorch does here.

PyTorch's side is asked on this machine, so these comparisons assume it has no CUDA; on a GPU
machine they skip.
"""

import importlib
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
import torch

import ch2_lego
from ch2_lego.as_torch import run_script, torch_is_ch2_lego

pytestmark = pytest.mark.sec_2_16
REPO = Path(__file__).resolve().parents[2]
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="compares with torch without CUDA")


# *** the import hook and the runner ***

def test_torch_and_its_submodules_are_ch2_lego_inside_the_block():
    real = sys.modules["torch"]
    with torch_is_ch2_lego():
        import torch as aliased
        import torch.nn.functional as F
        from torch.utils.data.dataloader import DataLoader
        from torch.utils.data.sampler import RandomSampler

        assert aliased is ch2_lego and F is ch2_lego.nn.functional
        assert DataLoader is ch2_lego.utils.data.DataLoader
        assert RandomSampler is ch2_lego.utils.data.RandomSampler
        assert aliased.nn.functional.__spec__.name == "ch2_lego.nn.functional"
    assert sys.modules["torch"] is real and sys.modules["torch.nn.functional"].__name__ == \
        "torch.nn.functional"


def test_a_missing_torch_module_is_named():
    with torch_is_ch2_lego():
        with pytest.raises(ModuleNotFoundError, match=r"No module named 'torch\._dynamo'") as e:
            import torch._dynamo  # noqa: F401
    assert e.value.name == "torch._dynamo" and "ch2_lego._dynamo" in str(e.value)


SCRIPT = '''
import sys
import torch
from helper import double

assert __name__ == "__main__"
result = double(torch.arange(3)).tolist(), sys.argv[1:], type(torch.ones(1)).__module__
'''


def test_run_script_runs_a_script_and_its_modules_under_either_torch(tmp_path):
    (tmp_path / "helper.py").write_text("import torch\n\ndef double(x):\n    return x * 2\n")
    (tmp_path / "main.py").write_text(SCRIPT)
    ours = run_script(str(tmp_path / "main.py"), ["--a", "1"])["result"]
    ref = run_script(str(tmp_path / "main.py"), ["--b"], torch_module="torch")["result"]
    # helper.py is imported again for the second run, against the real torch
    assert ours == ([0, 2, 4], ["--a", "1"], "ch2_lego.tensor")
    assert ref == ([0, 2, 4], ["--b"], "torch")
    assert "helper" not in sys.modules
    with pytest.raises(TypeError, match=r"args must be a list of strings.*shlex.split"):
        run_script(str(tmp_path / "main.py"), "--a 1")


def test_command_line(tmp_path):
    script = tmp_path / "ddp.py"
    script.write_text("import torch.distributed as dist\ndist.init_process_group('gloo')\n")

    def run(*args):
        return subprocess.run([sys.executable, "-m", "ch2_lego.as_torch", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120,
                              env={"PYTHONPATH": str(REPO), "PATH": ""})
    usage = run()
    assert usage.returncode == 2 and "usage: python -m ch2_lego.as_torch" in usage.stdout
    failed = run(str(script))
    assert failed.returncode == 1 and "DistributedError" in failed.stderr
    assert "no distributed backend" in failed.stderr
    missing = run(str(tmp_path / "missing.py"))  # as `python missing.py`: status 2, path named
    assert missing.returncode == 2 and "Traceback" not in missing.stderr
    assert f"can't open file '{tmp_path / 'missing.py'}': [Errno 2]" in missing.stderr


# *** torch.cuda, amp, backends, accelerator, distributed, compile ***

@no_cuda
def test_cuda_queries_answer_as_torch_without_cuda():
    for name in ("is_available", "device_count", "is_bf16_supported"):
        assert getattr(ch2_lego.cuda, name)() == getattr(torch.cuda, name)(), name
    for name in ("manual_seed", "manual_seed_all"):
        assert getattr(ch2_lego.cuda, name)(3) is getattr(torch.cuda, name)(3) is None
    assert ch2_lego.cuda.empty_cache() is torch.cuda.empty_cache() is None
    for name in ("synchronize", "current_device", "get_device_name"):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            getattr(torch.cuda, name)()
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            getattr(ch2_lego.cuda, name)()


def test_cuda_manual_seed_leaves_the_cpu_stream_alone():
    ch2_lego.manual_seed(5)
    expected = ch2_lego.rand(3).tolist()
    ch2_lego.manual_seed(5)
    ch2_lego.cuda.manual_seed_all(123)
    assert ch2_lego.rand(3).tolist() == expected


def scaler_steps(lib, scaler):
    """One step through the scaler's API; returns (loss after, weight after)."""
    w = lib.tensor([1.0, -2.0], requires_grad=True)
    opt = lib.optim.SGD([w], lr=0.5)
    loss = (w * w).sum()
    scaler.scale(loss).backward()
    scaler.unscale_(opt)
    scaler.step(opt)
    scaler.update()
    return loss.item(), w.tolist()


@no_cuda
def test_disabled_grad_scalers_are_the_identity_as_in_torch():
    cases = [(lambda lib: lib.amp.GradScaler("cpu", enabled=False), False),
             (lambda lib: lib.amp.GradScaler(enabled=True), True),  # "cuda": warns, disables
             (lambda lib: lib.cuda.amp.GradScaler(enabled=True), True)]
    for make, warns in cases:
        outcomes = []
        for lib in (torch, ch2_lego):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                scaler = make(lib)
            said = [str(w.message) for w in caught if w.category is UserWarning]
            assert said == (["torch.cuda.amp.GradScaler is enabled, but CUDA is not available."
                             "  Disabling."] if warns else [])
            outcomes.append((scaler.is_enabled(), scaler.get_scale(), scaler.state_dict(),
                             scaler_steps(lib, scaler)))
        assert outcomes[0] == outcomes[1]


@no_cuda
def test_autocast_is_a_no_op_where_torchs_is_and_refuses_lower_precision():
    for lib in (torch, ch2_lego):
        with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported"):
            ctx = lib.autocast(device_type="cuda", dtype=lib.float32)
        with ctx, lib.amp.autocast("cpu", enabled=False), lib.cuda.amp.autocast(enabled=False):
            assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32
    with pytest.raises(NotImplementedError, match=r"dtype=bfloat16\) would run ops in bfloat16"):
        ch2_lego.autocast(device_type="cpu")  # torch would compute in bfloat16: refuse

    @ch2_lego.autocast("cpu", enabled=False)
    def f(x):
        return x + 1
    assert f(1) == 2


def test_backends_flags_read_back_and_follow_the_matmul_precision():
    for lib in (torch, ch2_lego):
        saved = (lib.get_float32_matmul_precision(), lib.backends.cudnn.benchmark)
        try:
            seen = [lib.backends.cuda.matmul.allow_tf32, lib.backends.cudnn.allow_tf32,
                    lib.backends.mps.is_available()]
            lib.backends.cuda.matmul.allow_tf32 = True
            seen.append(lib.get_float32_matmul_precision())
            lib.set_float32_matmul_precision("highest")
            seen.append(lib.backends.cuda.matmul.allow_tf32)
            lib.set_float32_matmul_precision("medium")
            seen.append(lib.backends.cuda.matmul.allow_tf32)
            with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
                lib.set_float32_matmul_precision("fastest")
            seen.append(lib.get_float32_matmul_precision())
            lib.backends.cudnn.benchmark = True
            seen.append(lib.backends.cudnn.benchmark)
        finally:
            lib.set_float32_matmul_precision(saved[0])
            lib.backends.cudnn.benchmark = saved[1]
        if lib is torch:
            expected = seen
    assert seen == expected == [False, True, False, "high", False, True, "medium", True]


def test_backends_are_modules_scripts_import():
    """`import torch.backends.cudnn as cudnn; cudnn.benchmark = True`, as PyTorch's examples
    write it: each backend is a module in both libraries."""
    for name in ("cuda", "cudnn", "mps", "mkldnn", "openmp"):
        assert importlib.import_module(f"torch.backends.{name}").__name__ == \
            f"torch.backends.{name}"
    with torch_is_ch2_lego():
        import torch.backends.cudnn as cudnn

        saved = cudnn.benchmark
        try:
            cudnn.benchmark = True
            assert cudnn is ch2_lego.backends.cudnn and ch2_lego.backends.cudnn.benchmark
        finally:
            cudnn.benchmark = saved
        from torch.backends import mps
        assert mps is ch2_lego.backends.mps and mps.is_available() is False


@no_cuda
def test_accelerator_and_distributed():
    assert ch2_lego.accelerator.is_available() == torch.accelerator.is_available() is False
    assert ch2_lego.accelerator.current_accelerator() is None
    assert ch2_lego.distributed.is_available() is False  # torch's is True: it has backends
    assert ch2_lego.distributed.is_initialized() is torch.distributed.is_initialized() is False
    with pytest.raises(ValueError, match="no distributed backend"):
        ch2_lego.distributed.init_process_group("gloo")
    from ch2_lego.nn.parallel import DistributedDataParallel
    for ddp, lib in ((torch.nn.parallel.DistributedDataParallel, torch),
                     (DistributedDataParallel, ch2_lego)):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            ddp(lib.nn.Linear(2, 2))


def test_compile_returns_the_model_unchanged(capsys):
    model = ch2_lego.nn.Linear(2, 2)
    assert ch2_lego.compile(model) is model
    assert "torch.compile is a no-op here" in capsys.readouterr().err

    @ch2_lego.compile(mode="max-autotune")
    def f(x):
        return x * 2
    assert f(3) == 6


def test_summary_writer_writes_scalars_and_refuses_the_rest(tmp_path):
    from ch2_lego.utils.tensorboard import SummaryWriter

    with SummaryWriter(log_dir=str(tmp_path)) as writer:
        writer.add_scalar("loss", ch2_lego.tensor(0.25), 3)
        writer.add_scalars("lr", {"a": 0.5, "b": 2}, 4)
        with pytest.raises(NotImplementedError, match="add_histogram"):
            writer.add_histogram("w", ch2_lego.ones(3))
    rows = [line.split(",")[:3] for line in (tmp_path / "scalars.csv").read_text().splitlines()]
    assert rows == [["loss", "3", "0.25"], ["lr/a", "4", "0.5"], ["lr/b", "4", "2.0"]]


@no_cuda
def test_memory_queries_determinism_flag_and_version_as_scripts_use_them():
    for name in ("is_initialized", "memory_allocated", "max_memory_allocated", "memory_reserved",
                 "max_memory_reserved"):
        assert getattr(ch2_lego.cuda, name)() == getattr(torch.cuda, name)(), name
    for lib in (torch, ch2_lego):
        saved = lib.are_deterministic_algorithms_enabled()
        try:
            lib.use_deterministic_algorithms(True)
            assert lib.are_deterministic_algorithms_enabled() is True
            with pytest.raises(TypeError, match=r"argument 'mode' \(position 1\) must be bool"):
                lib.use_deterministic_algorithms("yes")
        finally:
            lib.use_deterministic_algorithms(saved)
    # a version string scripts can print and parse: the project's own, not PyTorch's
    with open(REPO / "pyproject.toml", "rb") as f:
        assert ch2_lego.__version__ == tomllib.load(f)["project"]["version"]
