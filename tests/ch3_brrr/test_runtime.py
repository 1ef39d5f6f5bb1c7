"""The shared runtime base: the compile cache, atomic writes, the device registry, the errors.

These use a stand-in Compiler that counts its calls, so they need no C compiler; the C
backend's own cache and concurrency tests are in test_c_runtime.py.
"""

import os
from types import SimpleNamespace

import pytest

from ch3_brrr.runtime import device
from ch3_brrr.runtime.device import (
    CompileError,
    Compiler,
    DeviceNotFoundError,
    OutOfMemoryError,
    atomic_write,
    cache_dir,
    get_device,
)

pytestmark = pytest.mark.sec_3_3


class CountingCompiler(Compiler):
    """'Compiles' by upper-casing; counts how often it really ran."""

    def __init__(self, cachekey):
        self.cachekey, self.calls = cachekey, 0

    def compile(self, src):
        self.calls += 1
        return src.upper().encode()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SINGSYS_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("SINGSYS_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "singsys"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "singsys"
    monkeypatch.setenv("SINGSYS_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_second_compile_of_the_same_source_is_a_hit(cache):
    first = CountingCompiler("fake:v1")
    assert first.compile_cached("int x;") == b"INT X;"
    assert (first.calls, first.hits, first.misses) == (1, 0, 1)
    # a new compiler (as in a new process) finds the file on disk
    second = CountingCompiler("fake:v1")
    assert second.compile_cached("int x;") == b"INT X;"
    assert (second.calls, second.hits, second.misses) == (0, 1, 0)
    assert len(list((cache / "fake").iterdir())) == 1


def test_other_source_or_flags_miss(cache):
    CountingCompiler("fake:-O2").compile_cached("a")
    other_flags = CountingCompiler("fake:-O3")
    other_flags.compile_cached("a")
    other_src = CountingCompiler("fake:-O2")
    other_src.compile_cached("b")
    assert other_flags.calls == 1 and other_src.calls == 1
    assert len(list((cache / "fake").iterdir())) == 3


def test_cache_off_writes_nothing(cache):
    off = CountingCompiler(None)
    off.compile_cached("a")
    off.compile_cached("a")
    assert off.calls == 2 and not cache.exists()


def test_atomic_write_leaves_only_the_file(tmp_path):
    target = tmp_path / "sub" / "lib"
    atomic_write(target, b"one")
    atomic_write(target, b"two")  # replacing an existing file is fine too
    assert target.read_bytes() == b"two"
    assert os.listdir(target.parent) == ["lib"]


def test_atomic_write_failure_leaves_no_temp_file(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(device.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "lib", b"data")
    assert os.listdir(tmp_path) == []


def test_unknown_device_names_the_known_ones():
    with pytest.raises(DeviceNotFoundError, match=r"unknown device 'tpu'.*known: c, wgpu, cuda"):
        get_device("tpu")


def test_compile_error_shows_the_log_and_the_line():
    src = "void f(void) {\n    int x = ;\n}\n"
    err = CompileError("cc", "kernel.c:2:13: error: expected expression", src, 2)
    assert "expected expression" in str(err)
    assert "at line 2: int x = ;" in str(err)
    assert err.lineno == 2 and err.log.startswith("kernel.c:2")
    # a line number outside the source is ignored, not an IndexError
    assert "at line" not in str(CompileError("cc", "oops", src, 99))


def test_out_of_memory_message_in_pytorch_words():
    err = OutOfMemoryError("c", 1 << 40)
    assert str(err) == "c out of memory. Tried to allocate 1099511627776 bytes"
    assert isinstance(err, RuntimeError)


def test_backend_missing_its_python_package_names_what_to_pip_install(monkeypatch):
    def import_module(name):  # as `import pycuda` fails inside ops_cuda on a machine without it
        raise ModuleNotFoundError("No module named 'pycuda'", name="pycuda")
    monkeypatch.setattr(device, "_opened", {})
    monkeypatch.setattr(device, "importlib", SimpleNamespace(import_module=import_module))
    with pytest.raises(DeviceNotFoundError, match=r"device 'cuda' needs the Python package "
                                                  r"'pycuda' \(pip install pycuda\)"):
        get_device("cuda")
    assert device.available_devices() == []  # and nothing is listed as available
