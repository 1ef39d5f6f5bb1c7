#include <stdlib.h>

/* The emulator passes no environment (crt0 ignores what follows argv): no variable is set. */
char *getenv(const char *name)
{
    (void)name;
    return NULL;
}
