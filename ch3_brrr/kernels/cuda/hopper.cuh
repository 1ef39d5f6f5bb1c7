// hopper.cuh: what Hopper (sm_90a) adds for GEMMs, as small named functions.
//
//   wgmma     a warpgroup (4 warps, 128 threads) multiplies tiles its tensor cores read straight
//             from shared memory, described by 64-bit descriptors; asynchronous, in groups.
//   mbarrier  a barrier in shared memory that counts arrivals *and* bytes: a thread can wait for
//             a copy to land without having issued it.
//   TMA       the tensor memory accelerator: one thread asks for a whole 2-D box of a matrix
//             (described by a CUtensorMap made on the host); the hardware copies it into shared
//             memory, swizzled, zero-filling what lies past the matrix, and counts the bytes on
//             an mbarrier.
//   setmaxnreg  move registers between warpgroups: producers give theirs to consumers.
// All shared tiles here have rows of 128 bytes (64 bf16 or 32 fp32), swizzled in 8-row groups of
// 1024 bytes (16-byte chunk c of row r at chunk c ^ (r % 8)): tile.cuh's st_bf layout, TMA's
// 128-byte swizzle, and the layout wgmma's descriptor mode 1 reads are one and the same.
#pragma once
#include <cuda.h>
#include <stdint.h>
#include "tile.cuh"

namespace hopper {

using tile::smem_addr;

// Map a linear block id to (tile row, tile col) in groups of GROUP_M tile rows, so blocks that
// run at the same time share rows of A and columns of B in L2 (Triton's "grouped ordering").
__device__ __forceinline__ void grouped_tile(int tiles_m, int tiles_n, int& tm, int& tn) {
    constexpr int GROUP_M = 16;
    int id = blockIdx.x, per_group = GROUP_M * tiles_n;
    int first_m = (id / per_group) * GROUP_M, rows = min(tiles_m - first_m, GROUP_M);
    tm = first_m + (id % per_group) % rows;
    tn = (id % per_group) / rows;
}

// --8<-- [start:wgmma_desc]
// A shared-memory matrix descriptor (PTX ISA, "matrix descriptor format"): where a K-major
// tile starts, and how it is laid out. Our tiles are st_bf<R, 64>: rows of 128 bytes, swizzled
// in 8-row groups of 1024 bytes, which is exactly the 128-byte swizzle mode (bits 62-63 = 1);
// the stride between 8-row groups (bits 32-45) is 1024 bytes, addresses are in 16-byte units.
__device__ __forceinline__ uint64_t wgmma_desc(const void* smem_tile) {
    uint64_t addr = smem_addr(smem_tile);
    return ((addr & 0x3FFFF) >> 4) | (uint64_t(1) << 16) | (uint64_t(1024 >> 4) << 32) |
           (uint64_t(1) << 62);
}
// --8<-- [end:wgmma_desc]

__device__ __forceinline__ void wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" :: "n"(N) : "memory");
}

// The accumulator operands of a wgmma, 32, 64 or 128 fp32 registers per thread of the
// warpgroup, spelled out (inline asm has no loops): the names %0.. and the C operands.
#define WGMMA_R0 "%0,%1,%2,%3,%4,%5,%6,%7,%8,%9,%10,%11,%12,%13,%14,%15"
#define WGMMA_R1 "%16,%17,%18,%19,%20,%21,%22,%23,%24,%25,%26,%27,%28,%29,%30,%31"
#define WGMMA_R2 "%32,%33,%34,%35,%36,%37,%38,%39,%40,%41,%42,%43,%44,%45,%46,%47"
#define WGMMA_R3 "%48,%49,%50,%51,%52,%53,%54,%55,%56,%57,%58,%59,%60,%61,%62,%63"
#define WGMMA_R4 "%64,%65,%66,%67,%68,%69,%70,%71,%72,%73,%74,%75,%76,%77,%78,%79"
#define WGMMA_R5 "%80,%81,%82,%83,%84,%85,%86,%87,%88,%89,%90,%91,%92,%93,%94,%95"
#define WGMMA_R6 "%96,%97,%98,%99,%100,%101,%102,%103,%104,%105,%106,%107,%108,%109,%110,%111"
#define WGMMA_R7 "%112,%113,%114,%115,%116,%117,%118,%119,%120,%121,%122,%123,%124,%125,%126,%127"
#define WGMMA_REGS_32 WGMMA_R0 "," WGMMA_R1
#define WGMMA_REGS_64 WGMMA_REGS_32 "," WGMMA_R2 "," WGMMA_R3
#define WGMMA_REGS_128 WGMMA_REGS_64 "," WGMMA_R4 "," WGMMA_R5 "," WGMMA_R6 "," WGMMA_R7
#define WGMMA_OPERANDS_32 \
    "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), \
    "+f"(d[6]), "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), \
    "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), \
    "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), \
    "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), \
    "+f"(d[30]), "+f"(d[31])
#define WGMMA_OPERANDS_64 WGMMA_OPERANDS_32, \
    "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), \
    "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), \
    "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]), "+f"(d[49]), \
    "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]), \
    "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), \
    "+f"(d[62]), "+f"(d[63])
#define WGMMA_OPERANDS_128 WGMMA_OPERANDS_64, \
    "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), \
    "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), \
    "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), \
    "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), \
    "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), \
    "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), \
    "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]), "+f"(d[104]), "+f"(d[105]), \
    "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]), \
    "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), \
    "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), \
    "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])

