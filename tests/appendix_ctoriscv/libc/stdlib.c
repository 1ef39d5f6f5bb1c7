/* stdlib.h's conversions and arithmetic, in the range where long is the same on x86-64 and
 * RV32 (values that fit in 32 bits), against glibc. */
#include <stdio.h>
#include <stdlib.h>

static const char *numbers[] = {"0", "42", "-42", "+7", "  \t\n 123abc", "0x1f", "0X1F", "0x",
                                "0xg", "017", "08", "-0", "zz",
                                "", "   ", "-", "+-1", "1e5", "0b101", " -0x7fff", "777", "zik0zj"};
static const int bases[] = {0, 2, 8, 10, 16, 35};

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
    return 0;
}
