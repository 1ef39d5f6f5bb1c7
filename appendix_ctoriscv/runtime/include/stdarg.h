/* stdarg.h: variable argument lists (C89 section 4.8), over the ILP32 calling convention.
 *
 * A variadic function stores a0-a7 just below its stack arguments on entry (codegen.py's
 * spill_arguments), so all its arguments lie in memory one after another, a word each (a
 * double in two, at an 8-byte boundary). A va_list is a pointer that walks them:
 * va_start points it past the named parameters, va_arg reads one argument and steps over it.
 * Both are the compiler's builtins (parse_expr.py's va_builtin), which know each type's size
 * and alignment. */
#ifndef _STDARG_H
#define _STDARG_H

/* --8<-- [start:stdarg] */
typedef char *va_list;
#define va_start(ap, last) ((void)(last), (void)((ap) = __builtin_va_start()))
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#define va_end(ap) ((void)(ap))
#define va_copy(dst, src) ((void)((dst) = (src)))
/* --8<-- [end:stdarg] */

#endif
