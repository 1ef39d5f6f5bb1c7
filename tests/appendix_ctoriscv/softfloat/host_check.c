/* The soft-float routines of the runtime (runtime/libc/softfloat_*.c), compiled by the HOST's
 * gcc, against the host's IEEE 754 hardware (x86-64 SSE: round to nearest even, subnormals
 * kept), bit for bit, over random and edge-case operands.
 *
 *   host_check COUNT SEED   prints one line per operation: "name checked wrong", then for
 *                           each wrong result the operands and both answers (at most 5).
 *
 * A NaN result only has to be a NaN: x86 propagates an operand's NaN where RISC-V (and our
 * routines) give the canonical one. Float -> int conversions are checked where C defines
 * them (the truncated value fits). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../../appendix_ctoriscv/runtime/libc/softfloat_sf.c"
#include "../../../appendix_ctoriscv/runtime/libc/softfloat_wide.c"
#ifdef WITH_DOUBLE
#include "../../../appendix_ctoriscv/runtime/libc/softfloat_df.c"
#endif

static unsigned long long state;

static unsigned random32(void)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)(state >> 32);
}

static const unsigned special32[] = {
    0x00000000, 0x80000000, 0x00000001, 0x80000001, 0x007FFFFF, 0x807FFFFF, 0x00800000,
    0x80800000, 0x7F7FFFFF, 0xFF7FFFFF, 0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001,
    0xFFC00001, 0x3F800000, 0xBF800000, 0x3F800001, 0x3F7FFFFF, 0x40000000, 0x4B000000,
    0x4B7FFFFF, 0x4F000000, 0xCF000000, 0x4F800000, 0x3F000000, 0x34000000, 0x00400000};
#define NSPECIAL32 (int)(sizeof special32 / sizeof special32[0])

/* operands of every kind: uniform bits, specials, near another operand (cancellation,
 * ties), small integers, subnormals */
static unsigned operand32(unsigned other)
{
    unsigned r = random32(), kind = r % 8;
    if (kind == 0)
        return special32[random32() % NSPECIAL32];
    if (kind == 1)
        return other + (random32() % 64) - 32;
    if (kind == 2)
        return (other ^ SIGN) + (random32() % 8) - 4;
    if (kind == 3)
        return random32() & 0x807FFFFF;                     /* subnormal */
    if (kind == 4) {
        float f = (float)((int)(random32() % 2001) - 1000);
        unsigned u;
        memcpy(&u, &f, 4);
        return u;
    }
    if (kind == 5)                                          /* exponents close to other's */
        return (other & 0xFF800000) + (random32() & 0x00FFFFFF) - 0x00800000;
    return random32();
}

static float f32(unsigned u) { float f; memcpy(&f, &u, 4); return f; }
static unsigned u32(float f) { unsigned u; memcpy(&u, &f, 4); return u; }

static int same32(unsigned got, unsigned want)
{
    return got == want || (isnan(f32(got)) && isnan(f32(want)));
}

/* Each check counts its wrong results and shows the first five: begin_check, then report
 * for each wrong one, then end_check prints "name checked wrong". */
static long wrong_count;

static void begin_check(void)
{
    wrong_count = 0;
}

static void end_check(const char *name, long count)
{
    printf("%s %ld %ld\n", name, count, wrong_count);
}

static void report(const char *name, unsigned a, unsigned b, unsigned got, unsigned want)
{
    if (wrong_count++ < 5)
        printf("  %s(%08x, %08x) = %08x, hardware %08x\n", name, a, b, got, want);
}

/* The i-th pair of operands of a check: every pair of special values first, then random
 * operands of every kind, b often near a. */
static void pair32(long i, unsigned *a, unsigned *b)
{
    *a = i < NSPECIAL32 * NSPECIAL32 ? special32[i / NSPECIAL32] : operand32(random32());
    *b = i < NSPECIAL32 * NSPECIAL32 ? special32[i % NSPECIAL32] : operand32(*a);
}

typedef unsigned (*binary32)(unsigned, unsigned);

static void check_binary32(const char *name, binary32 ours, int op, long count)
{
    long i;
    begin_check();
    for (i = 0; i < count; i++) {
        unsigned a, b;
        pair32(i, &a, &b);
        volatile float x = f32(a), y = f32(b);
        float z = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
        unsigned got = ours(a, b);
        if (!same32(got, u32(z)))
            report(name, a, b, got, u32(z));
    }
    end_check(name, count);
}

