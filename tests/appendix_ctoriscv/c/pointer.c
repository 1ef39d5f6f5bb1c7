#include "test.h"

int garr[5] = {10, 20, 30, 40, 50};
int gmat[2][3] = {{1, 2, 3}, {4, 5, 6}};
char gstr[] = "hello";
char *gptr = gstr + 1;
int *gp = &garr[2];

void swap(int *a, int *b) {
    int t = *a;
    *a = *b;
    *b = t;
}

int sum(int *p, int n) {
    int s = 0;
    while (n-- > 0)
        s += *p++;
    return s;
}

int my_strlen(char *s) {
    char *p = s;
    while (*p)
        p++;
    return p - s;
}

int sum_rows(int m[][3], int rows) {
    int i, j, s = 0;
    for (i = 0; i < rows; i++)
        for (j = 0; j < 3; j++)
            s += m[i][j] * (i + 1);
    return s;
}

int main() {
    int x = 3, y = 5;
    int *p = &x;
    int **pp = &p;
    int a[4];
    int m[3][4];
    int i, j;
    char s[6] = "abc";
    char t[] = {'x', 'y', 0};
    int partial[5] = {1, 2};

    ASSERT(3, *p);
    *p = 7;
    ASSERT(7, x);
    **pp = 9;
    ASSERT(9, x);
    swap(&x, &y);
    ASSERT(5, x);
    ASSERT(9, y);

    for (i = 0; i < 4; i++)
        a[i] = i * i;
    ASSERT(14, sum(a, 4));
    ASSERT(9, *(a + 3));
    ASSERT(4, *(2 + a));
    ASSERT(4, 2[a]);
    p = a + 1;
    ASSERT(1, *p);
    ASSERT(4, p[1]);
    ASSERT(0, p[-1]);
    ASSERT(3, &a[3] - a);
    ASSERT(-2, &a[1] - &a[3]);
    ASSERT(1, &a[1] < &a[2]);
    ASSERT(0, &a[1] == &a[2]);
    ASSERT(16, sizeof a);
    ASSERT(4, sizeof a[0]);
    ASSERT(4, sizeof(a) / sizeof(a[0]));

    for (i = 0; i < 3; i++)
        for (j = 0; j < 4; j++)
            m[i][j] = i * 10 + j;
    ASSERT(23, m[2][3]);
    ASSERT(12, *(*(m + 1) + 2));
    ASSERT(48, sizeof m);
    ASSERT(16, sizeof m[1]);
    ASSERT(10, *m[1]);

    ASSERT(150, sum(garr, 5));
    ASSERT(30, *gp);
    ASSERT(6, gmat[1][2]);
    ASSERT(36, sum_rows(gmat, 2));
    ASSERT(5, my_strlen(gstr));
    ASSERT(6, sizeof gstr);
    ASSERT('e', *gptr);
    ASSERT(4, my_strlen(gptr));
    ASSERT(3, my_strlen(s));
    ASSERT('c', s[2]);
    ASSERT(0, s[5]);
    ASSERT(3, sizeof t);
    ASSERT('y', t[1]);
    ASSERT(2, partial[1]);
    ASSERT(0, partial[4]);
    ASSERT(11, my_strlen("hello world"));
    ASSERT('l', "hello"[3]);
    ASSERT(8, sizeof "abc" "defg");
    ASSERT(0, "abc"[3]);
    ASSERT(92, "\\"[0]);
    ASSERT(10, "\n"[0]);
    ASSERT(7, "\a\x41"[0]);
    ASSERT(65, "\a\x41"[1]);
    ASSERT(83, "\123"[0]);
    return 0;
}
