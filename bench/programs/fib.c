/* Recursive Fibonacci: calls and returns, little else. */
int putchar(int c);

void print_int(int n) {
    if (n >= 10)
        print_int(n / 10);
    putchar('0' + n % 10);
}

int fib(int n) {
    if (n < 2)
        return n;
    return fib(n - 1) + fib(n - 2);
}

int main() {
    print_int(fib(20));
    putchar('\n');
    return 0;
}