// d (64 x 256 fp32, 128 registers per thread of the warpgroup) += A (64x16) @ B (256x16)^T.
__device__ __forceinline__ void wgmma_m64n256k16(float d[128], uint64_t da, uint64_t db) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {"
        WGMMA_REGS_128
        "}, %128, %129, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_OPERANDS_128
        : "l"(da), "l"(db), "r"(1));
}

// d (64 x 256 fp32) += A (64x8) @ B (256x8)^T in tf32: the tensor cores read fp32 words and use
// their top 19 bits (a 10-bit mantissa). tf32 has no transpose flags: both operands K-major.
__device__ __forceinline__ void wgmma_m64n256k8_tf32(float d[128], uint64_t da, uint64_t db) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %130, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n256k8.f32.tf32.tf32 {"
        WGMMA_REGS_128
        "}, %128, %129, p, 1, 1;\n}\n"
        : WGMMA_OPERANDS_128
        : "l"(da), "l"(db), "r"(1));
}

// --8<-- [start:mbarrier]
// An mbarrier completes a phase when `count` threads have arrived and every byte announced by
// expect_tx has landed; waiters name the phase by its parity (0, 1, 0, ...).
__device__ __forceinline__ void mbar_init(uint64_t* bar, int count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" :: "r"(smem_addr(bar)), "r"(count));
}
__device__ __forceinline__ void mbar_arrive(uint64_t* bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" :: "r"(smem_addr(bar)) : "memory");
}
// Arrive, and announce `bytes` that asynchronous copies will deliver to this phase.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint64_t* bar, int bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n"
                 :: "r"(smem_addr(bar)), "r"(bytes) : "memory");
}
__device__ __forceinline__ bool mbar_try_wait(uint64_t* bar, int parity) {
    uint32_t done;
    asm volatile("{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\n"
                 "selp.u32 %0, 1, 0, p;\n}\n"
                 : "=r"(done) : "r"(smem_addr(bar)), "r"(parity) : "memory");
    return done;
}
__device__ __forceinline__ void mbar_wait(uint64_t* bar, int parity) {
    while (!mbar_try_wait(bar, parity)) {
    }
}
// --8<-- [end:mbarrier]

// --8<-- [start:tma_load]
// One thread: copy the box whose first element is (row, col) of the matrix `map` describes into
// shared memory at dst, counting its bytes on bar. Coordinates go innermost first.
__device__ __forceinline__ void tma_load_2d(void* dst, const CUtensorMap* map, int col, int row,
                                            uint64_t* bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes"
        " [%0], [%1, {%2, %3}], [%4];\n"
        :: "r"(smem_addr(dst)), "l"(reinterpret_cast<uint64_t>(map)), "r"(col), "r"(row),
           "r"(smem_addr(bar)) : "memory");
}
// --8<-- [end:tma_load]

// Registers per thread of this warpgroup, from now on (a multiple of 8, 24..256).
template <int N>
__device__ __forceinline__ void setmaxnreg_dec() {
    asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" :: "n"(N));
}
template <int N>
__device__ __forceinline__ void setmaxnreg_inc() {
    asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" :: "n"(N));
}


// *** Additions for flash attention (attention_hopper.cu) ***

// --8<-- [start:wgmma_desc_mn]
// The descriptor of an MN-major tile: V (keys x D, D contiguous) as the B operand of P @ V, read
// with imm-trans-b = 1. Its rows (one key each) are 128 bytes, swizzled in 8-row groups of 1024
// bytes like every tile here; one 16-key step spans two groups, 1024 bytes apart. With N = 64
// the tile is one swizzle atom wide, so the leading offset (atom to atom along N) is never used
// and is given the same 1024 bytes as the stride offset.
__device__ __forceinline__ uint64_t wgmma_desc_mn(const void* smem_tile) {
    uint64_t addr = smem_addr(smem_tile);
    return ((addr & 0x3FFFF) >> 4) | (uint64_t(1024 >> 4) << 16) | (uint64_t(1024 >> 4) << 32) |
           (uint64_t(1) << 62);
}
// --8<-- [end:wgmma_desc_mn]


// d (64 x 128 fp32, 64 registers per thread) = A (64x16) @ B (128x16)^T, + d if accumulate:
// both operands K-major in shared memory (S = Q K^T: 64 queries, 128 keys, 16 of D).
__device__ __forceinline__ void wgmma_m64n128k16_ss(float d[64], uint64_t da, uint64_t db,
                                                    int accumulate) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {" WGMMA_REGS_64 "}, "
        "%64, %65, p, 1, 1, 0, 0;\n}\n"
        : WGMMA_OPERANDS_64
        : "l"(da), "l"(db), "r"(accumulate));
}

// d (64 x 64 fp32, 32 registers per thread) += A (64x16, bf16 in registers: the mma.sync A
// layout, warp w holding rows 16w..16w+15) @ B (16x64, MN-major in shared memory): O += P V.
__device__ __forceinline__ void wgmma_m64n64k16_rs(float d[32], const uint32_t a[4],
                                                   uint64_t db) {
    asm volatile(
        "{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
        "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 {" WGMMA_REGS_32 "}, "
        "{%32, %33, %34, %35}, %36, p, 1, 1, 1;\n}\n"
        : WGMMA_OPERANDS_32
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(db), "r"(1));
}

}  // namespace hopper
