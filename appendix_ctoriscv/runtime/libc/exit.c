#include <stdio.h>
#include <stdlib.h>

/* exit: what crt0 calls with main's result. It calls the functions registered with atexit,
 * last first, then writes out what stdout's and stderr's buffers hold (C89: exit flushes
 * every open output stream) and ends the process through the _exit system call. */

void _exit(int status);
int __flush(FILE *stream);              /* in stdfiles.c, with the streams */

#define ATEXIT_MAX 32                   /* C89 asks for at least 32 */

static void (*at_exit[ATEXIT_MAX])(void);
static int at_exit_count;

int atexit(void (*function)(void))
{
    if (at_exit_count == ATEXIT_MAX)
        return -1;
    at_exit[at_exit_count++] = function;
    return 0;
}

/* --8<-- [start:exit] */
void exit(int status)
{
    while (at_exit_count > 0)
        at_exit[--at_exit_count]();     /* a handler may call atexit or print */
    __flush(stdout);
    __flush(stderr);
    _exit(status);
}
/* --8<-- [end:exit] */
