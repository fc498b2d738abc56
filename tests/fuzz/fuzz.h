/* fuzz: the entry point every target in tests/fuzz/ defines. libFuzzer calls
 * it with generated inputs; standalone.c calls it with each seed file. A
 * target returns 0 and reports a broken invariant by aborting. */
#ifndef SITREP_FUZZ_H
#define SITREP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
