/* String processing: length, reverse, word counting, a rolling hash, a Caesar cipher. */
int putchar(int c);

char text[4096];

void print_int(int n) {
    if (n >= 10)
        print_int(n / 10);
    putchar('0' + n % 10);
}

int length(char *s) {
    int n = 0;
    while (s[n])
        n++;
    return n;
}

void reverse(char *s, int n) {
    int i = 0, j = n - 1;
    while (i < j) {
        char t = s[i];
        s[i++] = s[j];
        s[j--] = t;
    }
}

int count_words(char *s) {
    int words = 0, in_word = 0;
    for (; *s; s++) {
        if (*s == ' ' || *s == '\n') {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    return words;
}

unsigned hash(char *s) {
    unsigned h = 5381;
    while (*s)
        h = (h << 5) + h + *s++;  /* h * 33 + c, as djb2 */
    return h;
}

void caesar(char *s, int shift) {
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = 'a' + (*s - 'a' + shift) % 26;
}

int main() {
    char *words = "the quick brown fox jumps over the lazy dog ";
    int i, n = 0, k;
    for (k = 0; k < 90; k++)
        for (i = 0; words[i]; i++)
            text[n++] = words[i];
    text[n] = 0;
    for (k = 0; k < 4; k++) {
        caesar(text, 3);
        reverse(text, length(text));
    }
    print_int(length(text));
    putchar(' ');
    print_int(count_words(text));
    putchar(' ');
    print_int(hash(text) % 1000000);
    putchar('\n');
    return 0;
}
