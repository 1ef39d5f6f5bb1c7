/* The sieve of Eratosthenes: prints the primes below 200 and returns how many there are. */
int putchar(int c);

char composite[200];

void print_number(int n) {
    if (n >= 10)
        print_number(n / 10);
    putchar('0' + n % 10);
}

int main() {
    int i, j, count = 0;
    for (i = 2; i < 200; i++) {
        if (composite[i])
            continue;
        count++;
        print_number(i);
        putchar(count % 10 == 0 ? '\n' : ' ');
        for (j = i * i; j < 200; j += i)
            composite[j] = 1;
    }
    putchar('\n');
    return count;
}
