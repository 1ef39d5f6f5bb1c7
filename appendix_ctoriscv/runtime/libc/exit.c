#include <stdio.h>
#include <stdlib.h>

/* exit: what crt0 calls with main's result. stdout's buffer lives here rather than in
 * stdio.c, so that exit can flush it without linking stdio into every program: a program that
 * never prints gets the buffer (uninitialised memory, no file bytes) but none of the code. */

void _exit(int status);
int write(int fd, const void *buf, int n);

char __stdout_buffer[BUFSIZ];
int __stdout_used;                      /* bytes waiting in __stdout_buffer */

/* --8<-- [start:exit] */
void exit(int status)
{
    if (__stdout_used > 0)
        write(1, __stdout_buffer, __stdout_used);
    _exit(status);
}
/* --8<-- [end:exit] */
