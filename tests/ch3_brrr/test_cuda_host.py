"""Host-side pieces of the CUDA backend that run anywhere: bf16 rounding, argument packing."""

import numpy as np
import pytest
import torch

from ch3_brrr.ladders.common_cuda import from_bf16, tensor_map_2d, to_bf16
from ch3_brrr.runtime.ops_cuda import _arg, nvcc_arch

pytestmark = pytest.mark.sec_3_13


def test_bf16_rounding_matches_torch():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(10000).astype(np.float32) * 1e3,
                        np.array([0.0, -0.0, np.inf, -np.inf, 1e-40, 3.0e38], np.float32)])
    ours = to_bf16(x)
    theirs = torch.from_numpy(x).bfloat16().view(torch.int16).numpy().view(np.uint16)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(from_bf16(ours), torch.from_numpy(x).bfloat16().float().numpy())


def test_bf16_nan_stays_nan():
    assert np.isnan(from_bf16(to_bf16(np.array([np.nan], np.float32))))[0]


def test_scalar_arguments_take_the_kernel_types():
    assert _arg(3).dtype == np.int32 and _arg(0.5).dtype == np.float32
    assert _arg(True).dtype == np.int32 and _arg(np.int64(-100)).dtype == np.int64


def test_hopper_gets_the_wgmma_target():
    assert "sm_90a" in nvcc_arch(9, 0) and "sm_80" in nvcc_arch(8, 0)


@pytest.mark.parametrize("cols,dtype,box_cols,what", [
    (100, np.uint16, 64, "rows of 100 x 2 bytes"),   # 200 bytes: TMA strides are 16-byte units
    (64, np.float32, 64, "at most the 128-byte"),    # a 256-byte box row exceeds the swizzle
])
def test_tensor_map_refuses_what_tma_cannot_copy(cols, dtype, box_cols, what):
    with pytest.raises(ValueError, match=what):
        tensor_map_2d(0, 128, cols, dtype, 128, box_cols)


class FakeDriver:
    """Stands in for pycuda.driver: its error classes, and calls that fail as a faulted GPU's do."""

    class Error(Exception):
        pass

    class MemoryError(Error):
        pass

    @staticmethod
    def mem_alloc(nbytes):
        if nbytes > 2**40:
            raise FakeDriver.MemoryError("cuMemAlloc failed: out of memory")
        raise FakeDriver.Error("cuMemAlloc failed: an illegal memory access was encountered")

    @staticmethod
    def memcpy_dtoh(dest, src):
        raise FakeDriver.Error("cuMemcpyDtoH failed: an illegal memory access was encountered")


def test_allocator_errors_are_named():
    from ch3_brrr.runtime.device import OutOfMemoryError
    from ch3_brrr.runtime.ops_cuda import CUDAAllocator, CudaError
    alloc = CUDAAllocator(FakeDriver)
    with pytest.raises(OutOfMemoryError, match=f"cuda out of memory. Tried to allocate {2**41}"):
        alloc.alloc(2**41)
    with pytest.raises(CudaError, match="cuMemAlloc of 64 bytes: .*illegal memory access"):
        alloc.alloc(64)
    out = memoryview(bytearray(16))
    with pytest.raises(CudaError, match="cuMemcpyDtoH of 16 bytes: .*earlier kernel's fault"):
        alloc.copyout(out, 0)


@pytest.fixture(scope="module")
def core_only():
    """A ch2 device on the host with only the core primitives (the cpu device's kernels) and
    dense operands: what device "cuda" offers the dispatcher, without a GPU."""
    from ch2_lego import backend
    cpu = backend.DEVICES["cpu"]
    if "core_only" not in backend.DEVICES:
        dev = backend.register_device(backend.Device(
            "core_only", alloc=cpu.alloc, from_numpy=cpu.from_numpy, to_numpy=cpu.to_numpy,
            operand=cpu.operand, scalar=cpu.scalar, dtypes=cpu.dtypes, contiguous_only=True))
        dev.kernels.update({op: cpu.kernels[op] for op in backend.CORE})
    return backend.DEVICES["core_only"]


def test_primitive_cases_reach_every_core_op(core_only):
    # the cases prims_cuda runs on "cuda" pass on the host and run every core primitive there
    # (check raises if one never ran), so on a GPU each kernel of ops.cu is checked
    from ch3_brrr.ladders import prims_cuda
    assert prims_cuda.check("core_only", np.random.default_rng(5), log=lambda *a: None) > 40


def test_primitive_cases_catch_a_kernel_that_writes_nothing(core_only):
    from ch2_lego.backend import Ops
    from ch3_brrr.ladders import prims_cuda
    from ch3_brrr.ladders.common import ValidationError
    fn, dtypes = core_only.kernels[Ops.GATHER]
    core_only.kernels[Ops.GATHER] = (lambda *args, **kwargs: None, dtypes)
    try:
        with pytest.raises(ValidationError, match="gather on core_only"):
            prims_cuda.check("core_only", np.random.default_rng(5), log=lambda *a: None)
    finally:
        core_only.kernels[Ops.GATHER] = (fn, dtypes)
