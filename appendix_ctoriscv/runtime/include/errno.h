/* errno.h: the error numbers the library sets (strtol and strtod: ERANGE; fopen: ENOENT;
 * fseek: ESPIPE); Linux's values. */
#ifndef _ERRNO_H
#define _ERRNO_H

extern int errno;
#define ENOENT 2
#define ESPIPE 29
#define EDOM 33
#define ERANGE 34

#endif
