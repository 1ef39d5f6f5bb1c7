"""The C backend's runtime: compiling with gcc, the cache across processes, loading, memory."""

import platform
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from ch3_brrr.runtime.device import CompileError, DeviceNotFoundError, OutOfMemoryError
from ch3_brrr.runtime.ops_c import (
    CAllocator,
    CCompiler,
    CDevice,
    CProgram,
    cpu_model,
    kernel_source,
)

pytestmark = pytest.mark.sec_3_3

SCALE = textwrap.dedent("""\
    #include <stdint.h>
    void scale(float *out, const float *x, int64_t n, double s) {
        #pragma omp parallel for
        for (int64_t i = 0; i < n; i++) out[i] = (float)s * x[i];
    }
""")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SINGSYS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_compiled_kernel_runs_in_place_on_numpy_memory(cache):
    prog = CDevice().build("scale", SCALE)
    x = np.arange(10, dtype=np.float32)
    out = np.full(10, np.nan, np.float32)
    prog(out, x, vals=(10, 2.5))
    np.testing.assert_array_equal(out, x * np.float32(2.5))  # exact: one rounding each side


def test_wait_returns_seconds_and_no_wait_returns_none(cache):
    prog = CDevice().build("scale", SCALE)
    x = np.ones(4, np.float32)
    assert prog(x, x, vals=(4, 1.0)) is None
    t = prog(x, x, vals=(4, 1.0), wait=True)
    assert isinstance(t, float) and t >= 0


def test_cache_hit_in_a_new_compiler_and_key_names_cpu_and_flags(cache):
    first = CCompiler()
    lib = first.compile_cached(SCALE)
    second = CCompiler()
    assert second.compile_cached(SCALE) == lib
    assert (first.misses, second.hits, second.misses) == (1, 1, 0)
    assert "-march=native" in first.cachekey and "-fopenmp" in first.cachekey
    assert "-ffast-math" not in first.cachekey  # NaN and inf must keep their meaning
    assert "-fwrapv" in first.cachekey  # signed overflow wraps, as in numpy


@pytest.mark.skipif(platform.machine() != "x86_64" or " fma " not in cpu_model() + " ",
                    reason="checks x86 assembly on a CPU with FMA")
def test_matmul_ladder_compiles_to_fused_multiply_adds(tmp_path):
    # the book (3.5) says the microkernel's loop is vector FMAs: -ffp-contract=fast allows them
    cc = CCompiler()
    src = tmp_path / "matmul.c"
    src.write_text(kernel_source("matmul"))
    subprocess.run([cc.cc, *cc.flags, "-S", str(src), "-o", str(tmp_path / "matmul.s")],
                   check=True, capture_output=True)
    assert "vfmadd231ps" in (tmp_path / "matmul.s").read_text()


def test_concurrent_compiles_from_several_processes(cache):
    # Four processes compile the same new source into an empty cache at once; each must load
    # a working library, and the cache must end with one entry and no temporary files.
    script = textwrap.dedent(f"""
        import numpy as np
        from ch3_brrr.runtime.ops_c import CDevice
        prog = CDevice().build("scale", {SCALE!r})
        x = np.arange(5, dtype=np.float32); out = np.zeros(5, np.float32)
        prog(out, x, vals=(5, 3.0))
        print(out.tolist())
    """)
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in procs]
    for (out, err), p in zip(results, procs):
        assert p.returncode == 0, err
        assert out.strip() == "[0.0, 3.0, 6.0, 9.0, 12.0]"
    names = sorted(p.name for p in (cache / "c").iterdir())
    assert not [n for n in names if n.endswith(".tmp")]
    assert len([n for n in names if not n.startswith("lib-")]) == 1


def test_compile_error_reports_gcc_message_and_line(cache):
    bad = "#include <stdint.h>\nvoid f(float *x) {\n    x[0] = undefined_name;\n}\n"
    with pytest.raises(CompileError) as info:
        CDevice().build("f", bad)
    msg = str(info.value)
    assert "undefined_name" in msg and "error" in msg
    assert info.value.lineno == 3
    assert "at line 3: x[0] = undefined_name;" in msg


def test_compiler_without_openmp_names_what_to_install(cache, tmp_path):
    # a stand-in for clang without libomp: it fails as clang does on `#include <omp.h>`
    fake = tmp_path / "cc-without-omp"
    fake.write_text("#!/bin/sh\n"
                    "echo \"kernel.c:1:10: fatal error: 'omp.h' file not found\" >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    with pytest.raises(CompileError, match=r"has no OpenMP: install gcc") as info:
        CDevice(cc=str(fake)).build("scale", SCALE)
    assert info.value.lineno == 1 and "at line 1: #include <stdint.h>" in str(info.value)


def test_missing_function_is_a_named_error(cache):
    with pytest.raises(CompileError, match="no function named 'nope'"):
        CDevice().build("nope", SCALE)


def test_missing_compiler_names_what_to_install():
    with pytest.raises(DeviceNotFoundError, match=r"no-such-cc.*install gcc"):
        CDevice(cc="no-such-cc")


def test_allocator_alignment_and_copies():
    alloc = CAllocator()
    for nbytes in (0, 1, 63, 4096):
        buf = alloc.alloc(nbytes)
        assert buf.nbytes == nbytes
        assert nbytes == 0 or buf.ctypes.data % 64 == 0  # (an empty array has no address)
    buf = alloc.alloc(16)
    src = np.arange(4, dtype=np.float32)
    alloc.copyin(buf, memoryview(src).cast("B"))
    back = np.empty(4, np.float32)
    alloc.copyout(memoryview(back).cast("B"), buf)
    np.testing.assert_array_equal(back, src)
    # as_buffer is the same memory, not a copy
    np.frombuffer(alloc.as_buffer(buf), np.float32)[0] = 42.0
    alloc.copyout(memoryview(back).cast("B"), buf)
    assert back[0] == 42.0


def test_allocator_out_of_memory_and_bad_size():
    with pytest.raises(OutOfMemoryError, match=r"c out of memory\. Tried to allocate"):
        CAllocator().alloc(1 << 60)
    with pytest.raises(ValueError, match="nbytes must be >= 0"):
        CAllocator().alloc(-1)


def test_bad_kernel_argument_type(cache):
    prog = CDevice().build("scale", SCALE)
    with pytest.raises(TypeError, match="ndarray, int or float, got str"):
        prog("x", vals=(1, 1.0))


def test_program_class_is_the_device_program():
    assert CDevice().program is CProgram
