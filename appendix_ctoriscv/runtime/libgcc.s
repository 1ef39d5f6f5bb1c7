# Multiply, divide and remainder for RV32I, which has no M extension. The names and meanings
# are libgcc's, so that code from gcc -march=rv32i links with them too:
#   __mulsi3(a, b) = a * b            __udivsi3(a, b) = a / b      __umodsi3(a, b) = a % b
#   __divsi3(a, b) = a / b (signed)   __modsi3(a, b)  = a % b (signed; the sign of a)
# Division by zero and INT_MIN / -1 give what RISC-V's div and rem instructions give
# (spec section 7.2): a / 0 = -1 (all ones), a % 0 = a, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0.
# These leaf routines use only a0-a5 and t1-t2, and __udivsi3 only a0-a5.

    .text
    .globl __mulsi3
    .type __mulsi3, @function
__mulsi3:                       # shift and add: for each set bit i of b, add a << i
    mv    a2, a0
    li    a0, 0
1:  andi  a3, a1, 1
    beqz  a3, 2f
    add   a0, a0, a2
2:  srli  a1, a1, 1
    slli  a2, a2, 1
    bnez  a1, 1b
    ret

# --8<-- [start:udivsi3]
    .globl __udivsi3
    .type __udivsi3, @function
__udivsi3:                      # restoring division: a0 = quotient, a1 = remainder
    li    a2, 0                 # r, the partial remainder
    li    a3, 32                # one quotient bit per iteration
1:  srli  a4, a0, 31            # the next bit of the dividend, from the top
    srli  a5, a2, 31            # the bit r loses when it doubles
    slli  a2, a2, 1
    or    a2, a2, a4
    slli  a0, a0, 1             # the dividend moves out of a0 as the quotient moves in
    bnez  a5, 2f                # r was >= 2^31, so 2r + bit >= 2^32 > b: subtract
    bltu  a2, a1, 3f
2:  sub   a2, a2, a1
    ori   a0, a0, 1
3:  addi  a3, a3, -1
    bnez  a3, 1b
    mv    a1, a2                # with b = 0 every step "subtracts" 0: q = ~0, r = a
    ret
# --8<-- [end:udivsi3]

    .globl __umodsi3
    .type __umodsi3, @function
__umodsi3:
    mv    t1, ra
    call  __udivsi3
    mv    a0, a1
    jr    t1

# --8<-- [start:divsi3]
    .globl __divsi3
    .type __divsi3, @function
__divsi3:
    beqz  a1, 9f
    mv    t1, ra
    xor   t2, a0, a1            # bit 31: the sign of the quotient
    bgez  a0, 1f
    neg   a0, a0                # |INT_MIN| is 2^31 as an unsigned number: still right
1:  bgez  a1, 2f
    neg   a1, a1
2:  call  __udivsi3
    bgez  t2, 3f
    neg   a0, a0
3:  jr    t1
9:  li    a0, -1
    ret
# --8<-- [end:divsi3]

    .globl __modsi3
    .type __modsi3, @function
__modsi3:
    mv    t1, ra
    mv    t2, a0                # the remainder takes the dividend's sign (C's truncation)
    bgez  a0, 1f
    neg   a0, a0
1:  bgez  a1, 2f
    neg   a1, a1
2:  call  __udivsi3
    mv    a0, a1
    bgez  t2, 3f
    neg   a0, a0
3:  jr    t1
