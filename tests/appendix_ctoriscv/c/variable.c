#include "test.h"

int g1;
int g2 = 42;
extern int g3;
int g3 = 7;
static int hidden = 11;
char gc = 'z';
short gs = -300;
int garr[4];
int gneg = -5 * 3;
unsigned gu = 0xdeadbeef;
int ginit[] = {1, 2, 3, 4, 5};
char *names[] = {"zero", "one", "two"};

int shadow = 1;

int read_extern(void) {
    extern int g2;
    return g2;
}

int counter(void) {
    static int n;
    n += 1;
    return n;
}

int main() {
    int a = 1;
    ASSERT(0, g1);
    ASSERT(42, g2);
    ASSERT(7, g3);
    ASSERT(11, hidden);
    ASSERT('z', gc);
    ASSERT(-300, gs);
    ASSERT(0, garr[3]);
    ASSERT(-15, gneg);
    ASSERT(-559038737, gu);
    ASSERT(5, sizeof ginit / sizeof ginit[0]);
    ASSERT(15, ginit[0] + ginit[1] + ginit[2] + ginit[3] + ginit[4]);
    ASSERT('t', names[2][0]);
    ASSERT('n', names[1][1]);
    g1 = 3;
    garr[2] = g1 * 2;
    ASSERT(6, garr[2]);
    ASSERT(42, read_extern());
    ASSERT(1, counter());
    ASSERT(2, counter());
    ASSERT(3, counter());

    ASSERT(1, shadow);
    {
        int shadow = 2;
        ASSERT(2, shadow);
        {
            int shadow = 3;
            ASSERT(3, shadow);
        }
        ASSERT(2, shadow);
    }
    ASSERT(1, shadow);
    {
        int a = 5;
        ASSERT(5, a);
    }
    ASSERT(1, a);
    {
        int x = 2, y = x + 3, z = x * y;
        ASSERT(10, z);
    }
    {
        register int r = 9;
        auto int q = 8;
        const int c = 7;
        volatile int v = 6;
        ASSERT(30, r + q + c + v);
    }
    ASSERT(4, sizeof(int));
    ASSERT(2, sizeof(short));
    ASSERT(1, sizeof(char));
    ASSERT(4, sizeof a);
    ASSERT(12, sizeof(int[3]));
    ASSERT(24, sizeof(int[2][3]));
    ASSERT(1, sizeof(gc));
    return 0;
}
