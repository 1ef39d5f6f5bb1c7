	.text
	.globl sum
	.align 2
sum:
	mv t3, a0
	mv t4, a1
.L.sum.entry:
	li t5, 0
	li t6, 0
	j .L.sum.test.2
.L.sum.body.1:
	slli a7, t6, 2
	add a7, t3, a7
	lw a7, 0(a7)
	add t5, t5, a7
	addi t6, t6, 1
.L.sum.test.2:
	blt t6, t4, .L.sum.body.1
.L.break.1:
	mv a0, t5
.L.return.sum:
	ret
