"""Chapter 3, make it go brrr: device runtimes and hand-written kernels (not built yet).

The plan (see book/ch3_brrr.md): runtime/ops_<device>.py with tinygrad's Allocator, Compiler,
Program and Device for C with OpenMP, CUDA through pycuda and WGSL through wgpu; kernels/<lang>/
holding one file per op with every rung of its ladder; ladders/ drivers that check each rung
against a float64 reference and time it against the vendor baseline. Imports ch1 and ch2 only.
"""
