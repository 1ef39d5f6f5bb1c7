	.text
	.globl caller
	.align 2
caller:
	addi sp, sp, -16
	sw ra, 12(sp)
	sw s0, 8(sp)
	addi s0, sp, 16
	addi sp, sp, -8
	li a0, 10
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 9
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 8
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 7
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 6
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 5
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 4
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 3
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 2
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 1
	addi sp, sp, -4
	sw a0, 0(sp)
	lw a0, 0(sp)
	addi sp, sp, 4
	lw a1, 0(sp)
	addi sp, sp, 4
	lw a2, 0(sp)
	addi sp, sp, 4
	lw a3, 0(sp)
	addi sp, sp, 4
	lw a4, 0(sp)
	addi sp, sp, 4
	lw a5, 0(sp)
	addi sp, sp, 4
	lw a6, 0(sp)
	addi sp, sp, 4
	lw a7, 0(sp)
	addi sp, sp, 4
	call ten
	addi sp, sp, 16
	j .L.return.caller
.L.return.caller:
	addi sp, s0, -16
	lw ra, 12(sp)
	lw s0, 8(sp)
	addi sp, sp, 16
	ret
