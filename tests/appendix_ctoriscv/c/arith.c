#include "test.h"

int main() {
    ASSERT(0, 0);
    ASSERT(42, 42);
    ASSERT(21, 5+20-4);
    ASSERT(41, 12 + 34 - 5);
    ASSERT(47, 5+6*7);
    ASSERT(15, 5*(9-6));
    ASSERT(4, (3+5)/2);
    ASSERT(10, -10+20);
    ASSERT(10, - -10);
    ASSERT(10, - - +10);
    ASSERT(-3, -7 / 2);
    ASSERT(-1, -7 % 2);
    ASSERT(1, 7 % -2);
    ASSERT(-3, 7 / -2);
    ASSERT(0, 0 / 5);
    ASSERT(5, 17 % 6);
    ASSERT(391, 17 * 23);
    ASSERT(-391, -17 * 23);
    ASSERT(1, 1 << 0);
    ASSERT(1024, 1 << 10);
    ASSERT(-8, -16 >> 1);
    ASSERT(-1, -1 >> 31);
    ASSERT(5, 0x50 >> 4);
    ASSERT(8, 010);
    ASSERT(255, 0xff);
    ASSERT(0, 0 & 1);
    ASSERT(3, 7 & 3);
    ASSERT(7, 5 | 2);
    ASSERT(6, 5 ^ 3);
    ASSERT(-1, ~0);
    ASSERT(-6, ~5);
    ASSERT(1, 1 + 2 * 3 - 4 / 2 - 4 % 3 - 1 == 3);
    ASSERT(14, 2 + 3 << 1 + 0 | 4);
    ASSERT(1, 0 == 0);
    ASSERT(0, 1 == 0);
    ASSERT(1, 3 != 4);
    ASSERT(1, 1 < 2);
    ASSERT(0, 2 < 2);
    ASSERT(1, 2 <= 2);
    ASSERT(1, 3 > 2);
    ASSERT(0, 3 > 3);
    ASSERT(1, 3 >= 3);
    ASSERT(0, !5);
    ASSERT(1, !0);
    ASSERT(-2147483647 - 1, 2147483647 + 1);
    ASSERT(0, -2147483647 - 1 + -2147483647 - 1);
    ASSERT(1, 5 > 3 == 1);
    ASSERT(3, (1, 2, 3));
    { int x = 100000; ASSERT(1410065408, x * x / 7 * 7 + x * x % 7); }
    { int a = 1234567, b = -89; ASSERT(-13871, a / b); ASSERT(48, a % b); }
    { int a = 3; a += 4; ASSERT(7, a); a -= 2; ASSERT(5, a); a *= 6; ASSERT(30, a);
      a /= 4; ASSERT(7, a); a %= 4; ASSERT(3, a); a <<= 3; ASSERT(24, a);
      a >>= 2; ASSERT(6, a); a &= 5; ASSERT(4, a); a |= 9; ASSERT(13, a); a ^= 6; ASSERT(11, a); }
    { int i = 5; ASSERT(5, i++); ASSERT(6, i); ASSERT(7, ++i); ASSERT(7, i--); ASSERT(5, --i); }
    return 0;
}
