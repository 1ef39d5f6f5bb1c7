# crt0: where a program starts. The loader jumps to _start with sp pointing at argc, followed
# by the argv pointers (then NULL, the environment and the auxiliary vector, which we ignore).
# _start calls main(argc, argv) and passes its return value to exit, so that `return 3;` from
# main is the program's exit status.

# --8<-- [start:start]
    .text
    .globl _start
    .type _start, @function
_start:
    lw    a0, 0(sp)             # argc
    addi  a1, sp, 4             # argv: the array of pointers right above argc
    call  main
    call  exit                  # exit(main's return value); never returns
# --8<-- [end:start]
