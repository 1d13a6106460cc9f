#include <malloc.h>
#include <stdio.h>
#include "ckalm.h"

// Package.swift defines KALM_REVISION from the checkout's git state at build time, so the
// revision reaches the binary without a generated source file.
#ifndef KALM_REVISION
#define KALM_REVISION "unknown"
#endif

const char *kalm_build_revision(void) { return KALM_REVISION; }

void kalm_line_buffer_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

void kalm_release_free_memory(void) {
    malloc_trim(0);
}
