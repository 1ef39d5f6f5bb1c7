	.text
	.globl sum
	.align 2
sum:
.L.sum.entry:
	li t3, 0
	li t4, 0
	j .L.sum.test.2
.L.sum.body.1:
	lw t5, 0(a0)
	add t3, t3, t5
	addi t4, t4, 1
	addi a0, a0, 4
.L.sum.test.2:
	blt t4, a1, .L.sum.body.1
.L.break.1:
	mv a0, t3
.L.return.sum:
	ret
