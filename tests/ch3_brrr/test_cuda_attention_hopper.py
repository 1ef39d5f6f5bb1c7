"""The Hopper flash-attention rung (kernels/cuda/attention_hopper.cu) without a GPU: nvcc only.

What can be checked anywhere: the kernel compiles for sm_90a to the instructions it claims (TMA
copies, wgmma from shared memory for Q K^T and from registers for P V), ptxas keeps it free of
spills and of serialized wgmmas, and the shared-memory size the host asks for is the one the
kernel lays out. Its numbers are checked against float64 on a GPU by test_cuda_kernels.py's
test_flash_attention (attention_cuda.check runs every rung the GPU has).
"""

import shutil
import subprocess

import pytest

from ch3_brrr.ladders.attention_cuda import wgmma_smem_bytes
from ch3_brrr.ladders.common_cuda import kernel_source
from ch3_brrr.runtime.ops_cuda import KERNEL_DIR

pytestmark = [pytest.mark.sec_3_20,
              pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (CUDA toolkit) not "
                                 "installed: CUDA kernels are compiled only where it is")]


def nvcc(src: str, tmp_path, *flags: str) -> subprocess.CompletedProcess:
    cu = tmp_path / "attention_hopper.cu"
    cu.write_text(src)
    return subprocess.run(["nvcc", "-arch=sm_90a", "-I", str(KERNEL_DIR), *flags,
                           "-o", str(tmp_path / "out"), str(cu)], capture_output=True, text=True)


def test_ptx_uses_tma_and_both_wgmma_forms(tmp_path):
    res = nvcc(kernel_source("attention_hopper"), tmp_path, "--ptx")
    assert res.returncode == 0, res.stderr
    text = (tmp_path / "out").read_text()
    for instruction in ("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx",
                        "mbarrier.try_wait.parity",
                        # S = Q K^T: both operands from shared memory, 64 queries x 128 keys
                        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16",
                        # O += P V: P from registers, a braced list of four b32 registers
                        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16",
                        "ex2.approx.ftz.f32", "setmaxnreg.inc.sync.aligned.u32 232"):
        assert instruction in text, instruction
    for d in (64, 128):
        assert f".entry flash_attention_wgmma_d{d}(" in text


def test_no_spills_and_no_serialized_wgmma(tmp_path):
    # ptxas warns (C7515) when it must wait for each wgmma before issuing the next
    res = nvcc(kernel_source("attention_hopper"), tmp_path, "-cubin", "-Xptxas", "-v")
    assert res.returncode == 0, res.stderr
    assert "C7515" not in res.stderr, res.stderr
    assert res.stderr.count(" 0 bytes spill stores") == 2, res.stderr  # d64 and d128


@pytest.mark.parametrize("D", [64, 128])
def test_host_shared_size_is_the_kernels(D, tmp_path):
    # the host's formula against the kernel's own macro, compared by the compiler
    src = kernel_source("attention_hopper") + (
        f"static_assert(AH_SHARED({D}) == {wgmma_smem_bytes(D)}, \"host and kernel differ\");\n")
    res = nvcc(src, tmp_path, "--ptx")
    assert res.returncode == 0, res.stderr


def test_shared_memory_fits_an_sm():
    # 227 KB is the most a block of an H100 (sm_90) may ask for
    assert wgmma_smem_bytes(128) <= 227 * 1024 < wgmma_smem_bytes(128, stages=4)
