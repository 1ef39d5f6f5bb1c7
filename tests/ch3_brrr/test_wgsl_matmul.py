"""The wgpu runtime and the WGSL matmul ladder: every rung against the float64 product.

Runs on any wgpu adapter; on a machine without a GPU that is Mesa's llvmpipe (CPU). Skips with
the reason when no adapter opens.
"""

import numpy as np
import pytest

from ch3_brrr.ladders.common import ValidationError, matmul_bound, validate
from ch3_brrr.runtime import CompileError, DeviceNotFoundError, OutOfMemoryError, get_device

try:
    WGPU = get_device("wgpu")
except DeviceNotFoundError as e:
    pytest.skip(f"no wgpu adapter here: {e}", allow_module_level=True)

from ch3_brrr.ladders.matmul_wgsl import CHECK_SIZES, RUNGS, matmul  # noqa: E402

pytestmark = pytest.mark.sec_3_9
EPS32 = float(np.finfo(np.float32).eps)


def random_sizes(seed, count, largest):
    rng = np.random.default_rng(seed)
    return [tuple(int(x) for x in rng.integers(1, largest, size=3)) for _ in range(count)]


# *** the ladder ***


@pytest.mark.parametrize("rung", list(RUNGS), ids=list(RUNGS.values()))
def test_rung_matches_float64(rung):
    # sizes off every tile (16, 64) and off the vec4 width, and a few on them
    rng = np.random.default_rng(rung)
    for m, n, k in CHECK_SIZES[:5] + random_sizes(rung, 3, 150):
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        ref = a.astype(np.float64) @ b.astype(np.float64)
        validate(f"{RUNGS[rung]} {m}x{n}x{k}", matmul(rung, a, b), ref, matmul_bound(a, b, EPS32))


@pytest.mark.parametrize("rung", list(RUNGS), ids=list(RUNGS.values()))
@pytest.mark.parametrize("shape", [(0, 4, 3), (4, 0, 3), (4, 3, 0)])
def test_empty_sizes(rung, shape):
    m, n, k = shape
    out = matmul(rung, np.ones((m, k), np.float32), np.ones((k, n), np.float32))
    np.testing.assert_array_equal(out, np.zeros((m, n), np.float32))  # an empty sum is 0


def test_relative_error_well_under_1e4():
    # the bar, on a size where cancellation is mild: entries of one sign
    rng = np.random.default_rng(7)
    a, b = rng.random((96, 200), np.float32), rng.random((200, 72), np.float32)
    ref = a.astype(np.float64) @ b.astype(np.float64)
    for rung in RUNGS:  # with no cancellation the bound K*eps is relative: 2.4e-5 << 1e-4
        assert np.max(np.abs(matmul(rung, a, b) - ref) / ref) <= a.shape[1] * EPS32


def test_validate_catches_a_wrong_rung():
    # the check can fail: a result off by one ulp-scaled bound somewhere is caught
    a, b = np.ones((3, 5), np.float32), np.ones((5, 2), np.float32)
    wrong = matmul(3, a, b)
    wrong[1, 1] += 1e-3
    with pytest.raises(ValidationError, match=r"at \(1, 1\)"):
        validate("v3", wrong, a.astype(np.float64) @ b, matmul_bound(a, b, EPS32))


def test_mismatched_shapes_error():
    with pytest.raises(ValueError, match="cannot be multiplied"):
        matmul(1, np.ones((2, 3), np.float32), np.ones((4, 2), np.float32))


# *** the runtime ***


def test_adapter_is_named():
    assert WGPU.adapter.info["adapter_type"] in ("CPU", "DiscreteGPU", "IntegratedGPU",
                                                 "VirtualGPU", "Unknown")
    assert "wgpu" in repr(WGPU)


def test_compile_error_names_the_line():
    src = "@compute @workgroup_size(1)\nfn main() {\n    let x: u32 = 1.5;\n}\n"
    with pytest.raises(CompileError) as info:
        WGPU.compiler.compile(src)
    assert info.value.lineno == 3
    assert "let x: u32 = 1.5;" in str(info.value)


def test_copy_round_trip_of_odd_sizes():
    # WebGPU copies whole 4-byte words; 7 bytes in must come back as 7 bytes
    alloc = WGPU.allocator
    for nbytes in (0, 1, 7, 16, 1001):
        data = np.random.default_rng(nbytes).integers(0, 256, nbytes).astype(np.uint8)
        buf = alloc.alloc(nbytes)
        alloc.copyin(buf, memoryview(data))
        back = np.zeros(nbytes, np.uint8)
        alloc.copyout(memoryview(back), buf)
        np.testing.assert_array_equal(back, data)
        alloc.free(buf)


def test_too_large_allocation_is_out_of_memory():
    limit = WGPU.gpu.limits["max-storage-buffer-binding-size"]
    with pytest.raises(OutOfMemoryError, match="wgpu out of memory. Tried to allocate"):
        WGPU.allocator.alloc(limit + 16)


def test_a_driver_out_of_memory_is_named(monkeypatch):
    import wgpu

    def refuse(**kwargs):
        raise wgpu.GPUOutOfMemoryError("Not enough memory left")
    monkeypatch.setattr(WGPU.gpu, "create_buffer", refuse)
    with pytest.raises(OutOfMemoryError, match=r"Tried to allocate 4096 bytes \(Not enough"):
        WGPU.allocator.alloc(4096)


def test_pipelines_and_bind_groups_are_cached():
    src = ("@group(0) @binding(0) var<storage, read_write> x: array<f32>;\n"
           "@compute @workgroup_size(1) fn twice() { x[0] = 2.0 * x[0]; }\n")
    prog = WGPU.build("twice", src)
    assert WGPU.build("twice", src) is prog  # one pipeline per (entry, source)
    buf = WGPU.allocator.alloc(4)
    WGPU.allocator.copyin(buf, memoryview(np.array([3.0], np.float32)).cast("B"))
    before = set(WGPU.bind_groups)  # the cache may be full: count keys, not its length
    prog(buf, global_size=(1, 1, 1))
    made = set(WGPU.bind_groups) - before
    assert len(made) == 1  # the first launch makes one bind group
    key = made.pop()
    group = WGPU.bind_groups[key]
    for _ in range(2):
        prog(buf, global_size=(1, 1, 1))
    assert WGPU.bind_groups[key] is group  # later launches reuse it
    out = np.zeros(1, np.float32)
    WGPU.allocator.copyout(memoryview(out).cast("B"), buf)
    assert out[0] == 24.0


def test_wait_returns_seconds():
    src = ("@group(0) @binding(0) var<storage, read_write> x: array<f32>;\n"
           "@compute @workgroup_size(1) fn one() { x[0] = 1.0; }\n")
    seconds = WGPU.build("one", src)(WGPU.allocator.alloc(4), wait=True)
    assert isinstance(seconds, float) and seconds >= 0


def test_no_adapter_names_what_to_install(monkeypatch):
    import wgpu

    from ch3_brrr.runtime import ops_wgpu
    monkeypatch.setattr(wgpu.gpu, "request_adapter_sync", lambda **kw: None)
    with pytest.raises(DeviceNotFoundError, match="mesa-vulkan-drivers"):
        ops_wgpu.WGPUDevice()
