#include "test.h"

int main() {
    char c;
    signed char sc;
    unsigned char uc;
    short s;
    unsigned short us;
    int i;
    unsigned u;

    c = 255; ASSERT(255, c);
    c = 256 + 65; ASSERT(65, c);
    sc = 255; ASSERT(-1, sc);
    sc = 128; ASSERT(-128, sc);
    uc = -1; ASSERT(255, uc);
    s = 65535; ASSERT(-1, s);
    s = 32768; ASSERT(-32768, s);
    us = -1; ASSERT(65535, us);
    us = 70000; ASSERT(4464, us);
    i = sc; ASSERT(-128, i);
    i = uc; ASSERT(255, i);
    u = -1; ASSERT(1, u > 0);
    ASSERT(1, u == 4294967295u);
    ASSERT(0, -1 < 1u);
    ASSERT(1, -1 < 1);
    ASSERT(1, (unsigned)-1 > 1);
    ASSERT(2147483647, (unsigned)-1 / 2);
    ASSERT(0, -1 / 2);
    ASSERT(1, -1 % 2u);
    ASSERT(2147483647, 0xffffffffu >> 1);
    ASSERT(-1, -1 >> 1);
    ASSERT(2147483647, (unsigned)-1 >> 1);
    ASSERT(-8, -16 >> 1);
    ASSERT(1073741820, -16u >> 2);
    ASSERT(1, (unsigned short)65535 > (short)0);
    ASSERT(1, (short)-1 < (unsigned short)1);
    ASSERT(0, (unsigned)-1 < (unsigned short)1);
    ASSERT(1, sc < uc);
    uc = 200; sc = -56;
    ASSERT(144, uc + sc);
    ASSERT(256, uc - sc);
    ASSERT(-11200, uc * sc);
    ASSERT(1, 'a' < 'b');
    ASSERT(255, '\xff');
    ASSERT(255, (char)-1);
    ASSERT(-1, (signed char)'\xff');
    ASSERT(65, (char)321);
    ASSERT(-2, (short)65534);
    ASSERT(3, (unsigned char)259);
    ASSERT(-559038737, (int)0xdeadbeef);
    ASSERT(48879, 0xdeadbeef & 0xffff);
    ASSERT(1, sizeof(1u) == 4);
    ASSERT(4, sizeof(c + c));
    ASSERT(1, sizeof(c));
    ASSERT(2, sizeof(s));
    ASSERT(4, sizeof(s + 1));
    ASSERT(4, sizeof 'a');
    {
        long l = 2147483647;
        unsigned long ul = 4000000000u;
        ASSERT(1, l > 0);
        ASSERT(1, ul > 3000000000u);
        ASSERT(-294967296, (int)ul);
        ASSERT(1000000000, (int)(ul / 4));
        l = -100000;
        ASSERT(-3, (int)(l / 30000));
        ASSERT(-10000, (int)(l % 30000));
    }
    {
        unsigned a = 3000000000u, b = 7;
        ASSERT(428571428, a / b);
        ASSERT(4, a % b);
        ASSERT(1, a > b);
        ASSERT(-1294967296, a);
        ASSERT(-1589934592, a * 2 + 1000000000u);
    }
    {
        int big = 2147483647;
        ASSERT(-2147483647 - 1, big + 1);
        ASSERT(-2, big * 2);
        ASSERT(-2147483647 - 1, (-2147483647 - 1) / 1);
        ASSERT(0, (-2147483647 - 1) % 1);
    }
    return 0;
}
