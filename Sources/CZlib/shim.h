// deflateInit2 is a macro in zlib.h, which Swift cannot call; wrap it.
#ifndef KALM_CZLIB_SHIM_H
#define KALM_CZLIB_SHIM_H
#include <zlib.h>

/// Initialises a deflate stream that writes the gzip container (windowBits 15 + 16).
static inline int kalm_deflate_init_gzip(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
/// Initialises a deflate stream that writes the zlib container (`Content-Encoding: deflate`).
static inline int kalm_deflate_init_zlib(z_streamp strm, int level) {
    return deflateInit2(strm, level, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY);
}
/// Initialises an inflate stream that accepts gzip or zlib input (windowBits 15 + 32).
static inline int kalm_inflate_init_auto(z_streamp strm) {
    return inflateInit2(strm, 15 + 32);
}
#endif
