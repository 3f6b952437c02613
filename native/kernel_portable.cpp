// The fused loop for any x86-64 CPU.
#include "kernel.h"

namespace radam4j {

void run_portable(const Work& w, int64_t begin, int64_t end) { dispatch<void>(w, begin, end); }
void tables_portable(const Work& w, int64_t begin, int64_t end) { tables<void>(w, begin, end); }
void peer_portable(const Work& w, int64_t begin, int64_t end) { peer(w, begin, end); }
bool non_finite_portable(const Work& w, int64_t begin, int64_t end) { return non_finite(w, begin, end); }

}  // namespace radam4j
