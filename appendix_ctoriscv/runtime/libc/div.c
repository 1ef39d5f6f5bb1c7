#include <stdlib.h>

/* C89 lets / round either way for negative operands; C99 and our compiler truncate, so the
 * remainder has the numerator's sign: div(-7, 2) is {-3, -1}. */
div_t div(int numerator, int denominator)
{
    div_t result;
    result.quot = numerator / denominator;
    result.rem = numerator % denominator;
    return result;
}

ldiv_t ldiv(long numerator, long denominator)
{
    ldiv_t result;
    result.quot = numerator / denominator;
    result.rem = numerator % denominator;
    return result;
}
