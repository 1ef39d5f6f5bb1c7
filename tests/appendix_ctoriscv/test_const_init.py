"""Address-constant differences in static initialisers (issue 15): `&a[3] - &a[1]` and
`(char *)&s.b - (char *)&s` are integer constants because both addresses lie in one object, so
the labels cancel. Each program is compiled by us at -O0 and -O1, run on the emulator, and
compared with the host's gcc, which folds these initialisers the same way.
"""

import shutil
import subprocess

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.errors import CompileError
from appendix_ctoriscv.main import compile_executable

pytestmark = pytest.mark.sec_a_4

# Only char, short and int members: their layout is the same on the host and on rv32i/ilp32.
DIFFERENCES = r"""
#include <stdio.h>
int a[10];
char text[] = "hello, world";
struct s { char c; int i; short h[3]; char t; } s, arr[4];
int elems = &a[7] - &a[2];
int backwards = &a[1] - &a[9];
int from_array = &a[4] - a;
int bytes = (char *)&s.i - (char *)&s;
int member_elems = &s.h[2] - &s.h[0];
int past_end = (char *)(&s + 1) - (char *)&s.c;
int across_structs = (char *)&arr[3].h[1] - (char *)&arr[0];
int in_string = &text[7] - text;
unsigned as_unsigned = &a[3] - &a[0];
short narrow = &a[9] - &a[0];
int sum = (&a[5] - &a[0]) * 2 + ((char *)&s.t - (char *)&s);
int table[] = {&a[1] - &a[0], &a[2] - &a[0], (char *)&s.h - (char *)&s};
struct { int n; char k; } pair = {&text[3] - &text[1], &a[2] - &a[1]};

int in_function(void)
{
    static int local = &a[6] - &a[1];
    return local;
}

int main(void)
{
    printf("%d %d %d %d %d\n", elems, backwards, from_array, bytes, member_elems);
    printf("%d %d %d %u %d %d\n", past_end, across_structs, in_string, as_unsigned, narrow, sum);
    printf("%d %d %d %d %d %d\n", table[0], table[1], table[2], pair.n, pair.k, in_function());
    return 0;
}
"""


@pytest.mark.parametrize("opt_level", [0, 1], ids=["O0", "O1"])
def test_address_differences_fold_as_gcc_folds_them(native_run, opt_level):
    expected = native_run(DIFFERENCES)
    assert expected[0] == 0
    _, elf = compile_executable(DIFFERENCES, "diff.c", opt_level=opt_level)
    result = emu.run(elf, max_steps=10_000_000)
    assert (result.exit_code, result.stdout) == expected


@pytest.mark.parametrize(
    "source",
    [
        "int a[2], b[2];\nint d = &a[1] - &b[0];\n",
        "struct { int x, y; } p, q;\nint d = (char *)&p.y - (char *)&q;\n",
    ],
)
def test_a_difference_between_two_objects_is_no_constant(tmp_path, source):
    # only the linker knows how far apart two objects are: gcc rejects this, and so do we
    with pytest.raises(CompileError) as info:
        compile_executable(source + "int main(void) { return d; }\n", "two.c")
    assert [(e.line, e.message) for e in info.value.errors] == [
        (source.count("\n"), "initializer element is not constant: the difference of "
                             "addresses in two objects is not a constant")]
    if shutil.which("gcc") is not None:
        (tmp_path / "two.c").write_text(source)
        done = subprocess.run(["gcc", "-fsyntax-only", str(tmp_path / "two.c")],
                              capture_output=True, text=True)
        assert done.returncode != 0 and "initializer element is not" in done.stderr
