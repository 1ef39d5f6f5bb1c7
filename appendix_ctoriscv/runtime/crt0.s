# crt0: where a program starts. The loader jumps to _start with sp at the top of the stack;
# _start calls main(0, NULL) and passes its return value to exit, so that `return 3;` from
# main is the program's exit status. (A fuller crt0 would pass the argc and argv on the stack.)

# --8<-- [start:start]
    .text
    .globl _start
    .type _start, @function
_start:
    li    a0, 0                 # argc
    li    a1, 0                 # argv
    call  main
    call  exit                  # exit(main's return value); never returns
# --8<-- [end:start]
