"""C with OpenMP: the CStyleLanguage with C's math library, Python's floor division and modulo,
NaN-propagating max/min (as torch.maximum), and OpenMP pragmas for the loop attributes.

A float `%` and `//` are torch.remainder's and torch.floor_divide's, both from fmod: a
remainder takes b's sign, a quotient is (a - remainder) / b (a - b*floor(a/b) gives nan for an
infinite b and loses a zero's sign; floor(a/b) gives 10 for 1 // 0.1, where a/b rounds up).
Integer division by zero gives 0 instead of trapping (C leaves it undefined) and notes the fault
in the kernel's fault word (code -1), as a gather index out of range does (its code is given by
`checked`); the plan raises eager mode's error after the kernel. The math functions take the
`f` suffix in float32 (expf, not exp) so nothing is computed in double by accident. exp, tanh
and sqrt in float32 are our own inline functions (c_math.h): libm's are calls the compiler
cannot vectorize (sqrtf for its errno), and glibc's tanhf costs tens of nanoseconds, more than a
whole matmul row here.
"""

from __future__ import annotations

from ch4_pt2.ops import Ops
from ch4_pt2.renderer.cstyle import CStyleLanguage

PRELUDE = """#include <math.h>
#define MAX(a, b) (((a) != (a) || (a) > (b)) ? (a) : (b))
#define MIN(a, b) (((a) != (a) || (a) < (b)) ? (a) : (b))
static inline long floordiv(long a, long b, long* fault) {
  if (b == 0) { fault[0] = -1; return 0; }
  long q = a / b;
  return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
}
static inline long pymod(long a, long b, long* fault) {
  if (b == 0) { fault[0] = -1; return 0; }
  long r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
#define FLOAT_DIVMOD(T, S, FMOD, FLOOR, COPYSIGN)                                  \\
static inline T fmod_py_##S(T a, T b) {  /* torch.remainder: the sign of b */      \\
  T m = FMOD(a, b);                                                                \\
  return (m != 0 && ((b < 0) != (m < 0))) ? m + b : m;                             \\
}                                                                                  \\
static inline T floordiv_py_##S(T a, T b) {  /* torch.floor_divide */              \\
  if (b == 0) return a / b;                                                        \\
  T m = FMOD(a, b), d = (a - m) / b;                                               \\
  if (m != 0 && ((b < 0) != (m < 0))) d -= 1;                                      \\
  if (d == 0) return COPYSIGN((T)0, a / b);                                        \\
  T f = FLOOR(d);                                                                  \\
  return d - f > (T)0.5 ? f + 1 : f;                                               \\
}
FLOAT_DIVMOD(float, f32, fmodf, floorf, copysignf)
FLOAT_DIVMOD(double, f64, fmod, floor, copysign)
static inline long checked(long i, _Bool bad, long code, long* fault) {
  if (bad) { fault[0] = code; fault[1] = i; }
  return i;
}
""" + open(__file__.replace("c.py", "c_math.h")).read()


def math_fn(name: str):
    """expf(x) for float32, exp(x) for float64 (and integers, computed in double)."""
    return lambda *args: (f"{name}{'f' if args[-1].name == 'float32' else ''}"
                          f"({', '.join(args[:-1])})")


def is_index(t) -> bool:
    return t.category == 1


# --8<-- [start:c_renderer]
class ClangRenderer(CStyleLanguage):
    code_for_op = {
        **CStyleLanguage.code_for_op,
        Ops.EXP: lambda x, t: f"exp_f32({x})" if t.name == "float32" else math_fn("exp")(x, t),
        Ops.TANH: lambda x, t: f"tanh_f32({x})" if t.name == "float32" else math_fn("tanh")(x, t),
        Ops.LOG: math_fn("log"),
        Ops.SQRT: lambda x, t: f"sqrt_f32({x})" if t.name == "float32" else math_fn("sqrt")(x, t),
        Ops.SIN: math_fn("sin"), Ops.COS: math_fn("cos"),
        Ops.ERF: math_fn("erf"), Ops.FLOOR: math_fn("floor"), Ops.CEIL: math_fn("ceil"),
        Ops.ROUND: math_fn("rint"),  # rint rounds half to even, as torch.round
        Ops.POW: math_fn("pow"),
        Ops.ABS: lambda x, t: math_fn("fabs")(x, t) if t.category == 2 else f"labs({x})",
        Ops.SIGN: lambda x, t: f"(({x}>0)-({x}<0))",
        Ops.MAX: lambda a, b, t: f"MAX({a}, {b})",
        Ops.MIN: lambda a, b, t: f"MIN({a}, {b})",
        Ops.IDIV: lambda a, b, t: f"floordiv({a}, {b}, fault)" if is_index(t)
        else f"floordiv_py_f{32 if t.name == 'float32' else 64}({a}, {b})",
        Ops.MOD: lambda a, b, t: f"pymod({a}, {b}, fault)" if is_index(t)
        else f"fmod_py_f{32 if t.name == 'float32' else 64}({a}, {b})",
    }
    prelude = PRELUDE

    def render_pragmas(self, attrs):
        if "parallel" in attrs:
            return ["#pragma omp parallel for" + (" simd" if "simd" in attrs else "")]
        if "unroll" in attrs:
            return ["#pragma GCC unroll 16"]
        return ["#pragma omp simd"] if "simd" in attrs else []
# --8<-- [end:c_renderer]
