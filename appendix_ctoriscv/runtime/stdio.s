# Character I/O on file descriptors 0 (stdin) and 1 (stdout), without buffering: each call is
# one system call. Return values are C's: the character, or EOF (-1).
#   int putchar(int c)    int getchar(void)    int puts(const char *s)

    .equ  SYS_read, 63
    .equ  SYS_write, 64
    .equ  EOF, -1

    .text
# --8<-- [start:putchar]
    .globl putchar
    .type putchar, @function
putchar:
    addi  sp, sp, -16
    sb    a0, 0(sp)
    andi  t0, a0, 0xff          # putchar returns c as an unsigned char
    li    a0, 1
    mv    a1, sp
    li    a2, 1
    li    a7, SYS_write
    ecall                       # write(1, &c, 1)
    addi  sp, sp, 16
    li    t1, 1
    bne   a0, t1, 1f
    mv    a0, t0
    ret
1:  li    a0, EOF
    ret
# --8<-- [end:putchar]

    .globl getchar
    .type getchar, @function
getchar:
    addi  sp, sp, -16
    li    a0, 0
    mv    a1, sp
    li    a2, 1
    li    a7, SYS_read
    ecall                       # read(0, &c, 1): 1, or 0 at the end of the input
    li    t1, 1
    bne   a0, t1, 1f
    lbu   a0, 0(sp)
    addi  sp, sp, 16
    ret
1:  li    a0, EOF
    addi  sp, sp, 16
    ret

    .globl puts
    .type puts, @function
puts:                           # write s, then a newline; return strlen(s) + 1, as glibc does
    mv    t0, a0
1:  lbu   t2, 0(t0)             # find the terminating NUL
    beqz  t2, 2f
    addi  t0, t0, 1
    j     1b
2:  sub   t1, t0, a0            # the length
    mv    a1, a0
    li    a0, 1
    mv    a2, t1
    li    a7, SYS_write
    ecall
    bltz  a0, 3f
    li    a0, 1
    la    a1, newline
    li    a2, 1
    ecall                       # a7 still holds SYS_write
    bltz  a0, 3f
    addi  a0, t1, 1
    ret
3:  li    a0, EOF
    ret

    .section .rodata
newline:
    .byte 10
