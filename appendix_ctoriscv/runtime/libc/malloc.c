#include <stdlib.h>
#include <string.h>

/* malloc over brk: a free list with coalescing, in the manner of K&R's section 8.7.
 *
 * The heap is a sequence of blocks. Each starts with a Header: the next free block (while
 * free) and the block's size in Headers (8 bytes), header included. The caller's memory
 * follows the header, so it is 8-byte aligned as C requires for any type. Free blocks
 * form a circular list sorted by address, which makes merging neighbours a local step in free.
 * When nothing on the list fits, the heap grows through sbrk (brk underneath) by at least
 * GROW_UNITS. Every failure is a NULL result, never a crash. */

void *sbrk(int increment);

/* --8<-- [start:header] */
typedef struct Header {
    struct Header *next;                /* the next free block, by address (while free) */
    unsigned units;                     /* the block's size in Headers, this one included */
} Header;

#define UNIT sizeof(Header)             /* 8 bytes: the heap's unit and alignment */
#define GROW_UNITS 512                  /* ask the kernel for 4 KiB at least */
#define MAX_REQUEST 0x7FFFFF00U         /* larger requests could overflow the unit count */

static Header base;                     /* the list's anchor: a free block of size 0 */
static Header *free_list;               /* where the last search stopped (NULL: no list yet) */
/* --8<-- [end:header] */

/* --8<-- [start:free] */
void free(void *p)
{
    Header *block, *q;
    if (p == NULL)
        return;
    block = (Header *)p - 1;
    /* find q, the free block just below, so that q < block < q->next (or the list wraps) */
    for (q = free_list; !(block > q && block < q->next); q = q->next)
        if (q >= q->next && (block > q || block < q->next))
            break;                      /* block lies past the end or before the start */
    // EXERCISE A.14: link block in after q, merging it with a free neighbour that touches it
    if (block + block->units == q->next) {      /* merge with the block above */
        block->units += q->next->units;
        block->next = q->next->next;
    } else {
        block->next = q->next;
    }
    if (q + q->units == block) {                /* merge with the block below */
        q->units += block->units;
        q->next = block->next;
    } else {
        q->next = block;
    }
    // END EXERCISE
    free_list = q;
}
/* --8<-- [end:free] */

/* Grows the heap by at least `units` and puts the new memory on the free list. */
static int grow_heap(unsigned units)
{
    Header *block;
    if (units < GROW_UNITS)
        units = GROW_UNITS;
    block = sbrk(units * UNIT);
    if (block == (Header *)-1)
        return 0;
    block->units = units;
    free(block + 1);
    return 1;
}

/* --8<-- [start:malloc] */
void *malloc(size_t size)
{
    unsigned units;
    Header *prev, *block;
    if (size > MAX_REQUEST)
        return NULL;
    units = (size + UNIT - 1) / UNIT + 1;           /* the header is one unit */
    if (free_list == NULL) {                        /* the first call: an empty list */
        base.next = free_list = &base;
        base.units = 0;
    }
    for (prev = free_list, block = prev->next;; prev = block, block = block->next) {
        if (block->units >= units) {                /* first fit */
            if (block->units == units) {
                prev->next = block->next;
            } else {                                /* hand out the block's tail end */
                block->units -= units;
                block += block->units;
                block->units = units;
            }
            free_list = prev;
            return block + 1;
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
    have = (((Header *)p - 1)->units - 1) * UNIT;
    if (size <= have)
        return p;
    moved = malloc(size);
    if (moved == NULL)
        return NULL;                    /* the old block stays valid, as C says */
    memcpy(moved, p, have);
    free(p);
    return moved;
}
