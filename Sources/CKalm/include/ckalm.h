#ifndef CKALM_H
#define CKALM_H

/// The git revision kalm was built from (Package.swift passes it as KALM_REVISION;
/// "unknown" outside a git checkout).
const char *kalm_build_revision(void);

/// Makes stdout line-buffered, so progress lines reach a pipe as they are printed.
/// (C's `stdout` is a mutable global that Swift 6 will not read from Swift code.)
void kalm_line_buffer_stdout(void);

/// Gives the heap's free pages back to the system (glibc's malloc_trim(0)). A scrape of a
/// large fleet builds and frees tens of MiB; without this the freed pages stay resident.
void kalm_release_free_memory(void);

#endif
