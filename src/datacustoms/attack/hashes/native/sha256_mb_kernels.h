/* Every SHA-256 search kernel of one instruction set (the includer defines KPREFIX(suffix), which
 * pastes the suffix onto its name prefix, after including sha256_mb_impl.h): the zero-word
 * specialisations NZ 3, 4, 5 and the general NZ 16, the lane-invariant INV 2 ones, and the same
 * again with REV 1 (suffix _rev), which stop after round 56. */

#define KERNEL_NAME KPREFIX()
#define NZ 16
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz3)
#define NZ 3
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz4)
#define NZ 4
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz5)
#define NZ 5
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz3_inv2)
#define NZ 3
#define INV 2
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz4_inv2)
#define NZ 4
#define INV 2
#include "sha256_mb_kernel.h"

#define KERNEL_NAME KPREFIX(_rev)
#define NZ 16
#define REV 1
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz3_rev)
#define NZ 3
#define REV 1
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz4_rev)
#define NZ 4
#define REV 1
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz5_rev)
#define NZ 5
#define REV 1
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz3_inv2_rev)
#define NZ 3
#define INV 2
#define REV 1
#include "sha256_mb_kernel.h"
#define KERNEL_NAME KPREFIX(_nz4_inv2_rev)
#define NZ 4
#define INV 2
#define REV 1
#include "sha256_mb_kernel.h"

#undef KPREFIX
