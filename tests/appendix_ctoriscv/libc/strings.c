/* string.h and ctype.h on a table of inputs; results printed as numbers and offsets, so that
 * glibc (x86-64) and our library (RV32) print the same lines. Only the sign of a comparison
 * is defined, so signs are printed. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *words[] = {"", "a", "ab", "abc", "abd", "abcd", "b", "hello world",
                              "\377x", "x\377", "aaaaaaaaab", "ab\0cd", "worldhello"};
#define NWORDS (int)(sizeof words / sizeof words[0])

static int sign(int x) { return x < 0 ? -1 : x > 0; }

static int offset(const char *p, const char *base) { return p == NULL ? -1 : (int)(p - base); }

int main(void)
{
    char buf[64], big[300];
    int i, j, n, c;
    for (i = 0; i < NWORDS; i++) {
        printf("len %d: %d\n", i, (int)strlen(words[i]));
        for (j = 0; j < NWORDS; j++) {
            printf("cmp %d %d: %d %d %d %d %d\n", i, j, sign(strcmp(words[i], words[j])),
                   sign(strncmp(words[i], words[j], 2)), sign(strncmp(words[i], words[j], 0)),
                   sign(memcmp(words[i], words[j], 2)), offset(strstr(words[i], words[j]),
                   words[i]));
        }
        for (c = 0; c < 256; c += 37)
            printf("chr %d %d: %d %d\n", i, c, offset(strchr(words[i], c), words[i]),
                   offset(strrchr(words[i], c), words[i]));
        printf("chr0 %d: %d %d\n", i, offset(strchr(words[i], 0), words[i]),
               offset(strrchr(words[i], 'a'), words[i]));
        printf("memchr %d: %d\n", i, offset(memchr(words[i], 'b', 3), words[i]));
        for (j = 0; j < NWORDS; j++)    /* the C locale: strcoll orders as strcmp */
            printf("coll %d %d: %d\n", i, j, sign(strcoll(words[i], words[j])));
        memset(buf, '*', sizeof buf);
        n = (int)strxfrm(buf, words[i], 4);     /* dst is indeterminate when it does not fit */
        printf("xfrm %d: %d %d\n", i, n, n < 4 ? strcmp(buf, words[i]) : 0);
    }
    strcpy(buf, "abc");
    strcat(buf, "defg");
    strncat(buf, "hijklmn", 3);
    printf("cat %s %d\n", buf, (int)strlen(buf));
    memset(buf, '*', sizeof buf);
    strncpy(buf, "xy", 5);
    printf("ncpy %d %d %d %d %d %c\n", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5]);
    strncpy(buf, "longer than four", 4);
    printf("ncpy2 %.6s\n", buf);
    for (n = 0; n < 300; n++)
        big[n] = (char)(n * 7 + 3);
    for (i = 0; i < 9; i++) {       /* every alignment of source and destination */
        for (j = 0; j < 5; j++) {
            char dst[40];
            memset(dst, 0, sizeof dst);
            memcpy(dst + i, big + j, 17 + i);
            memmove(big + 100 + i, big + 100 + j, 50);  /* overlapping, both directions */
            n = 0;
            for (c = 0; c < 40; c++)
                n = n * 31 + dst[c];
            for (c = 0; c < 300; c++)
                n = n * 31 + big[c];
            printf("copy %d %d: %d\n", i, j, n);
        }
    }
    memset(big + 3, 0x1AB, 33);
    printf("set %d %d %d %d\n", big[2], big[3], big[35], big[36]);
    for (c = -1; c < 256; c++)
        printf("%d:%d%d%d%d%d%d%d%d%d%d%d %d %d\n", c, !!isalnum(c), !!isalpha(c), !!iscntrl(c),
               !!isdigit(c), !!isgraph(c), !!islower(c), !!isprint(c), !!ispunct(c),
               !!isspace(c), !!isupper(c), !!isxdigit(c), tolower(c), toupper(c));
    return 0;
}
