/* Reads standard input (io.stdin): counts lines, words and characters, echoes it upper-cased. */
int getchar(void);
int putchar(int c);
int puts(const char *s);

int main() {
    int c, lines = 0, words = 0, chars = 0, in_word = 0;
    puts("echo:");
    while ((c = getchar()) != -1) {
        chars++;
        if (c == '\n')
            lines++;
        if (c == ' ' || c == '\n' || c == '\t')
            in_word = 0;
        else if (!in_word) {
            in_word = 1;
            words++;
        }
        putchar(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    puts("done");
    return lines * 100 + words;
}
