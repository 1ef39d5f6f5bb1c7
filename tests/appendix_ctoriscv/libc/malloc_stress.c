/* malloc, calloc, realloc and free under random use: 64 slots, thousands of random steps.
 * Each block is filled with a pattern of its own and checked before it is freed or moved, so
 * an overlap between live blocks or a realloc that loses bytes prints a mismatch. The output
 * depends only on the steps, not on addresses: glibc's and ours must print the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 64
static unsigned char *block[SLOTS];
static unsigned size[SLOTS], tag[SLOTS];
static unsigned state = 12345;

static unsigned next(void)
{
    state = state * 1103515245u + 12345u;
    return state >> 8;
}

static void fill(int k)
{
    unsigned i, v = tag[k];
    for (i = 0; i < size[k]; i++, v += 7)
        block[k][i] = (unsigned char)v;
}

static int check(int k, unsigned n)
{
    unsigned i, bad = 0, v = tag[k];
    for (i = 0; i < n; i++, v += 7)
        bad += block[k][i] != (unsigned char)v;
    if ((unsigned long)block[k] % 8 != 0)
        bad++;                          /* malloc's memory suits any type */
    return bad;
}

int main(void)
{
    int step, k, bad = 0, live = 0;
    unsigned long total = 0;
    for (step = 0; step < 4000; step++) {
        unsigned r = next(), n;
        k = r % SLOTS;
        n = (r >> 8) % 4 == 0 ? next() % 1000 : next() % 64;   /* mostly small */
        if (block[k] == NULL) {
            if ((r >> 12) % 3 == 0) {
                unsigned i;
                block[k] = calloc(n, 1);
                for (i = 0; i < n; i++)
                    bad += block[k][i] != 0;
            } else {
                block[k] = malloc(n);
            }
            if (block[k] == NULL)
                return 1;
            size[k] = n;
            tag[k] = step;
            fill(k);
            live++;
        } else if ((r >> 12) % 2 == 0) {
            bad += check(k, size[k]);
            free(block[k]);
            block[k] = NULL;
            live--;
        } else {
            unsigned keep = n < size[k] ? n : size[k];
            bad += check(k, size[k]);
            block[k] = realloc(block[k], n == 0 ? 1 : n);
            if (block[k] == NULL)
                return 2;
            bad += check(k, keep);
            size[k] = n == 0 ? 1 : n;
            fill(k);
        }
        total += n;
        if (step % 500 == 0)
            printf("step %d: live %d, bad %d, total %lu\n", step, live, bad, total);
    }
    for (k = 0; k < SLOTS; k++) {
        if (block[k]) {
            bad += check(k, size[k]);
            free(block[k]);
        }
    }
    free(NULL);
    printf("end: bad %d\n", bad);
    return bad != 0;
}
