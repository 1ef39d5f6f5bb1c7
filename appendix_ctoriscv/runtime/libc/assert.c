#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

/* What a failed assert(e) calls: "file:line: Assertion `e' failed." on stderr (glibc's words,
 * without the program and function names), then abort. */
void __assert_fail(const char *expr, const char *file, int line)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: Assertion `%s' failed.\n", file, line, expr);
    abort();
}
