/* sscanf over integers, strings, characters, sets and floating point, with widths, `*`, %n,
 * and the failures (no input, a matching failure, a number cut short); each line shows the
 * count returned and what was stored. Run by test_libc_stdio.py against glibc. */
#include <stdio.h>
#include <string.h>
static void show_ints(const char *in, const char *fmt) {
    int a = -7, b = -7, c = -7, n;
    n = sscanf(in, fmt, &a, &b, &c);
    printf("[%s] [%s] -> %d: %d %d %d\n", in, fmt, n, a, b, c);
}
int main(void) {
    char s1[32], s2[32], ch[4];
    float f = -1; double d = -1; int i = -1, k = -1, n;
    unsigned u; short h = -1; void *p = 0;
    show_ints("12 34 56", "%d %d %d");
    show_ints("  -12,+34;0x1f", "%d,%d;%i");
    show_ints("0x1f 017 19", "%i %i %i");
    show_ints("ff 777 1010", "%x %o %d");
    show_ints("12345", "%2d%2d%d");
    show_ints("12 abc", "%d %d %d");
    show_ints("", "%d");
    show_ints("   ", "%d");
    show_ints("abc", "%d");
    show_ints("5", "%d %d");
    show_ints("7 8", "%*d %d %d");
    show_ints("-", "%d");
    show_ints("1%2", "%d%%%d");
    show_ints("1 % 2", "%d %% %d");
    show_ints("x1", "x%d");
    show_ints("y1", "x%d");
    show_ints("-0", "%u");
    show_ints("4294967295", "%u");
    n = sscanf("hello world  x", "%s %5s %c", s1, s2, ch);
    printf("%d [%s] [%s] [%c]\n", n, s1, s2, ch[0]);
    n = sscanf("abc", "%2c", ch); ch[2] = 0;
    printf("%d [%s]\n", n, ch);
    n = sscanf(" x", "%c", ch);
    printf("%d [%c]\n", n, ch[0]);
    n = sscanf("3.25 -1e-3 .5e+2 1e 2.", "%f %lf %d", &f, &d, &i);
    printf("%d %.9g %.17g %d\n", n, f, d, i);
    n = sscanf("1e5x 2.5e", "%lf%n", &d, &k);
    printf("%d %.17g %d\n", n, d, k);
    n = sscanf("-.e5", "%lf", &d);
    printf("%d\n", n);
    n = sscanf("0.1 3e400 7", "%lf %lf %d", &d, &d, &i);
    printf("%d %g %d\n", n, d, i);
    n = sscanf("abc123def", "%[a-c]%d%[^x]", s1, &i, s2);
    printf("%d [%s] %d [%s]\n", n, s1, i, s2);
    n = sscanf("]]x", "%[]]", s1);
    printf("%d [%s]\n", n, s1);
    n = sscanf("12 -5", "%hd %u", &h, &u);
    printf("%d %d %u\n", n, h, u);
    n = sscanf("0x1234", "%p", &p);
    printf("%d %d\n", n, p == (void *)0x1234);
    n = sscanf("  42  ", " %d %n", &i, &k);
    printf("%d %d %d\n", n, i, k);
    n = sscanf("skip these words 17", "%*s %*[a-z] %*5c%d", &i);
    printf("%d %d\n", n, i);
    n = sscanf("abcdef", "%3[a-z]%s", s1, s2);
    printf("%d [%s] [%s]\n", n, s1, s2);
    n = sscanf("-0x1F 0XaB 1E3 -2.5E-1 7G", "%i %X %E %lE %d", &i, &u, &f, &d, &k);
    printf("%d %d %u %.9g %.17g %d\n", n, i, u, f, d, k);
    n = sscanf("5 % 6", "%d%%%d", &i, &k);
    printf("%d %d %d\n", n, i, k);
    n = sscanf("12", "%d%n%*n", &i, &k);
    printf("%d %d %d\n", n, i, k);
    n = sscanf("0.5", "%lg", &d);
    printf("%d %.17g\n", n, d);
    {                                   /* printf's long numbers read back whole */
        static char big[1400];
        sprintf(big, "%f", 1.7976931348623157e308);
        n = sscanf(big, "%lf%n", &d, &k);
        printf("%d %d %.17g\n", n, k, d);
        sprintf(big, "%.700f 5", 3e-300);
        n = sscanf(big, "%lf%n", &d, &k);
        printf("%d %d %.17g\n", n, k, d);
        sprintf(big, "%.1000e", 0.1);
        n = sscanf(big, "%lf%n", &d, &k);
        printf("%d %d %.17g\n", n, k, d);
        sprintf(big, "%0300d", 12);
        n = sscanf(big, "%d%n", &i, &k);
        printf("%d %d %d\n", n, k, i);
    }
    {
        static const char *reals[] = {"inf", "-INF", "nan", "Infinity", "+infinity", "0x1p3",
                                      "-0X.8P-1", "0x1.8", "0x1e", "0xAp+2"};
        for (i = 0; i < (int)(sizeof reals / sizeof reals[0]); i++) {
            double r = -7;
            k = -1;
            n = sscanf(reals[i], "%lf%n", &r, &k);
            printf("[%s] %d %g %d\n", reals[i], n, r, k);
        }
    }
    return 0;
}
