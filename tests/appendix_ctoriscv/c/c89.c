/* Strict C89: compiled with -std=c89 by both compilers. Declarations open each block. */
int putchar(int c);

static int table[3][2] = {{1, 2}, {3, 4}, {5, 6}};

int triangle(int n) {
    int i, s;
    s = 0;
    for (i = 1; i <= n; i++)
        s += i;
    return s;
}

/* An old-style definition: the parameters are typed between ) and {; calls are unchecked. */
int scaled(value, factor, tag)
    int value;
    char factor;
{
    return value * factor + tag;
}

int main() {
    int total;
    total = triangle(10) + table[2][1] + scaled(3, 4, 1) - 13;
    {
        int inner;
        inner = total / 2;
        putchar('0' + inner % 10);
    }
    putchar('\n');
    return total;
}
