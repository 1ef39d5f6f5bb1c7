#include <stdlib.h>

/* qsort: quicksort with the median of three as the pivot, insertion sort below 8 elements.
 * The partition scans from both ends and stops at elements equal to the pivot on either side,
 * so equal keys are swapped across and split evenly: an array of one repeated key takes
 * n log n comparisons, not n^2. The recursion takes the smaller part and the loop the
 * larger, so the stack stays O(log n) deep. Elements are moved a byte at a time, whatever
 * their size. */

static void swap(char *a, char *b, size_t size)
{
    for (; size > 0; size--, a++, b++) {
        char t = *a;
        *a = *b;
        *b = t;
    }
}

static void insertion_sort(char *base, size_t count, size_t size,
                           int (*compare)(const void *, const void *))
{
    size_t i;
    char *p;
    for (i = 1; i < count; i++)
        for (p = base + i * size; p > base && compare(p - size, p) > 0; p -= size)
            swap(p - size, p, size);
}

/* --8<-- [start:qsort] */
void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    char *a = base;
    while (count >= 8) {
        char *first = a, *middle = a + (count / 2) * size, *last = a + (count - 1) * size;
        size_t i, j, store;
        /* order first <= middle <= last, then use the middle as the pivot, moved to the end */
        if (compare(first, middle) > 0)
            swap(first, middle, size);
        if (compare(middle, last) > 0)
            swap(middle, last, size);
        if (compare(first, middle) > 0)
            swap(first, middle, size);
        swap(middle, last, size);
        /* below i: nothing above the pivot; from j up: nothing below it. first <= pivot stops
         * the downward scan, the pivot itself (at last) the upward one */
        for (i = 0, j = count - 1;; i++) {
            while (compare(a + i * size, last) < 0)
                i++;
            do
                j--;
            while (compare(last, a + j * size) < 0);
            if (i >= j)
                break;
            swap(a + i * size, a + j * size, size);
        }
        store = i;
        swap(a + store * size, last, size);    /* the pivot at its final place, `store` */
        if (store < count - 1 - store) {
            qsort(a, store, size, compare);
            a += (store + 1) * size;
            count -= store + 1;
        } else {
            qsort(a + (store + 1) * size, count - 1 - store, size, compare);
            count = store;
        }
    }
    insertion_sort(a, count, size, compare);
}
/* --8<-- [end:qsort] */
