// ops.cu: chapter 2's core primitives on the GPU, for the ch2 device "cuda".
//
// The device is contiguous_only (ch2_lego/backend.py): every kernel here reads dense row-major
// operands, except copy_*, which reads and writes any strided view (the dispatcher densifies
// through it). Elementwise operands come with a step: 1 for an array, 0 for a python number
// (uploaded once into a one-element buffer). Names are <op>_<dtype> (copy_<to>_<from>,
// sum_<to>_<from>), instantiated below for b8 i32 i64 f32 f64. Errors that need the data
// (integer division by zero, an index out of range) set a flag the launcher reads back.
// Shape legend: n elements; for reductions, out has nout elements, each reducing nred.
#include <stdint.h>

typedef long long i64;
#define MAXD 8

// --8<-- [start:strided]
// A strided view: element i (row-major over shape) lives at offset + sum_d idx_d * strides[d].
struct Strided { i64 ndim, offset, shape[MAXD], strides[MAXD]; };

__device__ __forceinline__ i64 strided_offset(const Strided& s, i64 i) {
    i64 off = s.offset;
    for (int d = (int)s.ndim - 1; d >= 0; d--) {
        off += (i % s.shape[d]) * s.strides[d];
        i /= s.shape[d];
    }
    return off;
}
// --8<-- [end:strided]

#define GRID_STRIDE(i, n) \
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (n); \
         i += (i64)gridDim.x * blockDim.x)

// *** 1. FILL and COPY (with a cast) ***

template <class T>
__device__ void fill(T* out, i64 n, T value) { GRID_STRIDE(i, n) out[i] = value; }

template <class To, class From>
__device__ __forceinline__ To cast(From x) { return static_cast<To>(x); }
template <> __device__ __forceinline__ bool cast<bool, float>(float x) { return x != 0.f; }
template <> __device__ __forceinline__ bool cast<bool, double>(double x) { return x != 0.0; }

template <class To, class From>
__device__ void copy(Strided dst, Strided src, To* out, const From* x, i64 n) {
    GRID_STRIDE(i, n) out[strided_offset(dst, i)] = cast<To, From>(x[strided_offset(src, i)]);
}

// *** 2. elementwise: dense operands, step 0 for a broadcast constant ***

template <class T> __device__ __forceinline__ bool is_nan(T x) { return x != x; }

struct Neg { template <class T> __device__ T operator()(T x) const { return -x; } };
struct Exp { template <class T> __device__ T operator()(T x) const { return exp(x); } };
struct Log { template <class T> __device__ T operator()(T x) const { return log(x); } };
struct Sqrt { template <class T> __device__ T operator()(T x) const { return sqrt(x); } };
struct Sin { template <class T> __device__ T operator()(T x) const { return sin(x); } };
struct Floor { template <class T> __device__ T operator()(T x) const { return floor(x); } };

struct Add { template <class T> __device__ T operator()(T a, T b) const { return a + b; } };
struct Mul { template <class T> __device__ T operator()(T a, T b) const { return a * b; } };
struct Div { template <class T> __device__ T operator()(T a, T b) const { return a / b; } };
// torch.maximum: NaN wins
struct Max {
    template <class T> __device__ T operator()(T a, T b) const {
        return is_nan(a) ? a : is_nan(b) ? b : (a > b ? a : b);
    }
};
struct Lt { template <class T> __device__ bool operator()(T a, T b) const { return a < b; } };
struct Eq { template <class T> __device__ bool operator()(T a, T b) const { return a == b; } };

