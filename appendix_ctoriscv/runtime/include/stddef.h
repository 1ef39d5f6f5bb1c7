/* stddef.h: the types and macros of C89's section 4.1.5, for RV32 (ilp32). */
#ifndef _STDDEF_H
#define _STDDEF_H

#define NULL ((void *)0)
#define size_t unsigned
#define ptrdiff_t int
#define wchar_t int
#define offsetof(type, member) ((size_t)&((type *)0)->member)

#endif
