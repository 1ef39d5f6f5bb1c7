#include <stdlib.h>
#include <string.h>

/* malloc over brk: a free list with coalescing, in the manner of K&R's section 8.7.
 *
 * The heap is a sequence of blocks. Each starts with a two-word header, [0] the next free
 * block (while free) and [1] the block's size in 8-byte units, header included; the caller's
 * memory follows the header, so it is 8-byte aligned as C requires for any type. Free blocks
 * form a circular list sorted by address, which makes merging neighbours a local step in free.
 * When nothing on the list fits, the heap grows through sbrk (brk underneath) by at least
 * GROW_UNITS. Every failure is a NULL result, never a crash. */

void *sbrk(int increment);

#define UNIT 8                          /* bytes per unit: the header's size and alignment */
#define GROW_UNITS 512                  /* ask the kernel for 4 KiB at least */
#define NEXT(block) (*(unsigned **)(block))
#define UNITS(block) ((block)[1])
#define MAX_REQUEST 0x7FFFFF00U         /* larger requests could overflow the unit count */

static unsigned base[2];                /* the list's anchor: a free block of size 0 */
static unsigned *free_list;             /* where the last search stopped (NULL: no list yet) */

/* --8<-- [start:free] */
void free(void *p)
{
    unsigned *block, *q;
    if (p == NULL)
        return;
    block = (unsigned *)p - 2;
    /* find q, the free block just below, so that q < block < NEXT(q) (or the list wraps) */
    for (q = free_list; !(block > q && block < NEXT(q)); q = NEXT(q))
        if (q >= NEXT(q) && (block > q || block < NEXT(q)))
            break;                      /* block lies past the end or before the start */
    if (block + 2 * UNITS(block) == NEXT(q)) {      /* merge with the block above */
        UNITS(block) += UNITS(NEXT(q));
        NEXT(block) = NEXT(NEXT(q));
    } else {
        NEXT(block) = NEXT(q);
    }
    if (q + 2 * UNITS(q) == block) {                /* merge with the block below */
        UNITS(q) += UNITS(block);
        NEXT(q) = NEXT(block);
    } else {
        NEXT(q) = block;
    }
    free_list = q;
}
/* --8<-- [end:free] */

/* Grows the heap by at least `units` and puts the new memory on the free list. */
static int grow_heap(unsigned units)
{
    unsigned *block;
    if (units < GROW_UNITS)
        units = GROW_UNITS;
    block = sbrk(units * UNIT);
    if (block == (unsigned *)-1)
        return 0;
    UNITS(block) = units;
    free(block + 2);
    return 1;
}

/* --8<-- [start:malloc] */
void *malloc(size_t size)
{
    unsigned units, *prev, *block;
    if (size > MAX_REQUEST)
        return NULL;
    units = (size + UNIT - 1) / UNIT + 1;           /* the header is one unit */
    if (free_list == NULL) {                        /* the first call: an empty list */
        NEXT(base) = free_list = base;
        UNITS(base) = 0;
    }
    for (prev = free_list, block = NEXT(prev);; prev = block, block = NEXT(block)) {
        if (UNITS(block) >= units) {                /* first fit */
            if (UNITS(block) == units) {
                NEXT(prev) = NEXT(block);
            } else {                                /* hand out the block's tail end */
                UNITS(block) -= units;
                block += 2 * UNITS(block);
                UNITS(block) = units;
            }
            free_list = prev;
            return block + 2;
        }
        if (block == free_list) {               /* went round: nothing fits */
            if (!grow_heap(units))
                return NULL;
            block = free_list;                  /* search on from where free left it */
        }
    }
}
/* --8<-- [end:malloc] */

void *calloc(size_t count, size_t size)
{
    void *p;
    if (size != 0 && count > MAX_REQUEST / size)
        return NULL;
    p = malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

/* Keeps the block when it is large enough already; otherwise moves the contents. */
void *realloc(void *p, size_t size)
{
    void *moved;
    unsigned have;
    if (p == NULL)
        return malloc(size);
    if (size == 0) {
        free(p);
        return NULL;
    }
    have = (UNITS((unsigned *)p - 2) - 1) * UNIT;
    if (size <= have)
        return p;
    moved = malloc(size);
    if (moved == NULL)
        return NULL;                    /* the old block stays valid, as C says */
    memcpy(moved, p, have);
    free(p);
    return moved;
}
