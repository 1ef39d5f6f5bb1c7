/* Shared by the test programs: the library functions they use, and ASSERT.
 *
 * Each program is compiled twice: by our compiler for the emulator, and by the host's gcc
 * (-funsigned-char -fwrapv) to run natively. Both must print the same lines and exit alike,
 * so the programs avoid what differs between ILP32 and x86-64: the size of long and pointers.
 */
int putchar(int c);
int getchar(void);
int puts(const char *s);
void exit(int status);

static void print_str(char *s) {
    while (*s)
        putchar(*s++);
}

static void print_int(int x) {
    char buf[12];
    int i = 0;
    unsigned u = x;
    if (x < 0) {
        putchar('-');
        u = -u;
    }
    do {
        buf[i++] = '0' + u % 10;
        u /= 10;
    } while (u);
    while (i > 0)
        putchar(buf[--i]);
}

static void assert_equal(int expected, int actual, char *code) {
    print_str(code);
    print_str(" => ");
    print_int(actual);
    if (expected != actual) {
        print_str(", expected ");
        print_int(expected);
        putchar('\n');
        exit(1);
    }
    putchar('\n');
}

#define ASSERT(expected, expr) assert_equal(expected, expr, #expr)
