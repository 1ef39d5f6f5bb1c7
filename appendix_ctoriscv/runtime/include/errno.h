/* errno.h: the error number the library sets (strtol's ERANGE); Linux's values. */
#ifndef _ERRNO_H
#define _ERRNO_H

extern int errno;
#define EDOM 33
#define ERANGE 34

#endif
