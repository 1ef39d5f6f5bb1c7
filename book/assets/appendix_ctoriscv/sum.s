	.text
	.globl sum
	.align 2
sum:
	addi sp, sp, -16
	sw ra, 12(sp)
	sw s0, 8(sp)
	addi s0, sp, 16
	addi sp, sp, -16
	sw a0, -12(s0)
	sw a1, -16(s0)
	li a0, 0
	sw a0, -20(s0)
	li a0, 0
	sw a0, -24(s0)
.L.begin.1:
	lw a0, -24(s0)
	addi sp, sp, -4
	sw a0, 0(sp)
	lw a0, -16(s0)
	mv a1, a0
	lw a0, 0(sp)
	addi sp, sp, 4
	slt a0, a0, a1
	beqz a0, .L.break.1
	lw a0, -20(s0)
	addi sp, sp, -4
	sw a0, 0(sp)
	lw a0, -12(s0)
	addi sp, sp, -4
	sw a0, 0(sp)
	lw a0, -24(s0)
	slli a0, a0, 2
	mv a1, a0
	lw a0, 0(sp)
	addi sp, sp, 4
	add a0, a0, a1
	lw a0, 0(a0)
	mv a1, a0
	lw a0, 0(sp)
	addi sp, sp, 4
	add a0, a0, a1
	sw a0, -20(s0)
.L.continue.2:
	lw a0, -24(s0)
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, 1
	mv a1, a0
	lw a0, 0(sp)
	addi sp, sp, 4
	add a0, a0, a1
	sw a0, -24(s0)
	addi sp, sp, -4
	sw a0, 0(sp)
	li a0, -1
	mv a1, a0
	lw a0, 0(sp)
	addi sp, sp, 4
	add a0, a0, a1
	j .L.begin.1
.L.break.1:
	lw a0, -20(s0)
	j .L.return.sum
.L.return.sum:
	addi sp, s0, -16
	lw ra, 12(sp)
	lw s0, 8(sp)
	addi sp, sp, 16
	ret
