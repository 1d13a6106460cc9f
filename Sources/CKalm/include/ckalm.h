#ifndef CKALM_H
#define CKALM_H

/// The git revision kalm was built from (Package.swift passes it as KALM_REVISION;
/// "unknown" outside a git checkout).
const char *kalm_build_revision(void);

/// Makes stdout line-buffered, so progress lines reach a pipe as they are printed.
/// (C's `stdout` is a mutable global that Swift 6 will not read from Swift code.)
void kalm_line_buffer_stdout(void);

#endif
