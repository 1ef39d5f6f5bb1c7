"""Every CUDA kernel compiles: nvcc to PTX for Hopper (sm_90a), which needs no GPU.

This is what CI can check of the CUDA backend without a GPU: a syntax or type error in any
kernel, or in any of the autotuner's tile shapes, fails here. Skips without nvcc.
"""

import shutil
import subprocess

import pytest

from ch3_brrr.ladders import matmul_cuda
from ch3_brrr.ladders.common_cuda import kernel_files, kernel_source
from ch3_brrr.runtime.device import CompileError
from ch3_brrr.runtime.ops_cuda import KERNEL_DIR, CUDACompiler, nvcc_arch

pytestmark = [pytest.mark.sec_3_13,
              pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc (CUDA toolkit) not "
                                 "installed: CUDA kernels are compiled only where it is")]


def ptx(src: str, tmp_path, name="kernel") -> str:
    cu, out = tmp_path / f"{name}.cu", tmp_path / f"{name}.ptx"
    cu.write_text(src)
    res = subprocess.run(["nvcc", "--ptx", "-arch=sm_90a", "-I", str(KERNEL_DIR), "-o", str(out),
                          str(cu)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return out.read_text()


@pytest.mark.parametrize("path", kernel_files(), ids=lambda p: p.name)
def test_kernel_file_compiles_to_ptx(path, tmp_path):
    text = ptx(path.read_text(), tmp_path)
    for name in ("matmul_v1_naive", "softmax_v4_registers", "flash_attention_d64",
                 "matmul_bf16_wgmma", "cross_entropy_fused", "layernorm_v2_registers"):
        if f"{name}(" in path.read_text():
            assert f".entry {name}(" in text  # extern "C": the name the runtime looks up


def test_wgmma_and_mma_reach_the_ptx(tmp_path):
    # the tensor-core rungs must use the instructions they claim, not a scalar fallback
    text = ptx(kernel_source("matmul_tc"), tmp_path)
    assert "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16" in text
    assert "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32" in text
    assert "cp.async.cg.shared.global" in text


def test_hopper_rungs_use_tma_mbarriers_and_wgmma(tmp_path):
    text = ptx(kernel_source("matmul_hopper"), tmp_path)
    for instruction in ("cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx",
                        "mbarrier.try_wait.parity", "mbarrier.arrive.expect_tx",
                        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16",
                        "wgmma.mma_async.sync.aligned.m64n256k8.f32.tf32.tf32",
                        "setmaxnreg.inc.sync.aligned.u32 232",
                        "setmaxnreg.dec.sync.aligned.u32 40"):
        assert instruction in text, instruction
    assert ".entry matmul_bf16_wgmma_tma(" in text and ".entry matmul_tf32_wgmma_tma(" in text


@pytest.mark.parametrize("name", ["matmul_tc", "matmul_hopper"])
def test_wgmma_pipelines_are_not_serialized(name, tmp_path):
    # ptxas warns (C7515) when it must wait for each wgmma before the next, e.g. for a branch
    # inside the pipeline stage: the kernel stays correct but loses its overlap
    cu = tmp_path / f"{name}.cu"
    cu.write_text(kernel_source(name))
    res = subprocess.run(["nvcc", "-cubin", "-arch=sm_90a", "-Xptxas", "-v", "-I",
                          str(KERNEL_DIR), "-o", str(tmp_path / "k.cubin"), str(cu)],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert "C7515" not in res.stderr and " 0 bytes spill stores" in res.stderr, res.stderr


@pytest.mark.parametrize("tile", [t for t in matmul_cuda.CANDIDATES if matmul_cuda.tile_ok(t)],
                         ids=lambda t: "x".join(map(str, matmul_cuda.tile_shape(t)[:2]))
                         + f"_bk{t['BK']}_mb{t['MIN_BLOCKS']}")
def test_autotune_candidate_compiles(tile, tmp_path):
    ptx(kernel_source("matmul", tile), tmp_path)


def test_tile_shapes_match_the_macros():
    # the Python side computes the launch geometry the macros imply: 128x128 with 8 warps
    assert matmul_cuda.tile_shape(matmul_cuda.DEFAULT_TILE) == (128, 128, 256)
    grid, block = matmul_cuda.sgemm_geometry(8, 300, 1000, matmul_cuda.DEFAULT_TILE)
    assert grid == (8, 3) and block == (256,)


def test_compile_error_names_the_line(tmp_path, monkeypatch):
    monkeypatch.setenv("SINGSYS_CACHE", str(tmp_path))
    compiler = CUDACompiler(nvcc_arch(9, 0))
    src = 'extern "C" __global__ void k(float* x) {\n  x[0] = undefined_name;\n}\n'
    with pytest.raises(CompileError) as e:
        compiler.compile_cached(src)
    assert e.value.lineno == 2 and "undefined_name" in str(e.value)


def test_compiled_kernels_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("SINGSYS_CACHE", str(tmp_path))
    compiler = CUDACompiler(nvcc_arch(9, 0))
    src = 'extern "C" __global__ void k(float* x) { x[threadIdx.x] = 1.f; }\n'
    first = compiler.compile_cached(src)
    assert compiler.compile_cached(src) == first and (compiler.hits, compiler.misses) == (1, 1)
    assert first[:4] == b"\x7fELF"  # a cubin is an ELF file
