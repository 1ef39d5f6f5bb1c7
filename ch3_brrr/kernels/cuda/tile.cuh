// tile.cuh: 16x16 tiles for tensor-core kernels, in the spirit of ThunderKittens.
//
// A kernel written with these reads as tile algebra: load a shared tile into registers, mma,
// reduce rows, store. Two kinds of tile, both 16x16 and owned by one warp:
//   rt_bf  16x16 bf16 in registers: 4 x 32-bit registers per lane (2 bf16 each).
//   rt_fl  16x16 fp32 in registers: 8 floats per lane (the mma accumulator).
//   st_bf<R,C>  R x C bf16 in shared memory, rows swizzled so ldmatrix is conflict-free.
// Register layout (g = lane/4, t = lane%4), the one mma.sync m16n8k16 uses for its A operand:
//   reg 0: (row g,   cols 2t, 2t+1)    reg 1: (row g+8, cols 2t, 2t+1)
//   reg 2: (row g,   cols 2t+8, 2t+9)  reg 3: (row g+8, cols 2t+8, 2t+9)
// rt_fl keeps the same positions, one float per element, so rt_fl -> rt_bf is lane-local: the
// attention kernel turns its scores S into the bf16 operand P without touching shared memory.
// A row tile (load) holds X as is; a col tile (load_trans) holds X for use as the B of A @ X.
#pragma once
#include <cuda_bf16.h>
#include <stdint.h>

namespace tile {

struct rt_bf { uint32_t r[4]; };   // 16x16 bf16, A-operand layout
struct rt_fl { float v[8]; };      // 16x16 fp32, accumulator layout

// --8<-- [start:st_bf]
// R x C bf16 tile in shared memory, C a multiple of 64 (rows of >= 128 bytes). The 16-byte
// chunk c of row r lives at chunk c ^ (r % 8): the 8 rows one ldmatrix reads then fall in 8
// different bank groups. This is the pattern of Hopper's 128-byte swizzle, too.
template <int R, int C>
struct st_bf {
    static_assert(C % 64 == 0, "st_bf rows must be multiples of 64 bf16 (128 bytes)");
    __nv_bfloat16 data[R * C];
    __device__ __forceinline__ static int offset(int row, int col) {  // element offset
        int chunk = (col >> 3) ^ (row & 7);
        return row * C + (chunk << 3) + (col & 7);
    }
    __device__ __forceinline__ __nv_bfloat16* ptr(int row, int col) {
        return &data[offset(row, col)];
    }
};
// --8<-- [end:st_bf]

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
    return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// *** 1. global -> shared: asynchronous 16-byte copies ***

// --8<-- [start:cp_async]
// Copy 16 bytes global -> shared without passing through registers; `valid` = 0 writes zeros
// (the tile's overhang past the matrix edge).
__device__ __forceinline__ void cp_async16(void* smem, const void* gmem, bool valid) {
    int n = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n"
                 :: "r"(smem_addr(smem)), "l"(gmem), "r"(n));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n"); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" :: "n"(N));
}
// --8<-- [end:cp_async]

// Load rows [row0, row0+R) x cols [col0, col0+C) of a row-major (rows x cols) bf16 matrix with
// leading dimension ld into a shared tile, cooperatively by `nthreads` threads. cols and ld
// must be multiples of 8 (16-byte chunks); rows past the edge are zero-filled.
template <int R, int C>
__device__ __forceinline__ void load_async(st_bf<R, C>& dst, const __nv_bfloat16* src,
                                           int row0, int col0, int rows, int cols, int ld,
                                           int tid, int nthreads) {
    constexpr int CHUNKS = R * C / 8;
    for (int i = tid; i < CHUNKS; i += nthreads) {
        int r = i / (C / 8), c = (i % (C / 8)) * 8;
        bool valid = (row0 + r < rows) && (col0 + c < cols);
        const __nv_bfloat16* g = valid ? src + (size_t)(row0 + r) * ld + col0 + c : src;
        cp_async16(dst.ptr(r, c), g, valid);
    }
}

// *** 2. shared -> registers ***

// --8<-- [start:tile_load]
// Load the 16x16 block at (row0, col0) of a shared tile as a row tile: four 8x8 matrices, lane
// l giving the address of row l%16 of its matrix, at column 8*(l/16).
template <int R, int C>
__device__ __forceinline__ void load(rt_bf& dst, st_bf<R, C>& src, int row0, int col0) {
    int lane = threadIdx.x & 31;
    uint32_t a = smem_addr(src.ptr(row0 + (lane & 15), col0 + ((lane >> 4) << 3)));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(dst.r[0]), "=r"(dst.r[1]), "=r"(dst.r[2]), "=r"(dst.r[3]) : "r"(a));
}
// The same block as a col tile: ldmatrix.trans hands each lane the pairs along the rows, which
// is the B-operand layout when the shared tile is (K rows x N cols).
template <int R, int C>
__device__ __forceinline__ void load_trans(rt_bf& dst, st_bf<R, C>& src, int row0, int col0) {
    int lane = threadIdx.x & 31;
    uint32_t a = smem_addr(src.ptr(row0 + (lane & 15), col0 + ((lane >> 4) << 3)));
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(dst.r[0]), "=r"(dst.r[1]), "=r"(dst.r[2]), "=r"(dst.r[3]) : "r"(a));
}
// --8<-- [end:tile_load]

// *** 3. tile algebra ***

