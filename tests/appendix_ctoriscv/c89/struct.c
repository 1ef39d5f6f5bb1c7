#include "../c/test.h"
struct point { int x, y; };
typedef struct point Point;
struct node { int val; struct node *next; };
union u { int i; char c[4]; short s; };
enum color { RED, GREEN = 5, BLUE };
struct mix { char c; int i; short s; char d; };
struct big { int a[5]; char tag; };
struct pair { char a; char b; char c; };
Point add(Point a, Point b) { Point r; r.x = a.x + b.x; r.y = a.y + b.y; return r; }
struct big mkbig(int k) { struct big b; int i; for (i = 0; i < 5; i++) b.a[i] = k * i; b.tag = 'z'; return b; }
int sumbig(struct big b) { int s = 0, i; for (i = 0; i < 5; i++) s += b.a[i]; b.a[0] = 1000; return s + b.tag; }
struct pair mkpair(void) { struct pair p = {'a', 'b', 'c'}; return p; }
Point gp = {3, 4};
struct mix gm[2] = {{1, 2, 3, 4}, {5, 6, 7, 8}};
int main() {
    Point p = {1, 2}, q;
    struct node n3 = {3, 0}, n2 = {2, &n3}, n1 = {1, &n2};
    struct node *it;
    union u un;
    struct big bb, bc;
    struct pair pr;
    int total = 0;
    q = p;
    q.x += 10;
    ASSERT(1, p.x);
    ASSERT(11, q.x);
    ASSERT(8, sizeof(Point));
    ASSERT(12, sizeof(struct mix));
    ASSERT(4, sizeof(union u));
    ASSERT(24, sizeof(struct big));
    ASSERT(3, sizeof(struct pair));
    ASSERT(6, BLUE);
    for (it = &n1; it; it = it->next) total += it->val;
    ASSERT(6, total);
    un.i = 0x01020304;
    ASSERT(4, un.c[0]);
    ASSERT(0x0304, un.s);
    p = add(p, q);
    ASSERT(12, p.x);
    ASSERT(4, p.y);
    bb = mkbig(3);
    ASSERT(30, bb.a[4] + bb.a[2] * 3);
    bc = bb;
    ASSERT(30 + 'z', sumbig(bc));
    ASSERT(0, bc.a[0]);
    pr = mkpair();
    ASSERT('b', pr.b);
    ASSERT(7, gp.x + gp.y);
    ASSERT(7, gm[1].s);
    ASSERT(4, gm[0].d);
    ASSERT(6, add(gp, p).y + 0 * add(p, p).x - 2);
    ASSERT(13, mkbig(2).a[3] + mkpair().c - 'c' + 7);
    return 0;
}