// Python's floor division: for floats numpy's divmod rule, for integers rounding toward -inf.
struct FloorDiv {
    __device__ double fdiv(double a, double b) const {
        double mod = fmod(a, b);
        if (b == 0.0) return a / b;
        double div = (a - mod) / b;
        if (mod != 0.0 && ((b < 0) != (mod < 0))) div -= 1.0;
        double fl = floor(div);
        if (div - fl > 0.5) fl += 1.0;
        return div == 0.0 ? copysign(0.0, a / b) : fl;
    }
    __device__ float operator()(float a, float b) const { return (float)fdiv(a, b); }
    __device__ double operator()(double a, double b) const { return fdiv(a, b); }
    template <class T> __device__ T operator()(T a, T b) const {
        T q = a / b;
        return (q * b != a && ((a < 0) != (b < 0))) ? q - 1 : q;
    }
};
struct Pow {
    __device__ float operator()(float a, float b) const { return powf(a, b); }
    __device__ double operator()(double a, double b) const { return pow(a, b); }
    template <class T> __device__ T operator()(T a, T b) const {  // b >= 0, checked
        T r = 1;
        while (b > 0) { if (b & 1) r *= a; a *= a; b >>= 1; }
        return r;
    }
};

template <class F, class To, class T>
__device__ void unary(To* out, const T* x, i64 n, i64 sx) {
    F f;
    GRID_STRIDE(i, n) out[i] = f(x[i * sx]);
}
template <class F, class To, class T>
__device__ void binary(To* out, const T* a, const T* b, i64 n, i64 sa, i64 sb) {
    F f;
    GRID_STRIDE(i, n) out[i] = f(a[i * sa], b[i * sb]);
}
// An integer b of 0 (division) or < 0 (power) sets the flag instead of computing.
template <class F, class T>
__device__ void binary_checked(T* out, const T* a, const T* b, i64 n, i64 sa, i64 sb,
                               int* flag, bool is_pow) {
    F f;
    GRID_STRIDE(i, n) {
        T bv = b[i * sb];
        if (is_pow ? bv < 0 : bv == 0) { *flag = 1; out[i] = 0; } else out[i] = f(a[i * sa], bv);
    }
}
template <class T>
__device__ void where(T* out, const bool* c, const T* a, const T* b, i64 n, i64 sc, i64 sa,
                      i64 sb) {
    GRID_STRIDE(i, n) out[i] = c[i * sc] ? a[i * sa] : b[i * sb];
}

// *** 3. reductions: one block per output, threads stride over the reduced elements ***
// x is seen through a Strided whose dims are (kept dims..., reduced dims...): element
// o * nred + j is reduction element j of output o.

template <class T> struct Sum {
    __device__ T identity() const { return T(0); }
    __device__ T operator()(T a, T b) const { return a + b; }
};
template <class T> struct RMax {
    __device__ T identity() const;
    __device__ T operator()(T a, T b) const { return Max()(a, b); }
};
template <> __device__ float RMax<float>::identity() const { return -INFINITY; }
template <> __device__ double RMax<double>::identity() const { return -INFINITY; }
template <> __device__ i64 RMax<i64>::identity() const { return LLONG_MIN; }
template <> __device__ int RMax<int>::identity() const { return INT_MIN; }
template <> __device__ bool RMax<bool>::identity() const { return false; }

template <class R, class Acc, class To, class From>
__device__ void reduce(Strided xs, To* out, const From* x, i64 nout, i64 nred) {
    __shared__ Acc part[256];
    R r;
    for (i64 o = blockIdx.x; o < nout; o += gridDim.x) {
        Acc acc = r.identity();
        for (i64 j = threadIdx.x; j < nred; j += blockDim.x)
            acc = r(acc, (Acc)x[strided_offset(xs, o * nred + j)]);
        part[threadIdx.x] = acc;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {  // tree: pairwise-sum accuracy
            if (threadIdx.x < s) part[threadIdx.x] = r(part[threadIdx.x], part[threadIdx.x + s]);
            __syncthreads();
        }
        if (threadIdx.x == 0) out[o] = (To)part[0];
        __syncthreads();
    }
}

