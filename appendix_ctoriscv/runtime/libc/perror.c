#include <errno.h>
#include <stdio.h>
#include <string.h>

/* "s: message" on stderr for the current errno (just the message when s is NULL or empty). */
void perror(const char *s)
{
    const char *message = strerror(errno);
    if (s != NULL && *s)
        fprintf(stderr, "%s: %s\n", s, message);
    else
        fprintf(stderr, "%s\n", message);
}
