"""The C library's streams (runtime/libc: stdfiles.c, stdio.c, fgetc.c, stream.c, scanf.c):
input and output on stdin, stdout and stderr as FILE objects, ungetc, the end-of-file and
error indicators, fread, fopen (no file system: it fails), and the scanf family. Each program
runs on the emulator (compiled by our compiler) and natively against glibc (compiled by the
host's gcc), with the same stdin: stdout and the exit status must be equal. Buffering, which
glibc decides by what stdout is (a pipe here, a terminal for a user), is checked against
C89's rules by hand instead: stdout line-buffered, stderr unbuffered, setvbuf obeyed."""

from pathlib import Path

import pytest

from appendix_ctoriscv import emu
from appendix_ctoriscv.main import compile_executable

pytestmark = pytest.mark.sec_a_10
LIBC_TESTS = Path(__file__).parent / "libc"


def run_ours(source: str, stdin: bytes = b"", opt_level: int = 1):
    _, exe = compile_executable(source, "prog.c", opt_level=opt_level)
    return emu.run(exe, stdin=stdin, max_steps=200_000_000)


def assert_same_as_glibc(source: str, native_run, stdin: bytes = b"", opt_level: int = 1):
    native_code, native_out = native_run(source, stdin=stdin)
    ours = run_ours(source, stdin, opt_level)
    assert (ours.stdout, ours.exit_code) == (native_out, native_code)


@pytest.mark.parametrize("opt_level", [0, 1], ids=["O0", "O1"])
def test_sscanf_matches_glibc(opt_level, native_run):
    source = (LIBC_TESTS / "sscanf.c").read_text()
    assert_same_as_glibc(source, native_run, opt_level=opt_level)


def test_a_number_cut_short_fails_to_match_as_c_says():
    """C89 4.9.6.2's example: "100ergs of energy" with "%f%20s of %20s" stores nothing, since
    "100e" is no number (glibc converts the 100 and goes on: 3, its known difference)"""
    source = r"""
    #include <stdio.h>
    int main(void) {
        float quant = -1;
        char units[21] = "-", item[21] = "-";
        int n = sscanf("100ergs of energy", "%f%20s of %20s", &quant, units, item);
        printf("%d %g %s %s\n", n, quant, units, item);
        n = sscanf("1e+", "%f", &quant);
        printf("%d %g\n", n, quant);
        return 0;
    }"""
    assert run_ours(source).stdout == b"0 -1 - -\n0 -1\n"


SCANF_STDIN = r"""
#include <stdio.h>
int main(void) {
    int a = -1, b = -1, n, c;
    char word[16] = "none";
    double x = -1;
    float y = -1;
    n = scanf("%d %d", &a, &b);
    printf("%d: %d %d\n", n, a, b);
    n = scanf("%15s %lf %f", word, &x, &y);
    printf("%d: %s %.17g %.9g\n", n, word, x, y);
    n = scanf("%d", &a);                /* a matching failure: the x stays unread */
    c = getchar();
    printf("%d %d\n", n, c);
    while ((n = scanf("%d", &a)) == 1)
        printf("got %d\n", a);
    printf("then %d, eof %d\n", n, feof(stdin) != 0);
    return 0;
}
"""


def test_scanf_reads_stdin_like_glibc(native_run):
    stdin = b"  12\n-34 word 2.5e-3 0.1 x 5 6\n7\t8 end"
    assert_same_as_glibc(SCANF_STDIN, native_run, stdin)
    assert_same_as_glibc(SCANF_STDIN, native_run, b"1")  # the input ends early