static void check_compare32(long count)
{
    long i;
    begin_check();
    for (i = 0; i < count; i++) {
        unsigned a, b;
        pair32(i, &a, &b);
        volatile float x = f32(a), y = f32(b);
        int ok = ((__eqsf2(a, b) == 0) == (x == y)) && ((__nesf2(a, b) != 0) == (x != y))
                 && ((__ltsf2(a, b) < 0) == (x < y)) && ((__lesf2(a, b) <= 0) == (x <= y))
                 && ((__gtsf2(a, b) > 0) == (x > y)) && ((__gesf2(a, b) >= 0) == (x >= y))
                 && ((__unordsf2(a, b) != 0) == (isnan(x) || isnan(y)));
        if (!ok)
            report("compare", a, b, 0, 0);
    }
    end_check("compare32", count);
}

static void check_conversions32(long count)
{
    long i;
    begin_check();
    for (i = 0; i < count; i++) {
        unsigned a = i < NSPECIAL32 ? special32[i] : operand32(random32());
        int n = (int)random32() >> (random32() % 32);       /* integers of every size */
        unsigned un = random32() >> (random32() % 32);
        volatile float x = f32(a);
        if (u32((float)n) != __floatsisf(n) || u32((float)un) != __floatunsisf(un))
            report("floatsisf/floatunsisf", n, un, __floatsisf(n), u32((float)n));
        if (!isnan(x) && x > -2147483649.0 && x < 2147483648.0 && (int)x != __fixsfsi(a))
            report("fixsfsi", a, 0, __fixsfsi(a), (int)x);
        if (!isnan(x) && x > -1.0 && x < 4294967296.0 && (unsigned)x != __fixunssfsi(a))
            report("fixunssfsi", a, 0, __fixunssfsi(a), (unsigned)x);
    }
    end_check("convert32", count);
}

#ifdef WITH_DOUBLE
static unsigned long long random64(void)
{
    return (unsigned long long)random32() << 32 | random32();
}

static const unsigned long long special64[] = {
    0, 0x8000000000000000ULL, 1, 0x8000000000000001ULL, 0x000FFFFFFFFFFFFFULL,
    0x0010000000000000ULL, 0x7FEFFFFFFFFFFFFFULL, 0xFFEFFFFFFFFFFFFFULL, 0x7FF0000000000000ULL,
    0xFFF0000000000000ULL, 0x7FF8000000000000ULL, 0x7FF0000000000001ULL, 0x3FF0000000000000ULL,
    0xBFF0000000000000ULL, 0x3FF0000000000001ULL, 0x3FEFFFFFFFFFFFFFULL, 0x4330000000000000ULL,
    0x41E0000000000000ULL, 0xC1E0000000000000ULL, 0x41F0000000000000ULL, 0x3CA0000000000000ULL,
    0x0008000000000000ULL, 0x47EFFFFFE0000000ULL, 0x36A0000000000000ULL, 0x3690000000000000ULL};
#define NSPECIAL64 (int)(sizeof special64 / sizeof special64[0])

static unsigned long long operand64(unsigned long long other)
{
    unsigned kind = random32() % 8;
    if (kind == 0)
        return special64[random32() % NSPECIAL64];
    if (kind == 1)
        return other + (random32() % 64) - 32;
    if (kind == 2)
        return (other ^ 0x8000000000000000ULL) + (random32() % 8) - 4;
    if (kind == 3)
        return random64() & 0x800FFFFFFFFFFFFFULL;
    if (kind == 4) {
        double d = (double)((int)(random32() % 2001) - 1000);
        unsigned long long u;
        memcpy(&u, &d, 8);
        return u;
    }
    if (kind == 5)
        return (other & 0xFFF0000000000000ULL) + (random64() & 0x001FFFFFFFFFFFFFULL)
               - 0x0010000000000000ULL;
    if (kind == 6) {                    /* near the float range's ends, for the conversions */
        unsigned long long e = 0x36A + random32() % (0x47F - 0x36A + 1);
        return (random64() & 0x800FFFFFFFFFFFFFULL) | e << 52;
    }
    return random64();
}

static Bits64 b64(unsigned long long u) { return __sf_make64((unsigned)(u >> 32), (unsigned)u); }
static unsigned long long w64(Bits64 b) { return (unsigned long long)b.hi << 32 | b.lo; }
static double f64(unsigned long long u) { double d; memcpy(&d, &u, 8); return d; }
static unsigned long long u64(double d) { unsigned long long u; memcpy(&u, &d, 8); return u; }

