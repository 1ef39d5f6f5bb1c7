# The memory and string functions a C compiler may call on its own (for struct copies and
# array initialisers), with the C library's meanings:
#   void *memcpy(void *dst, const void *src, unsigned n)    void *memset(void *s, int c, unsigned n)
#   unsigned strlen(const char *s)
# Byte at a time: short and plain rather than fast.

    .text
    .globl memcpy
    .type memcpy, @function
memcpy:
    mv    t0, a0
    beqz  a2, 2f
1:  lbu   t1, 0(a1)
    sb    t1, 0(t0)
    addi  a1, a1, 1
    addi  t0, t0, 1
    addi  a2, a2, -1
    bnez  a2, 1b
2:  ret

    .globl memset
    .type memset, @function
memset:
    mv    t0, a0
    beqz  a2, 2f
1:  sb    a1, 0(t0)
    addi  t0, t0, 1
    addi  a2, a2, -1
    bnez  a2, 1b
2:  ret

    .globl strlen
    .type strlen, @function
strlen:
    mv    t0, a0
1:  lbu   t1, 0(t0)
    beqz  t1, 2f
    addi  t0, t0, 1
    j     1b
2:  sub   a0, t0, a0
    ret
