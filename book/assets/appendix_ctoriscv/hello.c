int puts(const char *s);
int main() { puts("hello"); return 0; }
