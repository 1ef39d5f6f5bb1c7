// Scalar functions WGSL lacks or defines differently from PyTorch; prepended to the
// elementwise kernels that use them.

// --8<-- [start:erf]
// erf to float32 accuracy: the Maclaurin series near 0, where erf(x) ~ 2x/sqrt(pi) needs
// relative accuracy; beyond, 1 - erfc with erfc from the Chebyshev fit of Numerical Recipes
// (fractional error < 1.2e-7).
fn erf_f32(x: f32) -> f32 {
    let a = abs(x);
    if (a < 0.5) {
        let s = a * a;  // erf(a) = 2/sqrt(pi) (a - a^3/3 + a^5/10 - a^7/42 + a^9/216 - ...)
        let series = 1.0 - s * (1.0 / 3.0 - s * (0.1 - s * (1.0 / 42.0 - s * (1.0 / 216.0
                     - s / 1320.0))));
        return x * 1.1283791670955126 * series;
    }
    let t = 1.0 / (1.0 + 0.5 * a);
    let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418
               + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587
               + t * (-0.82215223 + t * 0.17087277))))))));
    let erfc = t * exp(-a * a + poly);
    return sign(x) * (1.0 - erfc);
}
// --8<-- [end:erf]

// --8<-- [start:pow]
// PyTorch's pow: WGSL's pow(a, b) is exp2(b * log2(a)), undefined for a < 0. A negative base
// with an integer exponent takes the sign of its parity; with a fractional one it is NaN.
fn pow_f32(a: f32, b: f32) -> f32 {
    if (b == 0.0) { return 1.0; }
    if (a == 0.0) { return select(bitcast<f32>(0x7f800000u), 0.0, b > 0.0); }  // inf for b<0
    let m = pow(abs(a), b);
    if (a > 0.0) { return m; }
    if (floor(b) != b) { return bitcast<f32>(0x7fc00000u); }  // NaN
    return select(m, -m, abs(b % 2.0) == 1.0);
}

fn pow_i32(a: i32, b: i32) -> i32 {  // exponentiation by squaring; b < 0 truncates as torch does
    if (b < 0) { return select(select(0, 1, a == 1), select(1, -1, (b & 1) == 1), a == -1); }
    var base = a;
    var e = b;
    var acc = 1;
    while (e > 0) {
        if ((e & 1) == 1) { acc *= base; }
        base *= base;
        e >>= 1u;
    }
    return acc;
}
// --8<-- [end:pow]

// floor division: the quotient rounded down (Python's //); floats as torch, a / b then floor
fn floordiv_f32(a: f32, b: f32) -> f32 { return floor(a / b); }

// Integer // and % from unsigned division of the magnitudes: signed i32 `%` with a
// negative divisor came out wrong on one driver (NVIDIA's Vulkan, 580.159); unsigned is exact.
fn floordiv_i32(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }  // NOTE: torch raises; the launcher flags it (device_wgpu.FAULTS)
    let ua = u32(abs(a));
    let ub = u32(abs(b));
    let q = i32(ua / ub);  // |a| // |b|
    if ((a < 0) == (b < 0)) { return q; }
    return select(-q, -q - 1, ua % ub != 0u);  // the quotient is negative: round down
}

// NaN by its bits: shader compilers may fold `x != x` to false, as with -ffast-math
fn isnan_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }

// maximum that propagates NaN, as torch.maximum does (WGSL's max may drop it)
fn max_f32(a: f32, b: f32) -> f32 {
    if (isnan_f32(a) || isnan_f32(b)) { return bitcast<f32>(0x7fc00000u); }
    return max(a, b);
}

// Python's %: the remainder takes the divisor's sign (torch.remainder)
fn mod_f32(a: f32, b: f32) -> f32 { return a - b * floor(a / b); }

fn mod_i32(a: i32, b: i32) -> i32 {
    if (b == 0) { return 0; }  // NOTE: torch raises; see floordiv_i32
    return a - floordiv_i32(a, b) * b;
}

// tanh that neither overflows for large |x| (some drivers compute it from exp(2x)) nor loses NaN
fn tanh_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    return tanh(clamp(x, -20.0, 20.0));
}
