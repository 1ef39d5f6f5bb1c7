#include <stdlib.h>

/* system (C89 4.10.4.5): the emulator has no command processor, so system(NULL) says so with
 * 0, and a command cannot run: -1, as glibc gives when it cannot start a shell. */
int system(const char *command)
{
    return command == NULL ? 0 : -1;
}
