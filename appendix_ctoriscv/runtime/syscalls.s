# The system calls, as C functions. Linux on RV32: the number goes in a7, the arguments in
# a0-a5, `ecall` traps into the kernel, the result comes back in a0 (-errno on failure).
#   void _exit(int status)
#   int write(int fd, const void *buf, int n)    int read(int fd, void *buf, int n)
#   void *sbrk(int increment)
# write and read return -1 on failure, as C's do (without setting errno: we have none).

    .equ  SYS_read, 63
    .equ  SYS_write, 64
    .equ  SYS_exit, 93
    .equ  SYS_exit_group, 94
    .equ  SYS_brk, 214

    .text
    .globl _exit
    .type _exit, @function
_exit:                          # the whole process ends (exit, in C, flushes stdout first)
    li    a7, SYS_exit_group
    ecall

    .globl write
    .type write, @function
write:
    li    a7, SYS_write
    ecall
    bgez  a0, 1f
    li    a0, -1
1:  ret

    .globl read
    .type read, @function
read:
    li    a7, SYS_read
    ecall
    bgez  a0, 1f
    li    a0, -1
1:  ret

    .globl sbrk
    .type sbrk, @function
sbrk:                           # brk(addr) moves the end of the heap and returns the new end
    la    t0, curbrk
    lw    t1, 0(t0)             # the current end; 0 until the first call
    bnez  t1, 1f
    mv    t2, a0
    li    a0, 0
    li    a7, SYS_brk
    ecall                       # brk(0): where the heap ends now
    mv    t1, a0
    mv    a0, t2
1:  add   t2, t1, a0            # where we want it to end
    mv    a0, t2
    li    a7, SYS_brk
    ecall
    sw    a0, 0(t0)
    bne   a0, t2, 2f            # refused: the kernel returned the old end
    mv    a0, t1                # the new memory starts at the old end
    ret
2:  li    a0, -1                # (void *)-1, as sbrk says on failure
    ret

    .bss
    .align 2
curbrk:
    .zero 4
