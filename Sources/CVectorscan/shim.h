#ifndef KEEL_CVECTORSCAN_SHIM_H
#define KEEL_CVECTORSCAN_SHIM_H
// Vectorscan: the portable fork of Intel's Hyperscan, same API (hs_compile_multi, hs_scan, …).
#include <hs/hs.h>
#endif