__device__ __forceinline__ void mma16816(float* d, const uint32_t* a, uint32_t b0, uint32_t b1) {
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
                 "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
                 : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// --8<-- [start:tile_mma]
// C += A @ B^T, B a row tile (rows n, cols k): Q K^T, or a GEMM against a K-major weight.
__device__ __forceinline__ void mma_ABt(rt_fl& c, const rt_bf& a, const rt_bf& b) {
    mma16816(&c.v[0], a.r, b.r[0], b.r[2]);  // output cols 0-7 use B rows 0-7
    mma16816(&c.v[4], a.r, b.r[1], b.r[3]);  // output cols 8-15 use B rows 8-15
}
// C += A @ B, B a col tile (loaded with load_trans from K rows x N cols): P V, or a GEMM.
__device__ __forceinline__ void mma_AB(rt_fl& c, const rt_bf& a, const rt_bf& b) {
    mma16816(&c.v[0], a.r, b.r[0], b.r[1]);
    mma16816(&c.v[4], a.r, b.r[2], b.r[3]);
}
// --8<-- [end:tile_mma]

__device__ __forceinline__ void zero(rt_fl& c) {
#pragma unroll
    for (int i = 0; i < 8; i++) c.v[i] = 0.f;
}

// fp32 accumulator -> bf16 operand; the positions already agree (see the header).
__device__ __forceinline__ void convert(rt_bf& dst, const rt_fl& src) {
#pragma unroll
    for (int i = 0; i < 4; i++) {
        __nv_bfloat162 h = __floats2bfloat162_rn(src.v[2 * i], src.v[2 * i + 1]);
        dst.r[i] = *reinterpret_cast<uint32_t*>(&h);
    }
}

// A lane holds elements of two rows: v[0,1,4,5] of row g and v[2,3,6,7] of row g+8.
// Row reductions combine a lane's four values, then the four lanes (t = 0..3) sharing g.
// --8<-- [start:tile_rowreduce]
__device__ __forceinline__ float quad_max(float x) {
    x = fmaxf(x, __shfl_xor_sync(0xffffffff, x, 1));
    return fmaxf(x, __shfl_xor_sync(0xffffffff, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
    x += __shfl_xor_sync(0xffffffff, x, 1);
    return x + __shfl_xor_sync(0xffffffff, x, 2);
}
// m[0] = max over row g, m[1] = over row g+8, of this tile, combined with the incoming m.
__device__ __forceinline__ void row_max(float m[2], const rt_fl& s) {
    m[0] = fmaxf(m[0], quad_max(fmaxf(fmaxf(s.v[0], s.v[1]), fmaxf(s.v[4], s.v[5]))));
    m[1] = fmaxf(m[1], quad_max(fmaxf(fmaxf(s.v[2], s.v[3]), fmaxf(s.v[6], s.v[7]))));
}
// This lane's partial row sums (not yet combined across the quad; see quad_sum).
__device__ __forceinline__ void row_sum_partial(float l[2], const rt_fl& s) {
    l[0] += s.v[0] + s.v[1] + s.v[4] + s.v[5];
    l[1] += s.v[2] + s.v[3] + s.v[6] + s.v[7];
}
// --8<-- [end:tile_rowreduce]

// Scale row g by f[0] and row g+8 by f[1].
__device__ __forceinline__ void mul_row(rt_fl& c, const float f[2]) {
#pragma unroll
    for (int i = 0; i < 8; i++) c.v[i] *= f[(i >> 1) & 1];
}

// *** 4. registers -> global ***

// Element (i, j) of this lane's part of the tile: the row and column it stands for.
__device__ __forceinline__ int lane_row(int i) {
    return ((threadIdx.x & 31) >> 2) + ((i >> 1) & 1) * 8;
}
__device__ __forceinline__ int lane_col(int i) {
    return ((threadIdx.x & 31) & 3) * 2 + (i & 1) + (i >> 2) * 8;
}

// Store a 16x16 fp32 tile at (row0, col0) of a row-major (rows x cols) float matrix, clipped.
__device__ __forceinline__ void store(float* dst, const rt_fl& c, int row0, int col0, int rows,
                                      int cols, int ld) {
#pragma unroll
    for (int i = 0; i < 8; i += 2) {
        int r = row0 + lane_row(i), k = col0 + lane_col(i);
        if (r < rows && k + 1 < cols && (ld & 1) == 0) {
            *reinterpret_cast<float2*>(dst + (size_t)r * ld + k) = make_float2(c.v[i], c.v[i + 1]);
        } else if (r < rows) {
            if (k < cols) dst[(size_t)r * ld + k] = c.v[i];
            if (k + 1 < cols) dst[(size_t)r * ld + k + 1] = c.v[i + 1];
        }
    }
}
// The same, to bf16 (rounded to nearest even).
__device__ __forceinline__ void store(__nv_bfloat16* dst, const rt_fl& c, int row0, int col0,
                                      int rows, int cols, int ld) {
#pragma unroll
    for (int i = 0; i < 8; i += 2) {
        int r = row0 + lane_row(i), k = col0 + lane_col(i);
        if (r < rows && k + 1 < cols && (ld & 1) == 0) {
            *reinterpret_cast<__nv_bfloat162*>(dst + (size_t)r * ld + k) =
                __floats2bfloat162_rn(c.v[i], c.v[i + 1]);
        } else if (r < rows) {
            if (k < cols) dst[(size_t)r * ld + k] = __float2bfloat16(c.v[i]);
            if (k + 1 < cols) dst[(size_t)r * ld + k + 1] = __float2bfloat16(c.v[i + 1]);
        }
    }
}

}  // namespace tile
