/* stdlib.h's conversions and arithmetic, in the range where long is the same on x86-64 and
 * RV32 (values that fit in 32 bits), and the multibyte functions, against glibc. */
#include <stdio.h>
#include <stdlib.h>

static const char *numbers[] = {"0", "42", "-42", "+7", "  \t\n 123abc", "0x1f", "0X1F", "0x",
                                "0xg", "017", "08", "-0", "zz",
                                "", "   ", "-", "+-1", "1e5", "0b101", " -0x7fff", "777", "zik0zj"};
static const int bases[] = {0, 2, 8, 10, 16, 35};

/* the "C" locale's multibyte functions: one byte a character, ASCII only (as glibc's) */
static void multibyte(void)
{
    wchar_t w = -5, ws[8];
    char s[8] = "zzzzzzz";
    int r;
    size_t n;
    printf("MB_CUR_MAX %d\n", (int)MB_CUR_MAX);
    printf("mblen %d %d %d %d\n", mblen(NULL, 0), mblen("", 1), mblen("ab", 2), mblen("ab", 0));
    r = mbtowc(&w, "A", 1);
    printf("mbtowc %d %d\n", r, (int)w);
    r = mbtowc(&w, "\xe9", 1);
    printf("mbtowc of 0xe9 %d %d\n", r, (int)w);
    r = mbtowc(&w, "", 1);
    printf("mbtowc of NUL %d %d\n", r, (int)w);
    r = wctomb(s, 'q');
    printf("wctomb %d %c %d\n", r, s[0], wctomb(NULL, 0));
    r = wctomb(s, 0x1234);
    printf("wctomb 0x1234 %d, 0xe9 %d\n", r, wctomb(s, 0xe9));
    n = mbstowcs(ws, "hey", 8);
    printf("mbstowcs %d %d %d %d %d\n", (int)n, (int)ws[0], (int)ws[1], (int)ws[2], (int)ws[3]);
    n = mbstowcs(ws, "hello", 2);
    printf("mbstowcs cut %d %d %d\n", (int)n, (int)ws[0], (int)ws[1]);
    printf("mbstowcs of 0xe9 %d\n", (int)mbstowcs(ws, "a\xe9", 8));
    ws[0] = 'o';
    ws[1] = 'k';
    ws[2] = 0;
    n = wcstombs(s, ws, 8);
    printf("wcstombs %d [%s]\n", (int)n, s);
    n = wcstombs(s, ws, 1);
    printf("wcstombs cut %d %c\n", (int)n, s[0]);
    ws[1] = 300;
    printf("wcstombs of 300 %d\n", (int)wcstombs(s, ws, 8));
}

int main(void)
{
    int i, j;
    char *end;
    for (i = 0; i < (int)(sizeof numbers / sizeof numbers[0]); i++) {
        printf("atoi(\"%s\") = %d, atol %ld\n", numbers[i], atoi(numbers[i]),
               atol(numbers[i]));
        for (j = 0; j < (int)(sizeof bases / sizeof bases[0]); j++) {
            long v = strtol(numbers[i], &end, bases[j]);
            unsigned long u = strtoul(numbers[i], NULL, bases[j]);
            printf("strtol(\"%s\", %d) = %ld, end %d; strtoul %lu\n", numbers[i], bases[j], v,
                   (int)(end - numbers[i]), (unsigned long)(unsigned)u);
        }
    }
    for (i = -3; i <= 3; i++)
        printf("abs(%d) = %d, labs %ld\n", i * 1000, abs(i * 1000), labs(i * 1000L));
    printf("abs(INT_MAX) = %d\n", abs(2147483647));
    multibyte();
    return 0;
}
