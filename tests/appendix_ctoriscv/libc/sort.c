/* qsort and bsearch on arrays of ints, strings and structs of every length up to 300 (sorted,
 * reversed, random, all equal), div and ldiv, and atexit's order, against glibc. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
    int x, y;
    char name[5];
};

static int by_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int by_point(const void *a, const void *b)   /* y, then x: a total order */
{
    const struct point *p = a, *q = b;
    if (p->y != q->y)
        return p->y < q->y ? -1 : 1;
    return (p->x > q->x) - (p->x < q->x);
}

static unsigned state = 7;
static int next(int n)
{
    state = state * 1103515245u + 12345u;
    return (int)((state >> 8) % (unsigned)n);
}

static void first(void) { printf("atexit: registered first, runs last\n"); }
static void second(void) { printf("atexit: registered second, runs first\n"); }

int main(void)
{
    static int a[300];
    static struct point pts[100];
    static char *words[] = {"pear", "apple", "fig", "banana", "kiwi", "apple", "date", "cherry"};
    int n, i, kind, key, found, sum;
    atexit(first);
    atexit(second);
    for (n = 0; n <= 300; n += n < 20 ? 1 : 37) {
        for (kind = 0; kind < 4; kind++) {
            for (i = 0; i < n; i++)
                a[i] = kind == 0 ? i : kind == 1 ? n - i : kind == 2 ? next(50) - 25 : 4;
            qsort(a, n, sizeof a[0], by_int);
            for (i = 1, sum = 0; i < n; i++)
                sum += a[i - 1] > a[i];
            for (key = -30, found = 0; key < 30; key++) {
                int *p = bsearch(&key, a, n, sizeof a[0], by_int);
                found += p != NULL && *p == key;
            }
            printf("n %d kind %d: unsorted pairs %d, found %d, first %d last %d\n", n, kind, sum,
                   found, n ? a[0] : 0, n ? a[n - 1] : 0);
        }
    }
    qsort(words, 8, sizeof words[0], by_string);
    for (i = 0; i < 8; i++)
        printf("%s ", words[i]);
    printf("\n");
    for (i = 0; i < 100; i++) {
        pts[i].x = next(10);
        pts[i].y = next(10);
        sprintf(pts[i].name, "p%d", i);
    }
    qsort(pts, 100, sizeof pts[0], by_point);
    for (i = 0, sum = 0; i < 100; i++)
        sum = sum * 31 + pts[i].x * 10 + pts[i].y;
    printf("points %d %d,%d %d,%d\n", sum, pts[0].x, pts[0].y, pts[99].x, pts[99].y);
    for (i = -9; i <= 9; i += 3) {
        div_t d = div(i * 7, 4);
        ldiv_t l = ldiv(i * 100000L, -7L);
        printf("div %d: %d %d; ldiv %ld %ld\n", i, d.quot, d.rem, l.quot, l.rem);
    }
    return 0;
}
