#include "test.h"

int calls;
int t(int v) { calls++; return v; }

int main() {
    int x;
    calls = 0; ASSERT(0, t(0) && t(1)); ASSERT(1, calls);
    calls = 0; ASSERT(1, t(2) && t(3)); ASSERT(2, calls);
    calls = 0; ASSERT(1, t(5) || t(0)); ASSERT(1, calls);
    calls = 0; ASSERT(0, t(0) || t(0)); ASSERT(2, calls);
    calls = 0; ASSERT(1, t(0) || t(0) || t(7)); ASSERT(3, calls);
    calls = 0; ASSERT(1, t(1) && t(1) && t(1)); ASSERT(3, calls);
    ASSERT(1, 1 || 0 && 0);
    ASSERT(0, (1 || 0) && 0);
    ASSERT(1, !0 && !!5);
    ASSERT(5, 1 ? 5 : 6);
    ASSERT(6, 0 ? 5 : 6);
    ASSERT(3, 0 ? 1 : 0 ? 2 : 3);
    ASSERT(2, 1 ? 0 ? 1 : 2 : 3);
    calls = 0; ASSERT(4, t(1) ? t(4) : t(5)); ASSERT(2, calls);
    x = 0;
    ASSERT(3, (x = 1, x + 2));
    ASSERT(1, x);
    ASSERT(7, (x = 3) + 4);
    {
        int a, b, c;
        a = b = c = 9;
        ASSERT(27, a + b + c);
    }
    {
        int arr[3];
        int *p = arr;
        int i = 0;
        arr[0] = 1; arr[1] = 2; arr[2] = 3;
        *p++ += 10;
        ASSERT(11, arr[0]);
        ASSERT(2, *p);
        arr[i++] *= 2;
        ASSERT(22, arr[0]);
        ASSERT(1, i);
    }
    {
        unsigned char c = 250;
        c += 10;
        ASSERT(4, c);
        c -= 5;
        ASSERT(255, c);
        c++;
        ASSERT(0, c);
        c--;
        ASSERT(255, c);
    }
    ASSERT(-1, -1 ? -1 : 0u);
    ASSERT(1, (0 ? -1 : 0u) == 0);
    return 0;
}
