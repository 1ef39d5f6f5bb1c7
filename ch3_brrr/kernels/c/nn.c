// Fused neural-net kernels of device "c": softmax, log-softmax, layernorm, cross-entropy, forward
// and back (ch2 runs them for its FUSED ops, registered in device_c.py).
//
// Shapes: R rows (all leading dims flattened) of C channels, dense; w, b (C); mean, rstd (R);
// targets (R) int64. One row per loop iteration, rows split among threads. Each is one pass
// over memory where ch2 composes 5-10 primitive ops (and as many temporaries); llm.c's
// train_gpt2.c writes the same kernels for the same reason.

#include "strided.h"
#include "vmath.h"
#include <tgmath.h>

// --8<-- [start:softmax_forward]
// out[r, :] = exp(x[r, :] - max) / sum(exp(x[r, :] - max)): subtracting the row max keeps exp
// from overflowing and does not change the result
#define SOFTMAX_FORWARD(NAME, T)                                                              \
    void NAME(T *out, const T *x, int64_t R, int64_t C) {                                     \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t r = 0; r < R; r++) {                                                     \
            const T *xr = x + r * C;                                                          \
            T *o = out + r * C, maxval = -INFINITY, sum = 0;                                  \
            for (int64_t c = 0; c < C; c++) maxval = xr[c] > maxval ? xr[c] : maxval;         \
            for (int64_t c = 0; c < C; c++) sum += o[c] = VEXP(xr[c] - maxval);                \
            for (int64_t c = 0; c < C; c++) o[c] /= sum;                                      \
        }                                                                                     \
    }
// --8<-- [end:softmax_forward]

// out[r, :] = (x[r, :] - max) - log(sum(exp(x[r, :] - max))): the log of the softmax without
// forming it, so a tiny probability does not underflow to log(0)
#define LOG_SOFTMAX_FORWARD(NAME, T)                                                          \
    void NAME(T *out, const T *x, int64_t R, int64_t C) {                                     \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t r = 0; r < R; r++) {                                                     \
            const T *xr = x + r * C;                                                          \
            T *o = out + r * C, maxval = -INFINITY, sum = 0;                                  \
            for (int64_t c = 0; c < C; c++) maxval = xr[c] > maxval ? xr[c] : maxval;         \
            for (int64_t c = 0; c < C; c++) sum += VEXP(xr[c] - maxval);                       \
            T logsum = log(sum);                                                              \
            for (int64_t c = 0; c < C; c++) o[c] = (xr[c] - maxval) - logsum;                 \
        }                                                                                     \
    }

// dx[r, :] = y * (dy - sum(dy * y)), y the softmax output
#define SOFTMAX_BACKWARD(NAME, T)                                                             \
    void NAME(T *dx, const T *y, const T *dy, int64_t R, int64_t C) {                         \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t r = 0; r < R; r++) {                                                     \
            const T *yr = y + r * C, *dyr = dy + r * C;                                       \
            T dot = 0;                                                                        \
            for (int64_t c = 0; c < C; c++) dot += dyr[c] * yr[c];                            \
            for (int64_t c = 0; c < C; c++) dx[r * C + c] = yr[c] * (dyr[c] - dot);           \
        }                                                                                     \
    }

// --8<-- [start:layernorm_forward]
// out = (x - mean) * rstd * w + b per row, rstd = 1 / sqrt(var + eps) with the biased variance;
// mean and rstd are kept for the backward pass
#define LAYERNORM_FORWARD(NAME, T)                                                            \
    void NAME(T *out, T *mean, T *rstd, const T *x, const T *w, const T *b, int64_t R,        \
              int64_t C, double eps) {                                                        \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t r = 0; r < R; r++) {                                                     \
            const T *xr = x + r * C;                                                          \
            T m = 0, v = 0;                                                                   \
            for (int64_t c = 0; c < C; c++) m += xr[c];                                       \
            m /= C;                                                                           \
            for (int64_t c = 0; c < C; c++) v += (xr[c] - m) * (xr[c] - m);                   \
            T s = 1 / sqrt(v / C + (T)eps);                                                   \
            for (int64_t c = 0; c < C; c++) out[r * C + c] = (xr[c] - m) * s * w[c] + b[c];   \
            mean[r] = m;                                                                      \
            rstd[r] = s;                                                                      \
        }                                                                                     \
    }
