"""The CUDA kernels on a GPU, each against a float64 reference (skipped where there is none).

The checks themselves live in the ladder modules (bench/ch3_cuda.py runs the same ones before it
times anything): random inputs of shapes off every tile, outputs poisoned with NaN first, bounds
derived from each kernel's rounding (see the modules' docstrings).
"""

import numpy as np
import pytest

pytest.importorskip("pycuda", reason="pycuda not installed: the CUDA kernels run only with it")

from ch3_brrr.runtime.device import DeviceNotFoundError, get_device  # noqa: E402


@pytest.fixture(scope="module")
def dev():
    try:
        return get_device("cuda")
    except DeviceNotFoundError as e:
        pytest.skip(f"no CUDA GPU here: {e}")


@pytest.mark.sec_3_15
def test_sgemm_ladder(dev):
    from ch3_brrr.ladders import matmul_cuda
    assert matmul_cuda.check(dev, np.random.default_rng(1), log=lambda *a: None) > 0


@pytest.mark.sec_3_19
def test_tensor_core_gemms(dev):
    from ch3_brrr.ladders import matmul_cuda
    assert matmul_cuda.check_tensor_cores(dev, np.random.default_rng(4), log=lambda *a: None) > 0


@pytest.mark.sec_3_21
def test_gpt_trains_on_cuda_as_on_cpu(dev):
    from ch3_brrr.ladders import gpt_cuda
    result = gpt_cuda.train_both(steps=3, batch_size=8)  # raises if losses or gradients disagree
    assert len(result["cuda"]["losses"]) == 3
    assert result["samples_equal"], result["samples"]  # same weights, same draws, same names


@pytest.mark.sec_3_21
def test_ch2_primitives_on_cuda(dev):
    from ch3_brrr.ladders import prims_cuda
    assert prims_cuda.check("cuda", np.random.default_rng(5), log=lambda *a: None) > 0


@pytest.mark.sec_3_18
def test_row_kernels(dev):
    from ch3_brrr.ladders import rows_cuda
    assert rows_cuda.check(dev, np.random.default_rng(2), log=lambda *a: None) > 0


@pytest.mark.sec_3_20
def test_flash_attention(dev):
    from ch3_brrr.ladders import attention_cuda
    assert attention_cuda.check(dev, np.random.default_rng(3), log=lambda *a: None) > 0


@pytest.mark.sec_3_13
def test_launch_errors_are_named(dev):
    from ch3_brrr.runtime.ops_cuda import CudaError
    prog = dev.build("k", 'extern "C" __global__ void k(float* x) { x[threadIdx.x] = 1.f; }\n')
    buf = dev.allocator.alloc(4 * 32)
    with pytest.raises(CudaError, match="launching k"):
        prog(buf, global_size=(1,), local_size=(4096,))  # more threads than a block may have
