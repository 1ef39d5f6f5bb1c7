#include <stdlib.h>

/* abs(INT_MIN) is undefined in C; here it wraps to INT_MIN, as on every two's complement
 * machine. */
int abs(int x) { return x < 0 ? -x : x; }
long labs(long x) { return x < 0 ? -x : x; }
