/* Function pointers: declarators, arrays of them, calls through them (with and without `*`),
 * functions as arguments (a qsort with a comparator), typedef'd pointer types, pointers in
 * structs and returned from functions. */
#include "../c/test.h"

typedef int (*binop)(int, int);
struct op { char name; binop fn; };

static int add(int a, int b) { return a + b; }
static int sub(int a, int b) { return a - b; }
static int mul(int a, int b) { return a * b; }

int apply(int (*f)(int, int), int a, int b) { return f(a, b); }
int apply2(binop f, int a, int b) { return (*f)(a, b); }
binop pick(char c) { return c == '+' ? add : c == '-' ? sub : &mul; }
int (*pick2(int k))(int, int) { return k ? mul : add; }

void sort(void *base, int n, int size, int (*cmp)(const void *, const void *)) {
    char *p = base, tmp;
    int i, j, k;
    for (i = 1; i < n; i++)
        for (j = i; j > 0 && cmp(p + (j - 1) * size, p + j * size) > 0; j--)
            for (k = 0; k < size; k++) {
                tmp = p[(j - 1) * size + k];
                p[(j - 1) * size + k] = p[j * size + k];
                p[j * size + k] = tmp;
            }
}

int by_value(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
struct rec { int key; char tag; };
int by_key_desc(const void *a, const void *b) {
    return ((const struct rec *)b)->key - ((const struct rec *)a)->key;
}

struct op ops[] = {{'+', add}, {'-', sub}, {'*', mul}};
int (*table[3])(int, int) = {add, sub, mul};

int main() {
    int xs[6] = {5, -2, 9, 0, 3, 3};
    struct rec rs[4] = {{1, 'a'}, {4, 'b'}, {2, 'c'}, {3, 'd'}};
    int (*f)(int, int) = add;
    void (*g)(void *, int, int, int (*)(const void *, const void *)) = sort;
    int i, s = 0;
    ASSERT(7, f(3, 4));
    ASSERT(-1, (*f)(3, -4));
    f = &sub;
    ASSERT(-1, f(3, 4));
    ASSERT(12, apply(mul, 3, 4));
    ASSERT(7, apply2(add, 3, 4));
    ASSERT(2, pick('-')(5, 3));
    ASSERT(15, pick('*')(5, 3));
    ASSERT(8, pick2(0)(5, 3));
    ASSERT(15, (*pick2(1))(5, 3));
    for (i = 0; i < 3; i++)
        s = s * 10 + ops[i].fn(6, 2) + table[i](1, 1);
    ASSERT(1053, s);
    ASSERT('*', ops[2].name);
    ASSERT(1, f == sub);
    ASSERT(0, f == add);
    ASSERT(1, table[0] != 0);
    g(xs, 6, sizeof xs[0], by_value);
    for (i = 0, s = 0; i < 6; i++)
        s = s * 3 + xs[i];
    ASSERT(-1354, s - 1000);
    sort(rs, 4, sizeof rs[0], by_key_desc);
    ASSERT('b', rs[0].tag);
    ASSERT('a', rs[3].tag);
    return 0;
}