static int same64(unsigned long long got, unsigned long long want)
{
    return got == want || (isnan(f64(got)) && isnan(f64(want)));
}

static void report64(const char *name, unsigned long long a, unsigned long long b,
                     unsigned long long got, unsigned long long want)
{
    if (wrong_count++ < 5)
        printf("  %s(%016llx, %016llx) = %016llx, hardware %016llx\n", name, a, b, got, want);
}

static void pair64(long i, unsigned long long *a, unsigned long long *b)
{
    *a = i < NSPECIAL64 * NSPECIAL64 ? special64[i / NSPECIAL64] : operand64(random64());
    *b = i < NSPECIAL64 * NSPECIAL64 ? special64[i % NSPECIAL64] : operand64(*a);
}

typedef Bits64 (*binary64)(Bits64, Bits64);

static void check_binary64(const char *name, binary64 ours, int op, long count)
{
    long i;
    begin_check();
    for (i = 0; i < count; i++) {
        unsigned long long a, b;
        pair64(i, &a, &b);
        volatile double x = f64(a), y = f64(b);
        double z = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
        unsigned long long got = w64(ours(b64(a), b64(b)));
        if (!same64(got, u64(z)))
            report64(name, a, b, got, u64(z));
    }
    end_check(name, count);
}

static void check_other64(long count)
{
    long i;
    begin_check();
    for (i = 0; i < count; i++) {
        unsigned long long a, b;
        pair64(i, &a, &b);
        unsigned f = i < NSPECIAL32 ? special32[i] : operand32(random32());
        int n = (int)random32() >> (random32() % 32);
        unsigned un = random32() >> (random32() % 32);
        volatile double x = f64(a), y = f64(b);
        volatile float xf = f32(f);
        Bits64 A = b64(a), B = b64(b);
        int ok = ((__eqdf2(A, B) == 0) == (x == y)) && ((__nedf2(A, B) != 0) == (x != y))
                 && ((__ltdf2(A, B) < 0) == (x < y)) && ((__ledf2(A, B) <= 0) == (x <= y))
                 && ((__gtdf2(A, B) > 0) == (x > y)) && ((__gedf2(A, B) >= 0) == (x >= y))
                 && ((__unorddf2(A, B) != 0) == (isnan(x) || isnan(y)));
        if (!ok)
            report64("compare64", a, b, 0, 0);
        if (w64(__floatsidf(n)) != u64((double)n) || w64(__floatunsidf(un)) != u64((double)un))
            report64("floatsidf/floatunsidf", n, un, w64(__floatsidf(n)), u64((double)n));
        if (!isnan(x) && x > -2147483649.0 && x < 2147483648.0 && (int)x != __fixdfsi(A))
            report64("fixdfsi", a, 0, __fixdfsi(A), (int)x);
        if (!isnan(x) && x > -1.0 && x < 4294967296.0 && (unsigned)x != __fixunsdfsi(A))
            report64("fixunsdfsi", a, 0, __fixunsdfsi(A), (unsigned)x);
        if (!same64(w64(__extendsfdf2(f)), u64((double)xf)))
            report64("extendsfdf2", f, 0, w64(__extendsfdf2(f)), u64((double)xf));
        if (!same32(__truncdfsf2(A), u32((float)x)))
            report64("truncdfsf2", a, 0, __truncdfsf2(A), u32((float)x));
        if (w64(__negdf2(A)) != (a ^ 0x8000000000000000ULL) || __negsf2(f) != (f ^ SIGN))
            report64("negdf2/negsf2", a, f, 0, 0);
    }
    end_check("compare_convert64", count);
}

static void check_double(long count)
{
    check_binary64("adddf3", __adddf3, 0, count);
    check_binary64("subdf3", __subdf3, 1, count);
    check_binary64("muldf3", __muldf3, 2, count);
    check_binary64("divdf3", __divdf3, 3, count);
    check_other64(count);
}
#endif

int main(int argc, char **argv)
{
    long count = argc > 1 ? atol(argv[1]) : 100000;
    state = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    check_binary32("addsf3", __addsf3, 0, count);
    check_binary32("subsf3", __subsf3, 1, count);
    check_binary32("mulsf3", __mulsf3, 2, count);
    check_binary32("divsf3", __divsf3, 3, count);
    check_compare32(count);
    check_conversions32(count);
#ifdef WITH_DOUBLE
    check_double(count);
#endif
    return 0;
}
