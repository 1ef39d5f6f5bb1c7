/* A 20x20 integer matrix product: two-dimensional indexing and multiplies (calls on RV32I). */
int putchar(int c);

#define N 20
int a[N][N], b[N][N], c[N][N];

void print_int(int n) {
    if (n < 0) {
        putchar('-');
        n = -n;
    }
    if (n >= 10)
        print_int(n / 10);
    putchar('0' + n % 10);
}

void matmul(int n) {
    int i, j, k;
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            int sum = 0;
            for (k = 0; k < n; k++)
                sum += a[i][k] * b[k][j];
            c[i][j] = sum;
        }
}

int main() {
    int i, j, check = 0;
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++) {
            a[i][j] = (i * 7 + j * 3) % 11 - 5;
            b[i][j] = (i * 5 + j * 2) % 13 - 6;
        }
    matmul(N);
    for (i = 0; i < N; i++)
        for (j = 0; j < N; j++)
            check = check * 31 + c[i][j];
    print_int(check);
    putchar('\n');
    return 0;
}