// argmax: the first index of the largest value; NaN counts as largest (torch).
template <class T>
__device__ void argmax(Strided xs, i64* out, const T* x, i64 nout, i64 nred) {
    __shared__ T best[256];
    __shared__ i64 where_[256];
    for (i64 o = blockIdx.x; o < nout; o += gridDim.x) {
        T b = x[strided_offset(xs, o * nred)];
        i64 w = nred > 0 ? 0 : -1;
        for (i64 j = threadIdx.x; j < nred; j += blockDim.x) {
            T v = x[strided_offset(xs, o * nred + j)];
            bool better = !is_nan(b) && (is_nan(v) || v > b);
            if (better || (j < w && (v == b || (is_nan(v) && is_nan(b))))) { b = v; w = j; }
        }
        best[threadIdx.x] = b;
        where_[threadIdx.x] = w;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) {
                T v = best[threadIdx.x + s], c = best[threadIdx.x];
                i64 wv = where_[threadIdx.x + s], wc = where_[threadIdx.x];
                bool better = !is_nan(c) && (is_nan(v) || v > c);
                bool tie = (v == c || (is_nan(v) && is_nan(c))) && wv < wc;
                if (better || tie) { best[threadIdx.x] = v; where_[threadIdx.x] = wv; }
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) out[o] = where_[0];
        __syncthreads();
    }
}

// *** 4. matmul: out (B,M,N) = a (.,M,K) @ b (.,K,N); batch offsets through Strided metas ***

template <class T>
__device__ void matmul(Strided ba, Strided bb, T* out, const T* a, const T* b, i64 M, i64 N,
                       i64 K) {
    __shared__ T As[16][17], Bs[16][17];
    i64 batch = blockIdx.z;
    const T* ap = a + strided_offset(ba, batch);
    const T* bp = b + strided_offset(bb, batch);
    int tx = threadIdx.x, ty = threadIdx.y;
    i64 row = blockIdx.y * 16 + ty, col = blockIdx.x * 16 + tx;
    T acc = 0;
    for (i64 k0 = 0; k0 < K; k0 += 16) {
        As[ty][tx] = (row < M && k0 + tx < K) ? ap[row * K + k0 + tx] : T(0);
        Bs[ty][tx] = (k0 + ty < K && col < N) ? bp[(k0 + ty) * N + col] : T(0);
        __syncthreads();
        for (int k = 0; k < 16; k++) acc += As[ty][k] * Bs[k][tx];
        __syncthreads();
    }
    if (row < M && col < N) out[batch * M * N + row * N + col] = acc;
}

// *** 5. index ops ***

// gather along `axis`: out (index's shape) [.., i, ..] = x[.., index[.., i, ..], ..].
// xs: index's shape with x's strides; inner = product of the dims after axis; xdim = x's size.
template <class T>
__device__ void gather(Strided xs, T* out, const T* x, const i64* index, i64 n, i64 axis_stride,
                       i64 axis_len, i64 inner, i64 xdim, int* flag) {
    GRID_STRIDE(i, n) {
        i64 idx = index[i], c = (i / inner) % axis_len;
        if (idx < 0 || idx >= xdim) { *flag = 1; continue; }  // torch: [0, xdim), no wrap
        out[i] = x[strided_offset(xs, i) + (idx - c) * axis_stride];
    }
}

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int* p, int v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(i64* p, i64 v) {
    atomicAdd(reinterpret_cast<unsigned long long*>(p), (unsigned long long)v);
}

// out (already = x) [.., index[i], ..] += src[i] along axis; os: index's shape, out's strides.
template <class T>
__device__ void scatter_add(Strided os, Strided ss, T* out, const i64* index, const T* src,
                            i64 n, i64 axis_stride, i64 axis_len, i64 inner, i64 xdim, int* flag) {
    GRID_STRIDE(i, n) {
        i64 idx = index[i], c = (i / inner) % axis_len;
        if (idx < 0 || idx >= xdim) { *flag = 1; continue; }  // torch: [0, xdim), no wrap
        atomic_add(&out[strided_offset(os, i) + (idx - c) * axis_stride],
                   src[strided_offset(ss, i)]);
    }
}

