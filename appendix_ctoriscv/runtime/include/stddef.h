/* stddef.h: the types and macros of C89's section 4.1.5, for RV32 (ilp32). */
#ifndef _STDDEF_H
#define _STDDEF_H

#define NULL ((void *)0)
typedef unsigned size_t;
typedef int ptrdiff_t;
typedef int wchar_t;
#define offsetof(type, member) ((size_t)&((type *)0)->member)

#endif
