/* Quicksort of 3000 pseudo-random integers: recursion, swaps through pointers, compares. */
int putchar(int c);

#define N 3000
int data[N];

void print_int(int n) {
    if (n < 0) {
        putchar('-');
        n = -n;
    }
    if (n >= 10)
        print_int(n / 10);
    putchar('0' + n % 10);
}

void swap(int *x, int *y) {
    int t = *x;
    *x = *y;
    *y = t;
}

void quicksort(int *v, int lo, int hi) {
    int i, last;
    if (lo >= hi)
        return;
    swap(&v[lo], &v[(lo + hi) / 2]);
    last = lo;
    for (i = lo + 1; i <= hi; i++)
        if (v[i] < v[lo])
            swap(&v[++last], &v[i]);
    swap(&v[lo], &v[last]);
    quicksort(v, lo, last - 1);
    quicksort(v, last + 1, hi);
}

int main() {
    unsigned seed = 12345;
    int i, sorted = 1, check = 0;
    for (i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        data[i] = (int)(seed >> 16) % 10000 - 5000;
    }
    quicksort(data, 0, N - 1);
    for (i = 1; i < N; i++)
        if (data[i - 1] > data[i])
            sorted = 0;
    for (i = 0; i < N; i += 97)
        check += data[i];
    print_int(sorted);
    putchar(' ');
    print_int(check);
    putchar('\n');
    return 0;
}
