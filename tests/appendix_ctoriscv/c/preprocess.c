#include "test.h"
#include "macros.h"
#include "macros.h"

#define ONE 1
#define TWO (ONE + ONE)
#define SQUARE(x) ((x) * (x))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define CAT(a, b) a##b
#define STR(x) #x
#define XSTR(x) STR(x)
#define EMPTY
#define NOARGS() 99
#define SELF SELF
#define LOOP_A LOOP_B
#define LOOP_B LOOP_A
#define MULTI(a, b) \
    ((a) * 10 + \
     (b))

#if TWO == 2 && defined(ONE) && !defined(NOPE)
int if_ok = 1;
#else
int if_ok = 0;
#endif

#if 0
int this_is_skipped = ;
#elif 1 + 1 == 3
int wrong = 1;
#elif defined TWO
int elif_ok = 2;
#else
int wrong = 3;
#endif

#ifdef NOPE
int nope = 1;
#endif
#ifndef NOPE
int ifndef_ok = 3;
#endif

#define TEMP 5
int before_undef = TEMP;
#undef TEMP
#ifdef TEMP
int still_defined = 1;
#endif

#if (3 > 2 ? 10 : 20) == 10 && (7 / 2 == 3) && (-1 < 0) && (1 << 4) == 16
int arith_ok = 4;
#endif

#if 0
#if 1
#error not reached
#endif
#else
int nested_ok = 5;
#endif

int main() {
    int SELF = 4;
    int xy = 12;
    ASSERT(2, TWO);
    ASSERT(49, SQUARE(3 + 4));
    ASSERT(9, MAX(4, 9));
    ASSERT(4, MAX(SQUARE(2), 3));
    ASSERT(12, CAT(x, y));
    ASSERT(123, CAT(12, 3));
    ASSERT(4, sizeof STR(a+b));
    ASSERT('a', STR(a + b)[0]);
    ASSERT(' ', STR(a + b)[1]);
    ASSERT('1', XSTR(TWO)[1]);
    ASSERT('T', STR(TWO)[0]);
    ASSERT(99, NOARGS());
    ASSERT(4, SELF);
    ASSERT(17, HEADER_VALUE);
    ASSERT(34, TWICE(HEADER_VALUE));
    ASSERT(1, if_ok);
    ASSERT(2, elif_ok);
    ASSERT(3, ifndef_ok);
    ASSERT(4, arith_ok);
    ASSERT(5, nested_ok);
    ASSERT(5, before_undef);
    ASSERT(12, MULTI(1, 2));
    ASSERT(3, EMPTY 3 EMPTY);
    ASSERT(1, __STDC__);
    ASSERT(90, __LINE__);
    return 0;
}
