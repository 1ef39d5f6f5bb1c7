	.text
	.globl sum
	.align 2
sum:
	addi sp, sp, -16
	sw ra, 12(sp)
	sw s0, 8(sp)
	addi s0, sp, 16
	addi sp, sp, -112
	sw a0, -12(s0)
	sw a1, -16(s0)
.L.sum.entry:
	addi t0, s0, -20
	sw t0, -28(s0)
	lw t0, -28(s0)
	sw zero, 0(t0)
	addi t0, s0, -24
	sw t0, -32(s0)
	lw t0, -32(s0)
	sw zero, 0(t0)
	j .L.sum.test.2
.L.sum.body.1:
	addi t0, s0, -20
	sw t0, -36(s0)
	addi t0, s0, -20
	sw t0, -40(s0)
	lw t0, -40(s0)
	lw t0, 0(t0)
	sw t0, -44(s0)
	addi t0, s0, -12
	sw t0, -48(s0)
	lw t0, -48(s0)
	lw t0, 0(t0)
	sw t0, -52(s0)
	addi t0, s0, -24
	sw t0, -56(s0)
	lw t0, -56(s0)
	lw t0, 0(t0)
	sw t0, -60(s0)
	lw t0, -60(s0)
	slli t0, t0, 2
	sw t0, -64(s0)
	lw t0, -52(s0)
	lw t1, -64(s0)
	add t0, t0, t1
	sw t0, -68(s0)
	lw t0, -68(s0)
	lw t0, 0(t0)
	sw t0, -72(s0)
	lw t0, -44(s0)
	lw t1, -72(s0)
	add t0, t0, t1
	sw t0, -76(s0)
	lw t0, -36(s0)
	lw t1, -76(s0)
	sw t1, 0(t0)
.L.continue.2:
	addi t0, s0, -24
	sw t0, -80(s0)
	addi t0, s0, -24
	sw t0, -84(s0)
	lw t0, -84(s0)
	lw t0, 0(t0)
	sw t0, -88(s0)
	lw t0, -88(s0)
	addi t0, t0, 1
	sw t0, -92(s0)
	lw t0, -80(s0)
	lw t1, -92(s0)
	sw t1, 0(t0)
	lw t0, -92(s0)
	addi t0, t0, -1
	sw t0, -96(s0)
.L.sum.test.2:
	addi t0, s0, -24
	sw t0, -100(s0)
	lw t0, -100(s0)
	lw t0, 0(t0)
	sw t0, -104(s0)
	addi t0, s0, -16
	sw t0, -108(s0)
	lw t0, -108(s0)
	lw t0, 0(t0)
	sw t0, -112(s0)
	lw t0, -104(s0)
	lw t1, -112(s0)
	slt t0, t0, t1
	sw t0, -116(s0)
	lw t0, -116(s0)
	bnez t0, .L.sum.body.1
.L.break.1:
	addi t0, s0, -20
	sw t0, -120(s0)
	lw t0, -120(s0)
	lw t0, 0(t0)
	sw t0, -124(s0)
	lw a0, -124(s0)
.L.return.sum:
	addi sp, s0, -16
	lw ra, 12(sp)
	lw s0, 8(sp)
	addi sp, sp, 16
	ret
