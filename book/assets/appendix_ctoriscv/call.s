	.text
	.globl caller
	.align 2
caller:
	addi sp, sp, -16
	sw ra, 12(sp)
	sw s0, 8(sp)
	addi s0, sp, 16
	addi sp, sp, -16
.L.caller.entry:
	li t0, 9
	sw t0, 0(sp)
	li t0, 10
	sw t0, 4(sp)
	li a0, 1
	li a1, 2
	li a2, 3
	li a3, 4
	li a4, 5
	li a5, 6
	li a6, 7
	li a7, 8
	call ten
	sw a0, -12(s0)
	lw a0, -12(s0)
.L.return.caller:
	addi sp, s0, -16
	lw ra, 12(sp)
	lw s0, 8(sp)
	addi sp, sp, 16
	ret