// Advanced indexing (numpy rules), described by the host in one int64 array:
//   m[0] = ndim of the result, m[1] = number of index arrays (<= 4),
//   m[2..9] = result shape, m[10..17] = role of each result dim (>= 0: that dim of x;
//   -1 - k: dim k of the broadcast index shape), m[18..25] = x's strides,
//   m[26..29] = the x dim each index array selects, m[30..33] = x's size there,
//   m[34 + 8 j .. 41 + 8 j] = index array j's strides over the broadcast index dims.
struct IndexMeta { i64 m[66]; };

__device__ __forceinline__ i64 index_target(const IndexMeta& im, i64 i, const i64* i0,
                                            const i64* i1, const i64* i2, const i64* i3,
                                            int* flag) {
    const i64* m = im.m;
    i64 off = 0, bc[MAXD] = {0};
    for (int d = (int)m[0] - 1; d >= 0; d--) {
        i64 c = i % m[2 + d];
        i /= m[2 + d];
        if (m[10 + d] >= 0) off += c * m[18 + m[10 + d]];
        else bc[-1 - m[10 + d]] = c;
    }
    const i64* idx[4] = {i0, i1, i2, i3};
    for (int j = 0; j < (int)m[1]; j++) {
        i64 p = 0;
        for (int d = 0; d < MAXD; d++) p += bc[d] * m[34 + 8 * j + d];
        i64 v = idx[j][p], len = m[30 + j];
        if (v < -len || v >= len) { *flag = 1; return -1; }
        off += (v < 0 ? v + len : v) * m[18 + m[26 + j]];
    }
    return off;
}

template <class T>
__device__ void index(IndexMeta im, T* out, const T* x, const i64* i0, const i64* i1,
                      const i64* i2, const i64* i3, i64 n, int* flag) {
    GRID_STRIDE(i, n) {
        i64 off = index_target(im, i, i0, i1, i2, i3, flag);
        if (off >= 0) out[i] = x[off];
    }
}
// out (already = x) [indices] = src (or += with accumulate); ss: src broadcast to the
// indexed shape.
template <class T>
__device__ void index_put(IndexMeta im, Strided ss, T* out, const T* src, const i64* i0,
                          const i64* i1, const i64* i2, const i64* i3, i64 n, int accumulate,
                          int* flag) {
    GRID_STRIDE(i, n) {
        i64 off = index_target(im, i, i0, i1, i2, i3, flag);
        if (off < 0) continue;
        T v = src[strided_offset(ss, i)];
        if (accumulate) atomic_add(&out[off], v); else out[off] = v;
    }
}

// *** 6. argsort: one block per row of `len` elements `inner` apart; stable by rank counting:
// element j goes to position #{k: x_k before x_j} + #{k < j: x_k == x_j}. NaN sorts last
// (ascending) or first (descending), as numpy's stable sort on the flipped axis does.

template <class T>
__device__ __forceinline__ bool before(T a, T b, bool desc) {  // a strictly before b
    if (is_nan(a) || is_nan(b)) return desc ? (is_nan(a) && !is_nan(b)) : (!is_nan(a) && is_nan(b));
    return desc ? a > b : a < b;
}
template <class T>
__device__ void argsort(i64* out, const T* x, i64 rows, i64 len, i64 inner, int desc) {
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        i64 base = (r / inner) * len * inner + r % inner;
        for (i64 j = threadIdx.x; j < len; j += blockDim.x) {
            T v = x[base + j * inner];
            i64 rank = 0;
            for (i64 k = 0; k < len; k++) {
                T w = x[base + k * inner];
                bool same = (w == v) || (is_nan(w) && is_nan(v));
                rank += before(w, v, desc) || (same && k < j);
            }
            out[base + rank * inner] = j;
        }
    }
}

