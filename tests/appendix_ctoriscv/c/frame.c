#include "test.h"

/* Frames larger than a 12-bit offset reaches, arguments on the stack, narrow stack arguments. */

int big_local(int k) {
    int table[1000];
    int i, s = 0;
    for (i = 0; i < 1000; i++)
        table[i] = i * k;
    for (i = 0; i < 1000; i += 7)
        s += table[i];
    return s;
}

int zeroed(void) {
    int table[700] = {5};
    int i, s = 0;
    for (i = 0; i < 700; i++)
        s += table[i];
    return s + table[699];
}

int after_big(void) {
    char pad[3000];
    int x = 7, y = 9;
    pad[2999] = 1;
    return x * y + pad[2999];
}

int narrow(int a, int b, int c, int d, int e, int f, int g, int h, char i, short j,
           unsigned char k, signed char l) {
    return a + b + c + d + e + f + g + h + i + j + k + l;
}

int twelve(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j, int k, int l) {
    return a * 1 + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8 + i * 9 + j * 10 +
           k * 11 + l * 12;
}

int depth(int n) {
    int local[16];
    local[n % 16] = n;
    if (n == 0)
        return 0;
    return local[n % 16] + depth(n - 1);
}

int main() {
    ASSERT(213213, big_local(3));
    ASSERT(5, zeroed());
    ASSERT(64, after_big());
    ASSERT(36 + 200 - 1000 + 255 - 1, narrow(1, 2, 3, 4, 5, 6, 7, 8, 200, -1000, 255, -1));
    ASSERT(650, twelve(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12));
    ASSERT(twelve(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1) * 2,
           twelve(2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2));
    ASSERT(5050, depth(100));
    return 0;
}
