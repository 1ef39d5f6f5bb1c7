#include "test.h"

int sum_to(int n) {
    int i, s = 0;
    for (i = 1; i <= n; i++)
        s += i;
    return s;
}

int classify(int c) {
    switch (c) {
    case 0:
        return 10;
    case 1:
    case 2:
        return 20;
    case -5:
        return 30;
    case 'x':
        c = 7;
        /* fall through */
    case 100:
        return c + 40;
    default:
        return 99;
    }
}

int count_switch_breaks(int n) {
    int i, evens = 0, odds = 0;
    for (i = 0; i < n; i++) {
        switch (i % 2) {
        case 0:
            evens++;
            break;
        default:
            odds += 10;
        }
    }
    return evens + odds;
}

int with_goto(int n) {
    int i = 0;
again:
    i++;
    if (i < n)
        goto again;
    return i;
}

int main() {
    int i, j, k;
    ASSERT(55, sum_to(10));
    ASSERT(0, sum_to(0));
    ASSERT(10, classify(0));
    ASSERT(20, classify(1));
    ASSERT(20, classify(2));
    ASSERT(30, classify(-5));
    ASSERT(47, classify('x'));
    ASSERT(140, classify(100));
    ASSERT(99, classify(3));
    ASSERT(55, count_switch_breaks(10));
    ASSERT(5, with_goto(5));
    ASSERT(1, with_goto(-3));

    i = 0;
    if (i) i = 2; else i = 3;
    ASSERT(3, i);
    if (i == 3) { i = 4; }
    ASSERT(4, i);
    if (0) i = 1; else if (1) i = 5; else i = 6;
    ASSERT(5, i);

    i = 0; j = 0;
    while (i < 10) { i++; if (i % 3 == 0) continue; j += i; }
    ASSERT(37, j);
    i = 0;
    while (1) { if (i == 7) break; i++; }
    ASSERT(7, i);
    i = 0;
    do i += 2; while (i < 9);
    ASSERT(10, i);
    i = 100;
    do { i++; } while (0);
    ASSERT(101, i);
    i = 0;
    do { i++; if (i < 5) continue; break; } while (1);
    ASSERT(5, i);

    k = 0;
    for (i = 0; i < 4; i++)
        for (j = 0; j < 4; j++) {
            if (j > i) break;
            k += j;
        }
    ASSERT(10, k);
    k = 0;
    for (;;) { k++; if (k == 3) break; }
    ASSERT(3, k);
    for (i = 0, k = 0; i < 5; i++, k += 2)
        ;
    ASSERT(10, k);
    {
        int n = 0;
        for (int m = 0; m < 3; m++) n += m;
        ASSERT(3, n);
    }
    return 0;
}
