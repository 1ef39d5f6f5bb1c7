/* A local header for preprocess.c, with an include guard. */
#ifndef MACROS_H
#define MACROS_H
#define HEADER_VALUE 17
#define TWICE(x) ((x) + (x))
#endif
