#include "test.h"

int add2(int a, int b);
static int counter;

int add2(int a, int b) { return a + b; }
int sub2(int a, int b) { return a - b; }
int many(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j) {
    return a - b + c * 2 - d + e * 3 - f + g * 4 - h + i * 5 - j;
}
int eleven(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j, int k) {
    return k * 100 + j * 10 + i - (a + b + c + d + e + f + g + h);
}
int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int fact(int n) { if (n <= 1) return 1; return n * fact(n - 1); }
int ackermann(int m, int n) {
    if (m == 0) return n + 1;
    if (n == 0) return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}
int is_even(int n);
int is_odd(int n) { return n == 0 ? 0 : is_even(n - 1); }
int is_even(int n) { return n == 0 ? 1 : is_odd(n - 1); }
void bump(void) { counter++; }
static int next_id(void) { static int id = 100; return id++; }
char to_char(int x) { return x; }
short to_short(int x) { return x; }
unsigned char to_uchar(int x) { return x; }
signed char to_schar(int x) { return x; }
int char_param(char c, short s, signed char sc) { return c + s + sc; }
int gcd(int a, int b) { while (b) { int t = a % b; a = b; b = t; } return a; }
int call_in_args(void) { return add2(add2(1, 2), add2(3, add2(4, 5))); }
void early(int *p) { if (*p > 0) return; *p = 42; }

int main() {
    int v = 0;
    ASSERT(7, add2(3, 4));
    ASSERT(-1, sub2(3, 4));
    ASSERT(65, many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    ASSERT(1173, eleven(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
    ASSERT(55, fib(10));
    ASSERT(720, fact(6));
    ASSERT(9, ackermann(2, 3));
    ASSERT(1, is_even(10));
    ASSERT(1, is_odd(7));
    bump(); bump(); bump();
    ASSERT(3, counter);
    ASSERT(100, next_id());
    ASSERT(101, next_id());
    ASSERT(44, to_char(300));
    ASSERT(-25536, to_short(40000));
    ASSERT(255, to_uchar(-1));
    ASSERT(-1, to_schar(255));
    ASSERT(200 + 1000 - 2, char_param(200, 1000, -2));
    ASSERT(6, gcd(48, 18));
    ASSERT(15, call_in_args());
    early(&v);
    ASSERT(42, v);
    v = 5;
    early(&v);
    ASSERT(5, v);
    return 0;
}