// --8<-- [end:layernorm_forward]

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dout * w, xhat = (x - mean) * rstd;
// dw = sum over rows of dout * xhat, db = sum over rows of dout (columns split among threads)
#define LAYERNORM_BACKWARD(NAME, T)                                                           \
    void NAME(T *dx, T *dw, T *db, const T *dout, const T *x, const T *mean, const T *rstd,   \
              const T *w, int64_t R, int64_t C) {                                             \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t r = 0; r < R; r++) {                                                     \
            const T *xr = x + r * C, *dr = dout + r * C;                                      \
            T gmean = 0, gxmean = 0;                                                          \
            for (int64_t c = 0; c < C; c++) {                                                 \
                T g = dr[c] * w[c], xhat = (xr[c] - mean[r]) * rstd[r];                       \
                gmean += g;                                                                   \
                gxmean += g * xhat;                                                           \
            }                                                                                 \
            gmean /= C;                                                                       \
            gxmean /= C;                                                                      \
            for (int64_t c = 0; c < C; c++) {                                                 \
                T xhat = (xr[c] - mean[r]) * rstd[r];                                         \
                dx[r * C + c] = rstd[r] * (dr[c] * w[c] - gmean - xhat * gxmean);             \
            }                                                                                 \
        }                                                                                     \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t c = 0; c < C; c++) {                                                     \
            T sw = 0, sb = 0;                                                                 \
            for (int64_t r = 0; r < R; r++) {                                                 \
                sw += dout[r * C + c] * (x[r * C + c] - mean[r]) * rstd[r];                   \
                sb += dout[r * C + c];                                                        \
            }                                                                                 \
            dw[c] = sw;                                                                       \
            db[c] = sb;                                                                       \
        }                                                                                     \
    }

// --8<-- [start:cross_entropy_forward]
// loss[r] = logsumexp(logits[r, :]) - logits[r, target[r]], the negative log of the softmax
// probability of the target, computed without forming the softmax
#define CROSS_ENTROPY_FORWARD(NAME, T)                                                        \
    void NAME(T *loss, const T *logits, const int64_t *target, int64_t R, int64_t C) {        \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t r = 0; r < R; r++) {                                                     \
            const T *lr = logits + r * C;                                                     \
            T maxval = -INFINITY, sum = 0;                                                    \
            for (int64_t c = 0; c < C; c++) maxval = lr[c] > maxval ? lr[c] : maxval;         \
            for (int64_t c = 0; c < C; c++) sum += VEXP(lr[c] - maxval);                       \
            loss[r] = log(sum) + maxval - lr[target[r]];                                      \
        }                                                                                     \
    }
// --8<-- [end:cross_entropy_forward]

// dlogits[r, :] = (softmax(logits[r, :]) - onehot(target[r])) * dloss[r]
#define CROSS_ENTROPY_BACKWARD(NAME, T)                                                       \
    void NAME(T *dlogits, const T *logits, const int64_t *target, const T *dloss, int64_t R,  \
              int64_t C) {                                                                    \
        _Pragma("omp parallel for if (R * C >= 262144)")                                       \
        for (int64_t r = 0; r < R; r++) {                                                     \
            const T *lr = logits + r * C;                                                     \
            T *d = dlogits + r * C, maxval = -INFINITY, sum = 0;                              \
            for (int64_t c = 0; c < C; c++) maxval = lr[c] > maxval ? lr[c] : maxval;         \
            for (int64_t c = 0; c < C; c++) sum += d[c] = VEXP(lr[c] - maxval);                \
            for (int64_t c = 0; c < C; c++) d[c] = d[c] / sum * dloss[r];                     \
            d[target[r]] -= dloss[r];                                                         \
        }                                                                                     \
    }

#define NN(T, S)                                                                              \
    SOFTMAX_FORWARD(softmax_forward_##S, T)                                                   \
    LOG_SOFTMAX_FORWARD(log_softmax_forward_##S, T)                                           \
    SOFTMAX_BACKWARD(softmax_backward_##S, T)                                                 \
    LAYERNORM_FORWARD(layernorm_forward_##S, T)                                               \
    LAYERNORM_BACKWARD(layernorm_backward_##S, T)                                             \
    CROSS_ENTROPY_FORWARD(cross_entropy_forward_##S, T)                                       \
    CROSS_ENTROPY_BACKWARD(cross_entropy_backward_##S, T)
NN(float, f32)
NN(double, f64)