// *** 7. the extern "C" names, per dtype ***

#define FOR_ALL(X) X(b8, bool) X(i32, int) X(i64, i64) X(f32, float) X(f64, double)
#define FOR_NUMBERS(X) X(i32, int) X(i64, i64) X(f32, float) X(f64, double)
#define FOR_FLOATS(X) X(f32, float) X(f64, double)
#define FOR_INTS(X) X(i32, int) X(i64, i64)

#define FILL_K(s, T) extern "C" __global__ void fill_##s(T* out, i64 n, T v) { fill(out, n, v); }
FOR_ALL(FILL_K)
#define COPY_TO(s, T) FOR_ALL_FROM(s, T)
#define COPY_K(so, To, sf, Tf) extern "C" __global__ void copy_##so##_##sf(Strided d, Strided s, \
    To* out, const Tf* x, i64 n) { copy<To, Tf>(d, s, out, x, n); }
#define FROM_B8(so, To) COPY_K(so, To, b8, bool)
#define FROM_I32(so, To) COPY_K(so, To, i32, int)
#define FROM_I64(so, To) COPY_K(so, To, i64, i64)
#define FROM_F32(so, To) COPY_K(so, To, f32, float)
#define FROM_F64(so, To) COPY_K(so, To, f64, double)
FOR_ALL(FROM_B8) FOR_ALL(FROM_I32) FOR_ALL(FROM_I64) FOR_ALL(FROM_F32) FOR_ALL(FROM_F64)

#define UNARY_K(name, F, s, T) extern "C" __global__ void name##_##s(T* out, const T* x, i64 n, \
    i64 sx) { unary<F, T, T>(out, x, n, sx); }
#define NEG_K(s, T) UNARY_K(neg, Neg, s, T)
#define EXP_K(s, T) UNARY_K(exp, Exp, s, T)
#define LOG_K(s, T) UNARY_K(log, Log, s, T)
#define SQRT_K(s, T) UNARY_K(sqrt, Sqrt, s, T)
#define SIN_K(s, T) UNARY_K(sin, Sin, s, T)
#define FLOOR_K(s, T) UNARY_K(floor, Floor, s, T)
FOR_NUMBERS(NEG_K) FOR_FLOATS(EXP_K) FOR_FLOATS(LOG_K) FOR_FLOATS(SQRT_K) FOR_FLOATS(SIN_K)
FOR_FLOATS(FLOOR_K)

#define BINARY_K(name, F, To, s, T) extern "C" __global__ void name##_##s(To* out, const T* a, \
    const T* b, i64 n, i64 sa, i64 sb) { binary<F, To, T>(out, a, b, n, sa, sb); }
#define ADD_K(s, T) BINARY_K(add, Add, T, s, T)
#define MUL_K(s, T) BINARY_K(mul, Mul, T, s, T)
#define DIV_K(s, T) BINARY_K(div, Div, T, s, T)
#define MAX_K(s, T) BINARY_K(max, Max, T, s, T)
#define LT_K(s, T) BINARY_K(cmplt, Lt, bool, s, T)
#define EQ_K(s, T) BINARY_K(cmpeq, Eq, bool, s, T)
#define FDIV_F(s, T) BINARY_K(floordiv, FloorDiv, T, s, T)
#define POW_F(s, T) BINARY_K(pow, Pow, T, s, T)
FOR_ALL(ADD_K) FOR_ALL(MUL_K) FOR_FLOATS(DIV_K) FOR_ALL(MAX_K) FOR_ALL(LT_K) FOR_ALL(EQ_K)
FOR_FLOATS(FDIV_F) FOR_FLOATS(POW_F)
#define CHECKED_K(name, F, s, T, is_pow) extern "C" __global__ void name##_##s(T* out, const T* a, \
    const T* b, i64 n, i64 sa, i64 sb, int* flag) { \
    binary_checked<F, T>(out, a, b, n, sa, sb, flag, is_pow); }
