#pragma once
// Every training step allocates and frees the same large arrays. With glibc's defaults, freed
// blocks of more than 128 KiB go back to the operating system (unmapped or trimmed), and the
// next step page-faults them in again; that costs a CNN training step a third of its time or
// more. tapegrad therefore asks glibc, once, to keep blocks up to 256 MiB in the process
// (M_MMAP_THRESHOLD) and to return heap memory only when 1 GiB is free (M_TRIM_THRESHOLD).
// Set the environment variable TAPEGRAD_SYSTEM_MALLOC=1 to leave malloc alone.

namespace tg::detail {

// Applies the tuning once per process, unless TAPEGRAD_SYSTEM_MALLOC is set. Called when the
// first tape is created.
void tune_malloc_once();

// Whether the tuning was applied (for benchmarks' reports).
bool malloc_tuned();

}  // namespace tg::detail
