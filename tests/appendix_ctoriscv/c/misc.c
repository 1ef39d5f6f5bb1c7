/* Corners: switch fall-through with continue and break, goto, pointer comparisons, sizeof. */
#include "test.h"
int g(int x) { return x * 2; }
int main() {
    int i, n = 0, a[5] = {5, 4, 3, 2, 1};
    int *p = a, *q = &a[4];
    char s[] = "a\0b";
    char t[3] = "abc";
    ASSERT(4, sizeof s);
    ASSERT('c', t[2]);
    ASSERT(1, sizeof s[0]);
    ASSERT(0, sizeof(n++) - 4);
    ASSERT(0, n);
    ASSERT(1, q > p);
    ASSERT(4, q - p);
    while (p < q && *p > 2) p++;
    ASSERT(2, *p);
    for (i = 0; i < 10; i++) {
        switch (i) {
        case 1: n += 1;
        default: n += 10; break;
        case 5: continue;
        case 7: { int j; for (j = 0; j < 3; j++) { if (j == 1) break; n += 100; } }
        }
        n += 1000;
    }
    ASSERT(9181, n);
    i = 0;
loop:
    if (i < 3) { i++; goto loop; }
    ASSERT(3, i);
    ASSERT(8, g(g(2)));
    ASSERT(6, (g(1), g(3)));
    {
        int x = 5;
        int *px = &x;
        *px += 2 * *px;
        ASSERT(15, x);
    }
    {
        unsigned char uc = 255;
        ASSERT(-255, -uc);
        ASSERT(0, (unsigned char)(uc + 1));
        ASSERT(256, uc + 1);
    }
    {
        int m[2][3] = {{1, 2, 3}, {4, 5, 6}};
        int (*row)[3] = m;
        row++;
        ASSERT(5, (*row)[1]);
        ASSERT(12, sizeof *row);
    }
    return 0;
}
