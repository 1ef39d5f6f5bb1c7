/* float and double through the soft-float runtime: literals, the usual arithmetic
 * conversions, int <-> float casts, comparisons (NaN and infinities too), ++ and +=, globals,
 * arrays and struct members, passing and returning by value (a double takes two registers),
 * variadic doubles. Values are printed as their IEEE bits, so any difference shows. */
#include <stdarg.h>

int write(int fd, const void *buf, int n);

static void put_hex(unsigned x) {
    char b[9];
    int i;
    for (i = 7; i >= 0; i--) {
        b[i] = "0123456789abcdef"[x & 15];
        x >>= 4;
    }
    b[8] = '\n';
    write(1, b, 9);
}
static void pf(float f) { union { float f; unsigned u; } v; v.f = f; put_hex(v.u); }
static void pd(double d) {
    union { double d; unsigned u[2]; } v;
    v.d = d;
    put_hex(v.u[1]);
    put_hex(v.u[0]);
}

float gf = 1.5f;
double gd = -2.25;
double gs[3] = {1, 2.5, 1e10};
float gfs[] = {0.1f, 1 / 3.0f, -0.0f, 3};
struct sd { char c; double d; float f; } gsd = {'x', 3.0, 0.7f};
int gi = (int)2.75 + (int)-1.5;

double half(double x) { return x / 2; }
float sq(float x) { return x * x; }
struct sd mk(double d) { struct sd s; s.c = 'm'; s.d = d * d; s.f = d; return s; }
double many(int a, int b, int c, int d, int e, int f, int g, double x, double y, float z) {
    return a + b + c + d + e + f + g + x * 10 + y * 100 + z * 1000;
}

double vsum(int n, ...) {
    va_list ap;
    double s = 0;
    va_start(ap, n);
    while (n-- > 0)
        s = s * 10 + va_arg(ap, double);
    va_end(ap);
    return s;
}

double mixed(int n, ...) {
    va_list ap;
    double s = 0;
    int k;
    va_start(ap, n);
    for (k = 0; k < n; k++)
        s = s * 10 + (k % 2 ? va_arg(ap, int) : va_arg(ap, double));
    va_end(ap);
    return s;
}

int main(void) {
    float f = 3.25f, g, zero = 0;
    double d = 1.0 / 3, e, inf, nan;
    int i = -7;
    unsigned u = 4000000000u;
    struct sd s;
    char c = 200;
    short sh = -300;
    pf(f); pd(d); pf(gf); pd(gd); pd(gs[2]); pd(gsd.d); pf(gsd.f);
    pf(gfs[0]); pf(gfs[1]); pf(gfs[2]); pf(gfs[3]); put_hex(gi);
    pf(f + gf); pf(f - 10); pf(f * f); pf(f / 3); pf(-f);
    pd(d + gd); pd(d * 3); pd(-d); pd(half(d)); pd(d - f); pd(f * d);
    pf(sq(1.1f)); pd(sq(1.1f));
    pf((float)d); pd(f); pf(0.1); pd(0.1f);
    put_hex((int)(d * 1000)); put_hex((unsigned)(f * 1e9)); put_hex((int)-2.9);
    put_hex((char)(f * 100)); put_hex((short)-1234.9); put_hex((unsigned char)f);
    pf(i); pd(i); pf(u); pd(u); pf(c); pd(sh); pf(16777217); pd(4294967295u);
    put_hex(f < gf); put_hex(f > gf); put_hex(d == 1.0 / 3); put_hex(d != d);
    put_hex(!f); put_hex(!(f - f)); put_hex(f >= 3.25); put_hex(f <= 3.2499f);
    inf = 1 / (double)zero;
    nan = inf - inf;
    pd(inf); pd(-inf); put_hex(nan == nan); put_hex(nan != nan); put_hex(nan < 1);
    put_hex(nan >= 1); put_hex(inf > 1e308); put_hex(!nan);
    g = 0;
    if (g)
        put_hex(1);
    else
        put_hex(2);
    e = 0.1;
    for (i = 0; e < 1; i++)
        e += 0.1;
    put_hex(i);
    pd(e);
    f = 0.5f;
    f++;
    pf(f);
    f--;
    --f;
    pf(f);
    pf(f++ + 1);
    d += 2;
    d *= f + 1;
    pd(d);
    d /= 7;
    pd(d);
    put_hex(sizeof(float) + sizeof(double) * 16 + sizeof gsd * 256);
    put_hex(d ? 5 : 6);
    put_hex(d && 0.0);
    put_hex(zero || -0.0);
    s = mk(1.5);
    put_hex(s.c);
    pd(s.d);
    pf(s.f);
    pd(many(1, 2, 3, 4, 5, 6, 7, 0.5, 0.25, 0.125f));
    pd(vsum(3, 1.0, 2.5, 3.0));
    pd(vsum(9, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.5));
    pd(mixed(5, 1.5, 2, 3.25, 4, 5.0));
    pd(mixed(6, 1.0, 2, 3.0, 4, 5.0, 6));
    return 0;
}