STREAMS = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
/* one call per statement: C leaves the order of a call's arguments open */
int main(void) {
    char buf[64], line[8];
    int c, d, n;
    char *got;
    FILE *f;
    c = getchar();
    d = ungetc('Z', stdin);
    printf("first %c, pushed back %c, ", c, d);
    c = getchar();
    d = getchar();
    printf("again %c %c\n", c, d);
    c = ungetc('a', stdin);
    d = getc(stdin);
    printf("ungetc of another: %d %d\n", c, d);
    n = fread(buf, 3, 4, stdin);        /* 12 bytes as 4 items of 3 */
    printf("fread %d [%.12s]\n", n, buf);
    fgets(line, sizeof line, stdin);
    printf("fgets [%s] eof %d error %d\n", line, feof(stdin), ferror(stdin));
    n = fread(buf, 5, 10, stdin);       /* the rest: fewer items than asked, one partial */
    printf("fread %d eof %d\n", n, feof(stdin) != 0);
    c = getchar();
    d = fgetc(stdin);
    got = fgets(line, 8, stdin);
    printf("after the end: %d %d %d\n", c, d, got == NULL);
    c = ungetc('q', stdin);
    printf("ungetc at the end: %c eof %d\n", c, feof(stdin));
    c = getchar();
    d = getchar();
    printf("reads %c, then %d\n", c, d);
    clearerr(stdin);
    printf("cleared: eof %d error %d\n", feof(stdin), ferror(stdin));
    got = fgets(line, 1, stdin);        /* room for the NUL only: an empty string */
    printf("fgets of 1: %d [%s]\n", got == line, line);
    got = fgets(line, 0, stdin);        /* no room at all */
    printf("fgets of 0: %d\n", got == NULL);
    printf("ungetc(EOF) %d\n", ungetc(EOF, stdin));
    errno = 0;
    f = fopen("no/such/dir/file.txt", "r");
    printf("fopen %d errno %d\n", f == NULL, errno == ENOENT);
    fputs("to stderr\n", stderr);
    fputc('x', stdout);
    putc('y', stdout);
    putchar('\n');
    n = puts("puts");
    printf("puts returned %d\n", n);
    n = fwrite("abcdef", 2, 3, stdout);
    printf("\nfwrite %d\n", n);
    c = fflush(stdout);
    d = fflush(NULL);
    printf("fflush %d %d %d\n", c, d, fflush(stderr));
    printf("%d %d\n", feof(stdout), ferror(stdout));
    return 3;
}
"""


def test_streams_read_and_write_like_glibc(native_run):
    stdin = b"AB0123456789abcdefghijklmnop\nrest of the input\n"
    assert_same_as_glibc(STREAMS, native_run, stdin)
    ours = run_ours(STREAMS, stdin)
    assert ours.stderr == b"to stderr\n"


BUFFERING = r"""
#include <stdio.h>
#include <stdlib.h>
int main(void) {
    static char mine[4];
    int mode = MODE, crash = CRASH;
    if (mode == 1)
        setvbuf(stdout, NULL, _IOFBF, 0);
    else if (mode == 2)
        setvbuf(stdout, NULL, _IONBF, 0);
    else if (mode == 3)
        setvbuf(stdout, mine, _IOFBF, sizeof mine);
    else if (mode == 4)
        setvbuf(stderr, mine, _IOLBF, sizeof mine);
    printf("one\ntwo");
    fputs("e1\ne2", stderr);
    if (crash)
        abort();                        /* ends without flushing anything */
    return 0;
}
"""


@pytest.mark.parametrize(
    "mode, stdout, stderr",
    [
        (0, b"one\n", b"e1\ne2"),  # stdout line-buffered, stderr unbuffered (C89 4.9.3)
        (1, b"", b"e1\ne2"),  # fully buffered: nothing out before a flush
        (2, b"one\ntwo", b"e1\ne2"),  # unbuffered
        (3, b"one\n", b"e1\ne2"),  # fully, in a 4-byte buffer of the program's: one flush
        (4, b"one\n", b"e1\n"),  # stderr line-buffered in the program's buffer
    ],
)
def test_buffering_follows_c89_and_setvbuf(mode, stdout, stderr):
    """abort does not flush (as glibc's): what came out is what the buffering wrote"""
    ours = run_ours(BUFFERING.replace("MODE", str(mode)).replace("CRASH", "1"))
    assert (ours.stdout, ours.stderr, ours.exit_code) == (stdout, stderr, 134)


def test_exit_flushes_stdout_and_a_buffered_stderr():
    source = BUFFERING.replace("MODE", "4").replace("CRASH", "0")
    ours = run_ours(source)
    assert (ours.stdout, ours.stderr, ours.exit_code) == (b"one\ntwo", b"e1\ne2", 0)


FILE_OPERATIONS = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
/* stdin and stdout are pipes here (and under glibc in the test): no file positions */
int main(void) {
    char line[64], first[L_tmpnam], second[L_tmpnam];
    fpos_t at;
    long position;
    int r;
    char *got;
    for (r = 0; r < 4; r++) {           /* a line, an empty one, one without its newline, end */
        got = gets(line);
        printf("gets %d [%s]\n", got == line, got ? line : "");
    }
    errno = 0;
    r = fseek(stdin, 0L, SEEK_SET);
    printf("fseek %d %d\n", r, errno == ESPIPE);
    errno = 0;
    position = ftell(stdout);
    printf("ftell %ld %d\n", position, errno == ESPIPE);
    errno = 0;
    r = fgetpos(stdin, &at);
    printf("fgetpos %d %d\n", r, errno == ESPIPE);
    rewind(stdin);
    printf("rewind: error %d\n", ferror(stdin));
    errno = 0;
    r = remove("no/such/file");
    printf("remove %d %d\n", r, errno == ENOENT);
    errno = 0;
    r = rename("no/such/file", "no/such/other");
    printf("rename %d %d\n", r, errno == ENOENT);
    tmpnam(first);
    tmpnam(second);
    printf("tmpnam %d %d %d\n", strcmp(first, second) != 0, (int)strlen(first) < L_tmpnam,
           tmpnam(NULL) != NULL);
    errno = 0;
    got = (char *)freopen("no/such/file", "r", stdin);
    printf("freopen %d %d\n", got == NULL, errno == ENOENT);
    return 0;
}
"""


def test_file_operations_fail_as_on_pipes_and_missing_files(native_run):
    """no file system: remove, rename and freopen fail as for a missing file, and the pipes
    have no position (ESPIPE), as glibc's calls fail on the same pipes"""
    assert_same_as_glibc(FILE_OPERATIONS, native_run, b"one\n\nlast")
    ours = run_ours("#include <stdio.h>\nint main(void) { return tmpfile() == NULL; }")
    assert ours.exit_code == 1  # nowhere to create it
