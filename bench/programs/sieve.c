/* The sieve of Eratosthenes below 30000: byte loads and stores in nested loops. */
int putchar(int c);

#define N 30000
char composite[N];

void print_int(int n) {
    if (n >= 10)
        print_int(n / 10);
    putchar('0' + n % 10);
}

int main() {
    int i, j, count = 0, last = 0;
    for (i = 2; i < N; i++) {
        if (composite[i])
            continue;
        count++;
        last = i;
        for (j = i + i; j < N; j += i)
            composite[j] = 1;
    }
    print_int(count);
    putchar(' ');
    print_int(last);
    putchar('\n');
    return 0;
}
