/* Variadic functions through <stdarg.h>: ints, chars (promoted), pointers, small and large
 * structs, more arguments than registers, va_list passed on, and a named parameter after
 * which the unnamed ones start on the stack. */
#include <stdarg.h>
#include "../c/test.h"

struct pt { int x, y; };
struct big { int a, b, c, d; };

int sum(int n, ...) {
    va_list ap;
    int s = 0;
    va_start(ap, n);
    while (n-- > 0)
        s += va_arg(ap, int);
    va_end(ap);
    return s;
}

int vweighted(int n, va_list ap) {
    int s = 0, k;
    for (k = 1; k <= n; k++)
        s += k * va_arg(ap, int);
    return s;
}

int weighted(int n, ...) {
    va_list ap;
    int s;
    va_start(ap, n);
    s = vweighted(n, ap);
    va_end(ap);
    return s;
}

int mixed(const char *fmt, ...) {
    va_list ap;
    int s = 0;
    struct pt p;
    struct big b;
    va_start(ap, fmt);
    for (; *fmt; fmt++) {
        if (*fmt == 'i')
            s = s * 3 + va_arg(ap, int);
        else if (*fmt == 'c')
            s = s * 3 + (char)va_arg(ap, int);
        else if (*fmt == 's')
            s = s * 3 + *va_arg(ap, char *);
        else if (*fmt == 'p') {
            p = va_arg(ap, struct pt);
            s = s * 3 + p.x - p.y;
        } else if (*fmt == 'b') {
            b = va_arg(ap, struct big);
            s = s * 3 + b.a + b.b * 2 + b.c * 4 + b.d * 8;
        }
    }
    va_end(ap);
    return s;
}

int eight(int a, int b, int c, int d, int e, int f, int g, int h, ...) {
    va_list ap;
    int s = a + b + c + d + e + f + g + h;
    va_start(ap, h);
    s = s * 10 + va_arg(ap, int);
    s = s * 10 + va_arg(ap, int);
    va_end(ap);
    return s;
}

int main() {
    struct pt p = {7, 2};
    struct big b = {1, 2, 3, 4};
    ASSERT(0, sum(0));
    ASSERT(6, sum(3, 1, 2, 3));
    ASSERT(55, sum(10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10));
    ASSERT(210, sum(20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20));
    ASSERT(14, weighted(3, 1, 2, 3));
    ASSERT(194, mixed("ic", 30, 'h'));
    ASSERT(2719, mixed("sipb", "A", 100, p, b));
    ASSERT(765, mixed("cc", (char)-1, 0));
    ASSERT(1774, mixed("bbpi", b, b, p, -5));
    ASSERT(3645, eight(1, 2, 3, 4, 5, 6, 7, 8, 4, 5));
    return 0;
}
