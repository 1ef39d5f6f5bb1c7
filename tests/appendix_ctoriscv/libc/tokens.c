/* strspn, strcspn, strpbrk and strtok over strings with separators at the ends, in runs, and
 * not at all; strerror's messages; getenv of a variable no one sets. Run by test_libc.py
 * against glibc. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *texts[] = {"", "abc", "  a  b,c ,, d  ", ",,,", "one,two;;three four",
                              "x", ";x;", "no separators here at all"};
static const char *sets[] = {"", " ", ", ;", "abc", "xyz;"};

int main(void) {
    char copy[64], *token;
    int t, s, n;
    static const int errors[] = {0, ENOENT, EDOM, ERANGE, 12345, -1};
    for (t = 0; t < (int)(sizeof texts / sizeof texts[0]); t++) {
        for (s = 0; s < (int)(sizeof sets / sizeof sets[0]); s++) {
            const char *p = strpbrk(texts[t], sets[s]);
            printf("[%s] [%s] spn %d cspn %d pbrk %d:", texts[t], sets[s],
                   (int)strspn(texts[t], sets[s]), (int)strcspn(texts[t], sets[s]),
                   p ? (int)(p - texts[t]) : -1);
            strcpy(copy, texts[t]);
            for (n = 0, token = strtok(copy, sets[s]); token; token = strtok(NULL, sets[s]), n++)
                printf(" <%s>", token);
            printf(" %d\n", n);
        }
    }
    strcpy(copy, "a,b;c");              /* the separators may change between calls */
    printf("%s", strtok(copy, ","));
    printf(" %s", strtok(NULL, ";"));
    printf(" %s", strtok(NULL, ";"));
    printf(" %d\n", strtok(NULL, ";") == NULL);
    for (n = 0; n < (int)(sizeof errors / sizeof errors[0]); n++)
        printf("%d: %s\n", errors[n], strerror(errors[n]));
    printf("getenv %d\n", getenv("SINGSYS_NO_SUCH_VARIABLE_15") == NULL);
    return 0;
}
