/* float.h: the characteristics of float and double (C89 section 2.2.4.2.2): IEEE 754 binary32
 * and binary64, rounding to nearest. This compiler has no long double, so there are no LDBL_
 * macros. The decimal constants are the shortest that read back as the exact values. */
#ifndef _FLOAT_H
#define _FLOAT_H

#define FLT_RADIX 2
#define FLT_ROUNDS 1                    /* to nearest */

#define FLT_MANT_DIG 24
#define FLT_DIG 6
#define FLT_MIN_EXP (-125)
#define FLT_MIN_10_EXP (-37)
#define FLT_MAX_EXP 128
#define FLT_MAX_10_EXP 38
#define FLT_MAX 3.40282347e+38F
#define FLT_EPSILON 1.1920929e-07F
#define FLT_MIN 1.17549435e-38F

#define DBL_MANT_DIG 53
#define DBL_DIG 15
#define DBL_MIN_EXP (-1021)
#define DBL_MIN_10_EXP (-307)
#define DBL_MAX_EXP 1024
#define DBL_MAX_10_EXP 308
#define DBL_MAX 1.7976931348623157e+308
#define DBL_EPSILON 2.220446049250313e-16
#define DBL_MIN 2.2250738585072014e-308

#endif
