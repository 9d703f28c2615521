/* uxhw.h for Penumbra's particle (distributional) cores.
 *
 * In particle mode the whole UxHw API is defined by prelude.hpp, which the build force-includes
 * (-include prelude.hpp) before the user's code; this header only adds what Signaloid's public
 * uxhw.h adds on top: SignaloidParticleModifier and (for C programs) the min/max macros.
 * The Weighted{Double,Float}Sample types are defined by the prelude. */
#ifndef PENUMBRA_UXHW_H
#define PENUMBRA_UXHW_H
#ifndef UX_PARTICLE_PRELUDE
#error "Penumbra particle uxhw.h: build with -include prelude.hpp (see engine/particle.py)"
#endif
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* printf("%" SignaloidParticleModifier "lf", x) prints the particle only (the P length modifier) */
#define SignaloidParticleModifier "P"

#ifdef UX_LANG_C
/* Signaloid's header defines these; with a wide `double` a type-aware version avoids the
 * ambiguity of `cond ? x : 0` between the value type and int. Not defined for C++ sources
 * (they would break std::min / numeric_limits<T>::max()). */
#ifndef min
#define min(a, b) uxMin((a), (b))
#endif
#ifndef max
#define max(a, b) uxMax((a), (b))
#endif
#endif
#endif /* PENUMBRA_UXHW_H */
