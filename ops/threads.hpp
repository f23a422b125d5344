#pragma once
// How many threads tapegrad's parallel loops and matrix products use.

namespace tg {

// Sets the thread count for the whole process, as torch::set_num_threads does: every thread,
// including threads started later, splits its loops across n threads. BLAS itself runs on one
// thread per call: tapegrad splits products across its own threads (one pool, so that two pools
// of spinning threads never compete for the cores). Results depend on the thread count, never on
// which thread calls (see README, "Threads"). Throws ValueError if n < 1.
void set_num_threads(int n);
// The current count: n from the last set_num_threads(n), else OpenMP's default when the library
// was loaded (OMP_NUM_THREADS if set, else the number of cores).
int num_threads();

}  // namespace tg
