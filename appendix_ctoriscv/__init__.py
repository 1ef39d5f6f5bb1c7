"""appendix_ctoriscv: a C89 compiler to RISC-V RV32I, with its own assembler, linker and emulator.

The files, in the order a program passes through them:
  defs.py        the "header": tokens, types, objects and AST nodes shared by every stage
  errors.py      diagnostics (`file:line:col: error: ...` with the source line and a caret)
  lex.py         source text -> tokens (not tokenize.py: that would shadow the standard library)
  preprocess.py  tokens -> tokens with #include, #define and #if applied
  parse.py       tokens -> AST (a recursive-descent Parser), calling type.py as it builds;
                 its parts: parse_decl.py, parse_init.py, parse_stmt.py, parse_expr.py
  type.py        C types, the usual arithmetic conversions and the add_type pass
  const_expr.py  compile-time evaluation of constant expressions (array sizes, case, #if)
  ir.py          the IR: three-address code in basic blocks (instructions, blocks, functions)
  lower.py       AST -> IR, the only lowering (variables in frame slots, as clang's -O0)
                 with lower_float.py: float and double as calls to the soft-float runtime
  -O1 only:
    cfg.py       control-flow graph: orders, dominators, jump threading
    ssa.py       into SSA form (mem2reg, phis) and out of it
    fold.py, copyprop.py, dce.py, cse.py, strength.py, inline.py, licm.py, ivsr.py,
    hoist.py     one pass each
    optimize.py  the order of the passes
    regalloc.py  liveness, copy coalescing, linear-scan register allocation
  codegen.py     IR -> RV32I assembly text (ILP32 calling convention; at -O0 every
                 temporary in a frame slot, at -O1 in regalloc.py's registers)
                 with codegen_data.py: the globals' initial bytes as data directives
  isa.py         RV32I tables: registers, formats, immediates; encode/decode/disassemble
  asm.py         assembly text -> ObjectFile (sections, symbols, relocations)
  link.py        ObjectFiles + runtime/ -> laid-out image; elf.py writes/reads ELF32
  runtime/       crt0, libgcc's multiply/divide and the system-call wrappers in assembly;
                 the C library (libc/*.c: stdio with printf, stdlib, malloc over brk,
                 string, ctype, assert, soft float) and its headers (include/)
  emu.py         ELF32 executable -> a run (basic blocks translated to Python functions)
  regions.py     hot code -> one Python function per region of blocks, for emu.py
  pipeline.py    the stages in order, C source in, assembly out (compile_source, compile_c);
                 runtime/ compiles the C library through it
  main.py        the driver behind `python -m appendix_ctoriscv prog.c` (and linking:
                 compile_executable)

The appendix imports no chapter package.
"""
