#include <stdio.h>
#include <stdlib.h>

/* exit: what crt0 calls with main's result. It calls the functions registered with atexit,
 * last first, then flushes stdout and ends the process through the _exit system call.
 * stdout's buffer lives here rather than in stdio.c, so that exit can flush it without
 * linking stdio into every program: a program that never prints gets the buffer
 * (uninitialised memory, no file bytes) but none of stdio's code. */

void _exit(int status);
int write(int fd, const void *buf, int n);

#define ATEXIT_MAX 32                   /* C89 asks for at least 32 */

char __stdout_buffer[BUFSIZ];
int __stdout_used;                      /* bytes waiting in __stdout_buffer */
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
    if (__stdout_used > 0)
        write(1, __stdout_buffer, __stdout_used);
    _exit(status);
}
/* --8<-- [end:exit] */
