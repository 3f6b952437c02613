// The fused loop for any x86-64 CPU.
#include "kernel.h"

namespace radam4j {

void run_portable(const Work& w, int64_t begin, int64_t end) { dispatch<void>(w, begin, end); }
void tables_portable(const Work& w, int64_t begin, int64_t end) { tables<void>(w, begin, end); }
void peer_portable(const Work& w, int64_t begin, int64_t end) { peer(w, begin, end); }
GradScan scan_portable(const Work& w, int64_t begin, int64_t end) { return scan(w, begin, end); }

}  // namespace radam4j
