// The particle runtime's out-of-line part as one translation unit (see runtime_impl.hpp).
// engine/particle.py compiles it once per (M, Precision, flags) into runtime.o next to the
// precompiled header, with exactly the flags of the user's compiles plus -DUX_EXTERN_RUNTIME=1:
//   g++ -x c++ -std=gnu++17 -O2 -march=... -fno-math-errno -fpermissive -w -DUX_M=<M> -DUX_PRECISION=<P>
//       -DUX_EXTERN_RUNTIME=1 -c runtime.cpp -o runtime.o
#ifndef UX_EXTERN_RUNTIME
#error "compile runtime.cpp with -DUX_EXTERN_RUNTIME=1 (header-only builds do not need it)"
#endif
#define UX_RUNTIME_TU 1
#include "prelude.hpp"
