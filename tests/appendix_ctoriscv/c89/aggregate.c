/* Aggregates beyond the basics: nesting, initialiser lists (partial, zero-filled, brace
 * elision, strings), typedef and enum scopes, const and volatile, casts and sizeof. */
#include "../c/test.h"

typedef unsigned char byte;
typedef int (*unused_fn)(int);
typedef struct { short lo, hi; } Range;
struct inner { char tag; Range r; };
struct outer { int id; struct inner in[2]; char name[6]; };
union num { int i; unsigned char b[4]; };
enum level { LOW = -1, MID, HIGH = 10, TOP };

struct outer g1 = {7, {{'a', {1, 2}}, {'b', {3, 4}}}, "hey"};
struct outer g2 = {8, 'c', 5, 6};  /* brace elision: the rest is zero */
static const Range g3[] = {{1, 2}, {3}, 4, 5};
union num g4 = {0x11223344};
int table[2][3] = {{1, 2}, {4}};
char words[][4] = {"ab", "cde", ""};

static int sum_range(const Range *r) { return r->lo + r->hi; }

int count(void) {
    static struct { int calls; char last; } state = {100};
    state.calls++;
    return state.calls;
}

int main() {
    struct outer o = {1, {{'x', {10, 20}}}, "ok"};
    struct outer z = {0};
    Range rs[3] = {{1, 1}, {2, 2}};
    volatile int v = 3;
    const int c = 4;
    enum level lv = TOP;
    byte b = 300;
    int i, s = 0;
    {
        typedef long level;  /* a typedef in an inner scope hides nothing outside */
        level x = 5;
        enum level2 { A = 3, B };
        s += x + B;
    }
    ASSERT(9, s);
    ASSERT(1, o.id);
    ASSERT('x', o.in[0].tag);
    ASSERT(30, o.in[0].r.lo + o.in[0].r.hi);
    ASSERT(0, o.in[1].tag + o.in[1].r.hi);
    ASSERT('k', o.name[1]);
    ASSERT(0, o.name[2] + o.name[5]);
    ASSERT(0, z.id + z.in[1].r.lo + z.name[0]);
    ASSERT(4, rs[1].lo + rs[1].hi + rs[2].lo);
    ASSERT(7, g1.id);
    ASSERT(7, sum_range(&g1.in[1].r));
    ASSERT('e', g1.name[1]);
    ASSERT(11, g2.in[0].r.lo + g2.in[0].r.hi);
    ASSERT('c', g2.in[0].tag);
    ASSERT(0, g2.in[1].r.lo + g2.name[0]);
    ASSERT(3, sizeof g3 / sizeof g3[0]);
    ASSERT(5, g3[1].lo + g3[1].hi + g3[2].hi - 3);
    ASSERT(9, g3[2].lo + g3[2].hi);
    ASSERT(0x44, g4.b[0]);
    ASSERT(0x11, g4.b[3]);
    ASSERT(7, table[0][0] + table[0][1] + table[1][0] + table[1][2]);
    ASSERT('d', words[1][1]);
    ASSERT(12, sizeof words);
    ASSERT(0, words[2][0]);
    ASSERT(-1, LOW);
    ASSERT(11, lv);
    ASSERT(1, HIGH > MID);
    ASSERT(44, b);
    ASSERT(7, v + c);
    ASSERT(4, sizeof(Range));
    ASSERT(6, sizeof(struct inner));
    ASSERT(24, sizeof(struct outer));
    ASSERT(4, sizeof(union num));
    ASSERT(4, sizeof(enum level));
    ASSERT(2, sizeof o.in[0].r.hi);
    ASSERT(48, sizeof(struct outer[2]));
    ASSERT(101, count());
    ASSERT(102, count());
    for (i = 0; i < 3; i++)
        s += rs[i].lo * (i + 1);
    ASSERT(14, s);
    ASSERT(200, (unsigned char)(short)(-56));
    ASSERT(1, (enum level)1 == MID + 1);
    z = o;
    z.in[0].r = g1.in[1].r;
    ASSERT(7, z.in[0].r.hi + z.in[0].r.lo);
    ASSERT('x', z.in[0].tag);
    ASSERT(20, o.in[0].r.hi);
    return 0;
}
