# The variadic entries of the printf family, until the compiler has `...`: each spills the
# argument registers a0-a7 to the 32 bytes right below its caller's stack arguments, so that
# all the arguments lie in one run of 4-byte slots, and hands a pointer to the first variadic
# one to the v-function (printf.c) that formats.
#   int printf(const char *f, ...)             -> vfprintf(stdout, f, ap)
#   int fprintf(FILE *s, const char *f, ...)   -> vfprintf(s, f, ap)
#   int sprintf(char *s, const char *f, ...)   -> vsprintf(s, f, ap)
#   int snprintf(char *s, unsigned n, const char *f, ...) -> vsnprintf(s, n, f, ap)

    .text
    .globl printf
    .type printf, @function
printf:
    addi  sp, sp, -48
    sw    ra, 12(sp)
    sw    a0, 16(sp)            # a0 at sp+16 ... a7 at sp+44; the stack arguments at sp+48
    sw    a1, 20(sp)
    sw    a2, 24(sp)
    sw    a3, 28(sp)
    sw    a4, 32(sp)
    sw    a5, 36(sp)
    sw    a6, 40(sp)
    sw    a7, 44(sp)
    mv    a1, a0
    li    a0, 1                 # stdout
    addi  a2, sp, 20            # the first variadic argument: a1's slot
    call  vfprintf
    lw    ra, 12(sp)
    addi  sp, sp, 48
    ret

    .globl fprintf
    .type fprintf, @function
fprintf:
    addi  sp, sp, -48
    sw    ra, 12(sp)
    sw    a0, 16(sp)            # a0 at sp+16 ... a7 at sp+44; the stack arguments at sp+48
    sw    a1, 20(sp)
    sw    a2, 24(sp)
    sw    a3, 28(sp)
    sw    a4, 32(sp)
    sw    a5, 36(sp)
    sw    a6, 40(sp)
    sw    a7, 44(sp)
    addi  a2, sp, 24
    call  vfprintf
    lw    ra, 12(sp)
    addi  sp, sp, 48
    ret

    .globl sprintf
    .type sprintf, @function
sprintf:
    addi  sp, sp, -48
    sw    ra, 12(sp)
    sw    a0, 16(sp)            # a0 at sp+16 ... a7 at sp+44; the stack arguments at sp+48
    sw    a1, 20(sp)
    sw    a2, 24(sp)
    sw    a3, 28(sp)
    sw    a4, 32(sp)
    sw    a5, 36(sp)
    sw    a6, 40(sp)
    sw    a7, 44(sp)
    addi  a2, sp, 24
    call  vsprintf
    lw    ra, 12(sp)
    addi  sp, sp, 48
    ret

    .globl snprintf
    .type snprintf, @function
snprintf:
    addi  sp, sp, -48
    sw    ra, 12(sp)
    sw    a0, 16(sp)            # a0 at sp+16 ... a7 at sp+44; the stack arguments at sp+48
    sw    a1, 20(sp)
    sw    a2, 24(sp)
    sw    a3, 28(sp)
    sw    a4, 32(sp)
    sw    a5, 36(sp)
    sw    a6, 40(sp)
    sw    a7, 44(sp)
    addi  a3, sp, 28
    call  vsnprintf
    lw    ra, 12(sp)
    addi  sp, sp, 48
    ret