#define FDIV_I(s, T) CHECKED_K(floordiv, FloorDiv, s, T, false)
#define POW_I(s, T) CHECKED_K(pow, Pow, s, T, true)
FOR_INTS(FDIV_I) FOR_INTS(POW_I)
#define WHERE_K(s, T) extern "C" __global__ void where_##s(T* out, const bool* c, const T* a, \
    const T* b, i64 n, i64 sc, i64 sa, i64 sb) { where(out, c, a, b, n, sc, sa, sb); }
FOR_ALL(WHERE_K)

// sums of bool and int32 come out as int64 (torch.sum's promotion); floats stay themselves
#define SUM_K(so, To, sf, Tf, Acc) extern "C" __global__ void sum_##so##_##sf(Strided xs, To* out, \
    const Tf* x, i64 nout, i64 nred) { reduce<Sum<Acc>, Acc, To, Tf>(xs, out, x, nout, nred); }
SUM_K(i64, i64, b8, bool, i64) SUM_K(i64, i64, i32, int, i64) SUM_K(i64, i64, i64, i64, i64)
SUM_K(i32, int, i32, int, int) SUM_K(f32, float, f32, float, float)
SUM_K(f64, double, f64, double, double)
#define RMAX_K(s, T) extern "C" __global__ void rmax_##s(Strided xs, T* out, const T* x, i64 nout, \
    i64 nred) { reduce<RMax<T>, T, T, T>(xs, out, x, nout, nred); }
FOR_ALL(RMAX_K)
#define ARGMAX_K(s, T) extern "C" __global__ void argmax_##s(Strided xs, i64* out, const T* x, \
    i64 nout, i64 nred) { argmax<T>(xs, out, x, nout, nred); }
FOR_ALL(ARGMAX_K)
#define MATMUL_K(s, T) extern "C" __global__ void matmul_##s(Strided ba, Strided bb, T* out, \
    const T* a, const T* b, i64 M, i64 N, i64 K) { matmul<T>(ba, bb, out, a, b, M, N, K); }
FOR_NUMBERS(MATMUL_K)
#define GATHER_K(s, T) extern "C" __global__ void gather_##s(Strided xs, T* out, const T* x, \
    const i64* index, i64 n, i64 st, i64 len, i64 inner, i64 xdim, int* flag) { \
    gather<T>(xs, out, x, index, n, st, len, inner, xdim, flag); }
FOR_ALL(GATHER_K)
#define SCATTER_K(s, T) extern "C" __global__ void scatter_add_##s(Strided os, Strided ss, T* out, \
    const i64* index, const T* src, i64 n, i64 st, i64 len, i64 inner, i64 xdim, int* flag) { \
    scatter_add<T>(os, ss, out, index, src, n, st, len, inner, xdim, flag); }
FOR_NUMBERS(SCATTER_K)
#define INDEX_K(s, T) extern "C" __global__ void index_##s(IndexMeta im, T* out, const T* x, \
    const i64* i0, const i64* i1, const i64* i2, const i64* i3, i64 n, int* flag) { \
    index<T>(im, out, x, i0, i1, i2, i3, n, flag); }
FOR_ALL(INDEX_K)
#define INDEX_PUT_K(s, T) extern "C" __global__ void index_put_##s(IndexMeta im, Strided ss, \
    T* out, const T* src, const i64* i0, const i64* i1, const i64* i2, const i64* i3, i64 n, \
    int accumulate, int* flag) { \
    index_put<T>(im, ss, out, src, i0, i1, i2, i3, n, accumulate, flag); }
FOR_NUMBERS(INDEX_PUT_K)
#define ARGSORT_K(s, T) extern "C" __global__ void argsort_##s(i64* out, const T* x, i64 rows, \
    i64 len, i64 inner, int desc) { argsort<T>(out, x, rows, len, inner, desc); }
FOR_ALL(ARGSORT_K)
