#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The message of an error number, in glibc's words, for the numbers this library sets. */
char *strerror(int number)
{
    static char unknown[32];
    if (number == 0)
        return "Success";
    if (number == ENOENT)
        return "No such file or directory";
    if (number == ESPIPE)
        return "Illegal seek";
    if (number == EDOM)
        return "Numerical argument out of domain";
    if (number == ERANGE)
        return "Numerical result out of range";
    sprintf(unknown, "Unknown error %d", number);
    return unknown;
}
