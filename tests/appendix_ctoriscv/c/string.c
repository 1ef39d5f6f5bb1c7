#include "test.h"

int my_strcmp(char *a, char *b) {
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a - *b;
}

char *my_strcpy(char *dst, char *src) {
    char *d = dst;
    while ((*d++ = *src++) != 0)
        ;
    return dst;
}

void reverse(char *s) {
    char *end = s;
    char t;
    while (*end)
        end++;
    while (s < --end) {
        t = *s;
        *s++ = *end;
        *end = t;
    }
}

int count_char(char *s, char c) {
    int n = 0;
    for (; *s; s++)
        if (*s == c)
            n++;
    return n;
}

char grid[3][4] = {"abc", "def", "ghi"};
char *words[] = {"apple", "banana", "cherry", 0};

int main() {
    char buf[32];
    char *p;
    int i;
    ASSERT(0, my_strcmp("abc", "abc"));
    ASSERT(1, my_strcmp("abd", "abc") > 0);
    ASSERT(1, my_strcmp("ab", "abc") < 0);
    my_strcpy(buf, "hello, world");
    ASSERT('w', buf[7]);
    reverse(buf);
    print_str(buf);
    putchar('\n');
    ASSERT('d', buf[0]);
    ASSERT(3, count_char("mississippi", 's') - 1);
    ASSERT('e', grid[1][1]);
    ASSERT(0, grid[2][3]);
    for (i = 0; words[i]; i++)
        puts(words[i]);
    ASSERT(3, i);
    p = words[1];
    ASSERT('n', p[2]);
    ASSERT('y', *(*(words + 2) + 5));
    puts("done");
    return 0;
}
