// Penumbra particle runtime: C/C++ compiled as C++ with `double`/`float` replaced by
// ux::Double (an IEEE "particle" + UX_M samples).  See README.md in this folder.
//
// Build (what engine/particle.py emits; RUNTIME = runtime.o built from runtime.cpp with the same flags):
//   g++ -x c++ -std=gnu++17 -O2 -fno-math-errno -fpermissive -w -DUX_M=<M> -DUX_PRECISION=<P>
//       -DUX_EXTERN_RUNTIME=1 -include prelude.hpp -I<this dir>/include <sources> -x none RUNTIME -o out -lm
// Without -DUX_EXTERN_RUNTIME the header is self-contained (it includes runtime_impl.hpp inline).
//
// Only what must inline into the user's code for speed is defined here: the value type, its
// arithmetic, comparisons and the cheap vectorisable <math.h> functions, plus thin fronts (printf and
// scanf argument packing, UxHw API forwarders).  Everything else is declared here and defined in
// runtime_impl.hpp.
//
// Everything in this header is parsed BEFORE `double`/`float` become macros (at the very end),
// so system headers see the real types.  Only the user's code sees the macros.
#ifndef PENUMBRA_UX_PRELUDE_HPP
#define PENUMBRA_UX_PRELUDE_HPP
#define UX_PARTICLE_PRELUDE 1
// ---- 1. every system header a user program might include (before the macros) ----------
#include <bits/stdc++.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <math.h>
#include <stdint.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>
#include <float.h>
#include <limits.h>
#include <ctype.h>
#include <errno.h>
#include <assert.h>
#include <signal.h>
#include <fcntl.h>
#include <setjmp.h>
#include <locale.h>
#include <wchar.h>
#include <wctype.h>
#include <fenv.h>
#include <pthread.h>
#include <dirent.h>
#include <libgen.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/ioctl.h>

#ifndef UX_M
#define UX_M 256
#endif
#ifndef UX_PRECISION
#define UX_PRECISION 64
#endif
#ifndef UX_SAMPLING            // 0 i.i.d. random, 1 jittered stratified, 2 midpoint stratified, 3 scrambled Sobol (default)
#define UX_SAMPLING 3
#endif
#ifndef UX_MIN_STACK           // the binary re-execs itself once with a larger stack if the limit is below this
#define UX_MIN_STACK (1024ull * 1024 * 1024)
#endif

#define UX_LOOP _Pragma("GCC ivdep") for (int i = 0; i < ::ux::M; i++)

#ifdef UX_EXTERN_RUNTIME       // defined in runtime.o (runtime.cpp), declared here
#define UX_RT
#else                          // header-only: defined inline below (runtime_impl.hpp)
#define UX_RT inline
#endif

namespace ux {
constexpr int M = UX_M;
constexpr int PRECISION = UX_PRECISION;
static_assert(M >= 1, "UX_M must be positive");

// ================================ the value type ====================================
struct alignas(16) Double {
	double particle;   // the IEEE value the program computes with (branches use it)
	uint64_t dist;     // 0: particle-only (samples unused, garbage allowed); else samples valid
	double s[M];       // samples; index i of every value belongs to the same "world"

	Double() = default;  // trivial: C semantics (uninitialised locals, calloc/memset 0 == 0.0)
	Double(double v) noexcept : particle(v), dist(0) {}
	// Variant B: explicit to double, implicit only to integers/bool.
	explicit operator double() const noexcept { return particle; }
	explicit operator long double() const noexcept { return particle; }
	template <class T, std::enable_if_t<std::is_integral<T>::value, int> = 0>
	operator T() const noexcept { return (T)particle; }

	// Assignment from scalars does not touch the samples (non-copy assignments keep triviality).
	template <class T, std::enable_if_t<std::is_arithmetic<T>::value || std::is_enum<T>::value, int> = 0>
	Double &operator=(T v) noexcept { particle = (double)v; dist = 0; return *this; }

	inline Double &operator+=(const Double &o) noexcept;
	inline Double &operator-=(const Double &o) noexcept;
	inline Double &operator*=(const Double &o) noexcept;
	inline Double &operator/=(const Double &o) noexcept;
	Double &operator++() noexcept { return *this += 1.0; }
	Double &operator--() noexcept { return *this -= 1.0; }
	Double operator++(int) noexcept { Double t = *this; *this += 1.0; return t; }
	Double operator--(int) noexcept { Double t = *this; *this -= 1.0; return t; }
};
static_assert(std::is_trivially_copyable<Double>::value, "Double must be trivially copyable");
static_assert(std::is_trivially_default_constructible<Double>::value, "trivial default ctor");
static_assert(std::is_standard_layout<Double>::value, "standard layout");

template <class T> using EnableArith = std::enable_if_t<std::is_arithmetic<T>::value || std::is_enum<T>::value, int>;

// element access that works for particle-only values (all samples equal the particle)
inline double at(const Double &x, int i) { return x.dist ? x.s[i] : x.particle; }
inline Double constant(double v) { return Double(v); }
// ================================ arithmetic =========================================
template <class F> inline Double unop(const Double &a, F f) noexcept {
	Double r; r.particle = f(a.particle); r.dist = a.dist;
	if (a.dist) { const double *__restrict as = a.s; double *__restrict rs = r.s; UX_LOOP rs[i] = f(as[i]); }
	return r;
}
template <class F> inline Double binop(const Double &a, const Double &b, F f) noexcept {
	Double r; r.particle = f(a.particle, b.particle); r.dist = a.dist | b.dist;
	double *__restrict rs = r.s;
	if (a.dist && b.dist) { const double *__restrict as = a.s, *__restrict bs = b.s; UX_LOOP rs[i] = f(as[i], bs[i]); }
	else if (a.dist) { const double *__restrict as = a.s; const double c = b.particle; UX_LOOP rs[i] = f(as[i], c); }
	else if (b.dist) { const double *__restrict bs = b.s; const double c = a.particle; UX_LOOP rs[i] = f(c, bs[i]); }
	return r;
}
template <class F> inline Double binopScalarR(const Double &a, double c, F f) noexcept {
	Double r; r.particle = f(a.particle, c); r.dist = a.dist;
	if (a.dist) { const double *__restrict as = a.s; double *__restrict rs = r.s; UX_LOOP rs[i] = f(as[i], c); }
	return r;
}
template <class F> inline Double binopScalarL(double c, const Double &b, F f) noexcept {
	Double r; r.particle = f(c, b.particle); r.dist = b.dist;
	if (b.dist) { const double *__restrict bs = b.s; double *__restrict rs = r.s; UX_LOOP rs[i] = f(c, bs[i]); }
	return r;
}
template <class F> inline void inplace(Double &a, const Double &b, F f) noexcept {
	if (b.dist) {
		if (a.dist) { UX_LOOP a.s[i] = f(a.s[i], b.s[i]); }
		else { const double c = a.particle; UX_LOOP a.s[i] = f(c, b.s[i]); a.dist = 1; }
	} else if (a.dist) { const double c = b.particle; UX_LOOP a.s[i] = f(a.s[i], c); }
	a.particle = f(a.particle, b.particle);
}
template <class F> inline void inplaceScalar(Double &a, double c, F f) noexcept {
	if (a.dist) { UX_LOOP a.s[i] = f(a.s[i], c); }
	a.particle = f(a.particle, c);
}

#define UX_BINOP(OP, NAME)                                                                                        \
	struct NAME { double operator()(double x, double y) const noexcept { return x OP y; } };                          \
	inline Double operator OP(const Double &a, const Double &b) noexcept { return binop(a, b, NAME{}); }             \
	template <class T, EnableArith<T> = 0> inline Double operator OP(const Double &a, T b) noexcept { return binopScalarR(a, (double)b, NAME{}); } \
	template <class T, EnableArith<T> = 0> inline Double operator OP(T a, const Double &b) noexcept { return binopScalarL((double)a, b, NAME{}); } \
	inline Double &Double::operator OP##=(const Double &o) noexcept { inplace(*this, o, NAME{}); return *this; }
UX_BINOP(+, OpAdd) UX_BINOP(-, OpSub) UX_BINOP(*, OpMul) UX_BINOP(/, OpDiv)
#undef UX_BINOP
template <class T, EnableArith<T> = 0> inline Double &operator+=(Double &a, T b) noexcept { inplaceScalar(a, (double)b, OpAdd{}); return a; }
template <class T, EnableArith<T> = 0> inline Double &operator-=(Double &a, T b) noexcept { inplaceScalar(a, (double)b, OpSub{}); return a; }
template <class T, EnableArith<T> = 0> inline Double &operator*=(Double &a, T b) noexcept { inplaceScalar(a, (double)b, OpMul{}); return a; }
template <class T, EnableArith<T> = 0> inline Double &operator/=(Double &a, T b) noexcept { inplaceScalar(a, (double)b, OpDiv{}); return a; }
// C allows `int i; i += x;` with a double x
template <class T, std::enable_if_t<std::is_integral<T>::value, int> = 0> inline T &operator+=(T &a, const Double &b) noexcept { return a = (T)(a + b.particle); }
template <class T, std::enable_if_t<std::is_integral<T>::value, int> = 0> inline T &operator-=(T &a, const Double &b) noexcept { return a = (T)(a - b.particle); }
template <class T, std::enable_if_t<std::is_integral<T>::value, int> = 0> inline T &operator*=(T &a, const Double &b) noexcept { return a = (T)(a * b.particle); }
template <class T, std::enable_if_t<std::is_integral<T>::value, int> = 0> inline T &operator/=(T &a, const Double &b) noexcept { return a = (T)(a / b.particle); }
inline Double operator-(const Double &a) noexcept { return unop(a, [](double x) { return -x; }); }
inline Double operator+(const Double &a) noexcept { return a; }
inline bool operator!(const Double &a) noexcept { return !a.particle; }

#define UX_CMP(OP)                                                                                                    \
	inline bool operator OP(const Double &a, const Double &b) noexcept { return a.particle OP b.particle; }           \
	template <class T, EnableArith<T> = 0> inline bool operator OP(const Double &a, T b) noexcept { return a.particle OP (double)b; } \
	template <class T, EnableArith<T> = 0> inline bool operator OP(T a, const Double &b) noexcept { return (double)a OP b.particle; }
UX_CMP(==) UX_CMP(!=) UX_CMP(<) UX_CMP(>) UX_CMP(<=) UX_CMP(>=)
#undef UX_CMP
inline bool operator&&(const Double &a, const Double &b) noexcept { return a.particle && b.particle; }
inline bool operator||(const Double &a, const Double &b) noexcept { return a.particle || b.particle; }

// ================================ <math.h> =========================================
// Inline: the cheap vectorisable ones, and pow (constant exponents fold). The ones that call libm once per
// sample are out of line (UX_RT): next to that loop a call costs nothing.
#define UX_UN(F, G) inline Double F(const Double &a) noexcept { return unop(a, [](double x) { return ::G(x); }); }
#define UX_UNF(F) UX_UN(F, F) UX_UN(F##f, F) UX_UN(F##l, F)
UX_UNF(sqrt) UX_UNF(fabs) UX_UNF(floor) UX_UNF(ceil) UX_UNF(round) UX_UNF(trunc) UX_UNF(rint) UX_UNF(nearbyint)
UX_UN(abs, fabs)
#undef UX_UNF
#undef UX_UN
#define UX_BI(F, G)                                                                                                    \
	inline Double F(const Double &a, const Double &b) noexcept { return binop(a, b, [](double x, double y) { return ::G(x, y); }); } \
	template <class T, EnableArith<T> = 0> inline Double F(const Double &a, T b) noexcept { return binopScalarR(a, (double)b, [](double x, double y) { return ::G(x, y); }); } \
	template <class T, EnableArith<T> = 0> inline Double F(T a, const Double &b) noexcept { return binopScalarL((double)a, b, [](double x, double y) { return ::G(x, y); }); }
#define UX_BIF(F) UX_BI(F, F) UX_BI(F##f, F) UX_BI(F##l, F)
UX_BIF(fmin) UX_BIF(fmax) UX_BIF(copysign) UX_BIF(fdim)
UX_BIF(pow)  // inline: GCC folds constant exponents (pow(x, 2.0) -> x*x, pow(x, 0.5) -> sqrt: 10x faster)
#undef UX_BIF
#undef UX_BI
#define UX_MATH_UNARY(X) X(cbrt) X(exp) X(exp2) X(expm1) X(log) X(log2) X(log10) X(log1p) X(logb) X(sin) X(cos) X(tan) \
	X(asin) X(acos) X(atan) X(sinh) X(cosh) X(tanh) X(asinh) X(acosh) X(atanh) X(erf) X(erfc) X(tgamma) X(lgamma)
#define UX_MATH_BINARY(X) X(atan2) X(fmod) X(hypot) X(remainder) X(nextafter)
#define UX_UN(F)                                                                                                       \
	UX_RT Double F(const Double &a) noexcept;                                                                          \
	inline Double F##f(const Double &a) noexcept { return F(a); } inline Double F##l(const Double &a) noexcept { return F(a); }
UX_MATH_UNARY(UX_UN)
#undef UX_UN
#define UX_BI1(F, G)                                                                                                   \
	inline Double F(const Double &a, const Double &b) noexcept { return G(a, b); }                                     \
	template <class T, EnableArith<T> = 0> inline Double F(const Double &a, T b) noexcept { return G##_r(a, (double)b); } \
	template <class T, EnableArith<T> = 0> inline Double F(T a, const Double &b) noexcept { return G##_l((double)a, b); }
#define UX_BI(F)                                                                                                       \
	UX_RT Double F(const Double &a, const Double &b) noexcept;                                                         \
	UX_RT Double F##_r(const Double &a, double c) noexcept;  /* the scalar-operand cases */                            \
	UX_RT Double F##_l(double c, const Double &b) noexcept;                                                            \
	template <class T, EnableArith<T> = 0> inline Double F(const Double &a, T b) noexcept { return F##_r(a, (double)b); } \
	template <class T, EnableArith<T> = 0> inline Double F(T a, const Double &b) noexcept { return F##_l((double)a, b); } \
	UX_BI1(F##f, F) UX_BI1(F##l, F)
UX_MATH_BINARY(UX_BI)
#undef UX_BI
#undef UX_BI1
inline Double fma(const Double &a, const Double &b, const Double &c) noexcept { return a * b + c; }
inline Double fmaf(const Double &a, const Double &b, const Double &c) noexcept { return a * b + c; }
inline Double ldexp(const Double &a, int e) noexcept { return a * std::ldexp(1.0, e); }
inline Double ldexpf(const Double &a, int e) noexcept { return a * std::ldexp(1.0, e); }
inline Double scalbn(const Double &a, int e) noexcept { return a * std::ldexp(1.0, e); }
inline Double frexp(const Double &a, int *e) noexcept { int ep = 0; ::frexp(a.particle, &ep); if (e) *e = ep; return a * std::ldexp(1.0, -ep); }
inline Double frexpf(const Double &a, int *e) noexcept { return frexp(a, e); }
inline Double modf(const Double &a, Double *ip) noexcept { Double t = trunc(a); if (ip) *ip = t; return a - t; }
inline Double modff(const Double &a, Double *ip) noexcept { return modf(a, ip); }
inline long lround(const Double &a) noexcept { return ::lround(a.particle); }
inline long long llround(const Double &a) noexcept { return ::llround(a.particle); }
inline long lrint(const Double &a) noexcept { return ::lrint(a.particle); }
inline long long llrint(const Double &a) noexcept { return ::llrint(a.particle); }
inline int ilogb(const Double &a) noexcept { return ::ilogb(a.particle); }
inline bool isnan(const Double &a) noexcept { return std::isnan(a.particle); }
inline bool isinf(const Double &a) noexcept { return std::isinf(a.particle); }
inline bool isfinite(const Double &a) noexcept { return std::isfinite(a.particle); }
inline bool isnormal(const Double &a) noexcept { return std::isnormal(a.particle); }
inline bool signbit(const Double &a) noexcept { return std::signbit(a.particle); }
inline int fpclassify(const Double &a) noexcept { return std::fpclassify(a.particle); }
#define UX_CMPF(F) inline bool F(const Double &a, const Double &b) noexcept { return std::F(a.particle, b.particle); }
UX_CMPF(isgreater) UX_CMPF(isgreaterequal) UX_CMPF(isless) UX_CMPF(islessequal) UX_CMPF(islessgreater) UX_CMPF(isunordered)
#undef UX_CMPF

// ================================ out of line (runtime_impl.hpp) =====================
// creators
UX_RT Double UniformDist(const Double &a, const Double &b);
UX_RT Double GaussDist(const Double &mu, const Double &sd);
UX_RT Double ExponentialDist(const Double &mu);
UX_RT Double Gumbel1Dist(const Double &mu, const Double &beta);
UX_RT Double LogisticDist(const Double &loc, const Double &scale);
UX_RT Double LaplaceDist(const Double &mu, const Double &b);
UX_RT Double WeibullDist(const Double &k, const Double &lambda);
UX_RT Double LognormalDist(const Double &mu, const Double &sigma);
UX_RT Double BoundedparetoDist(const Double &alpha, const Double &xMin, const Double &xMax);
UX_RT Double BetaDist(const Double &a, const Double &b);
UX_RT Double GammaDist(const Double &k, const Double &theta);
UX_RT Double InverseGammaDist(const Double &alpha, const Double &beta);
UX_RT Double ChiSquaredDist(const Double &k);
UX_RT Double FDist(const Double &d1, const Double &d2);
UX_RT Double StudentsTDist(const Double &nu);
UX_RT Double GEVDist(const Double &xi);
UX_RT Double DistFromSamples(const Double *in, size_t n);
UX_RT void DistFromMultidimensionalSamples(Double *dest, void *samples, size_t count, size_t card);
UX_RT Double Mixture(const Double &a, const Double &b, const Double &pv);
UX_RT Double GetIndependentCopy(const Double &x);
UX_RT void GetIndependentJointMultidimensionalCopy(const Double *src, Double *dest, size_t n);
UX_RT Double LimitDistributionSupport(const Double &x, const Double &lo, const Double &hi);
// queries
UX_RT Double NthMoment(const Double &x, size_t n);
UX_RT Double SupportMin(const Double &x);
UX_RT Double SupportMax(const Double &x);
UX_RT Double ProbabilityGT(const Double &x, const Double &cut);
UX_RT Double Quantile(const Double &x, const Double &pv);
UX_RT Double EvaluatePDF(const Double &x, const Double &at_);
UX_RT Double NthMode(const Double &x, size_t n);
UX_RT Double Sample(const Double &x);
UX_RT void SampleBatch(const Double &x, Double *dst, size_t n);
UX_RT Double BayesLaplace(Double (*model)(void *, Double), void *params, const Double &prior, const Double &obs, size_t nObs);
UX_RT Double Argmin(const Double &f, const Double *args, size_t n, Double *minimizing);
// Ux strings
UX_RT std::string uxString(const Double &x);
UX_RT Double strtodUx(const char *s, char **end);  // strtod that understands "<number>Ux<hex>" and "Ux<hex>"

// printf family: the variadic templates below pack their arguments into Arg and call one of these
struct Arg { int k; long long i; double d; const void *p; const Double *x; };  // k: 0 int 1 dbl 2 ptr 3 Double
inline Arg mk(const Double &x) { Arg a{3, 0, 0, 0, &x}; return a; }
template <class T> inline Arg mk(const T &v) {
	Arg a{0, 0, 0, 0, 0};
	if constexpr (std::is_floating_point<T>::value) { a.k = 1; a.d = (double)v; }
	else if constexpr (std::is_arithmetic<T>::value || std::is_enum<T>::value) { a.k = 0; a.i = (long long)v; }
	else if constexpr (std::is_pointer<T>::value || std::is_array<T>::value || std::is_null_pointer<T>::value) { a.k = 2; a.p = (const void *)v; }
	else if constexpr (std::is_same<T, std::string>::value) { a.k = 2; a.p = v.c_str(); }
	else { static_assert(sizeof(T) == 0, "penumbra printf: unsupported argument type"); }
	return a;
}
UX_RT std::string vformat(const char *f, const Arg *a, size_t n);
UX_RT int printTo(FILE *fp, const char *f, const Arg *a, size_t n);          // printf, fprintf
UX_RT int printFd(int fd, const char *f, const Arg *a, size_t n);            // dprintf
UX_RT int printN(char *d, size_t cap, const char *f, const Arg *a, size_t n); // snprintf
UX_RT int printS(char *d, size_t arraySize, const char *f, const Arg *a, size_t n);  // sprintf (arraySize 0: unknown)

// scanf family: float conversions whose target is a ux::Double parse "<num>[Ux<hex>]" themselves; every
// other directive is delegated to libc one at a time (with %n to track the position).
// `float` and `double` are the same wide type, so %f/%e/%g (no l) are read as wide values too.
struct ScanArg { void *p; bool isDouble; };
inline ScanArg sa(Double *p) { return {p, true}; }
template <class T> inline ScanArg sa(T *p) { return {(void *)p, false}; }
template <class T> inline ScanArg sa(T) { return {nullptr, false}; }
UX_RT int scanStr(const char *str, const char *f, ScanArg *args, size_t n);  // sscanf
UX_RT int scanFile(FILE *fp, const char *f, ScanArg *args, size_t n);       // fscanf, scanf
}  // namespace ux

typedef struct { ::ux::Double sample; ::ux::Double sampleWeight; } WeightedDoubleSample;
typedef struct { ::ux::Double sample; ::ux::Double sampleWeight; } WeightedFloatSample;
namespace ux {
UX_RT Double DistFromWeightedSamples(const WeightedDoubleSample *w, size_t n);
UX_RT Double DistFromWeightedSamples(const WeightedFloatSample *w, size_t n);
}  // namespace ux
UX_RT std::ostream &operator<<(std::ostream &os, const ::ux::Double &x);
UX_RT std::istream &operator>>(std::istream &is, ::ux::Double &x);
UX_RT void uxGeneratePath(const char *nm, void *params[], size_t nP, size_t len, size_t nS, void (*gen)(void *, ::ux::Double **, size_t, size_t), ::ux::Double ***res);
UX_RT void uxGenerateConvergingPath(const char *nm, void *params[], size_t nP, size_t maxLen, size_t nS, bool (*gen)(void *, ::ux::Double **, size_t, size_t), ::ux::Double **res);

// The definitions, when this translation unit has them: before the printf/scanf templates below, so
// the engines' own snprintf/sscanf calls reach libc, and before the `using ux::...` declarations.
#if !defined(UX_EXTERN_RUNTIME) || defined(UX_RUNTIME_TU)
#include "runtime_impl.hpp"
#endif
#undef UX_MATH_UNARY
#undef UX_MATH_BINARY

// printf-family wrappers (the variadic templates beat the C varargs declarations in overload resolution)
template <class... A> inline int printf(const char *f, const A &...a) { ::ux::Arg v[] = {::ux::mk(a)..., ::ux::Arg{}}; return ::ux::printTo(stdout, f, v, sizeof...(A)); }
template <class... A> inline int fprintf(FILE *fp, const char *f, const A &...a) { ::ux::Arg v[] = {::ux::mk(a)..., ::ux::Arg{}}; return ::ux::printTo(fp, f, v, sizeof...(A)); }
template <class... A> inline int dprintf(int fd, const char *f, const A &...a) { ::ux::Arg v[] = {::ux::mk(a)..., ::ux::Arg{}}; return ::ux::printFd(fd, f, v, sizeof...(A)); }
template <class... A> inline int snprintf(char *d, size_t n, const char *f, const A &...a) { ::ux::Arg v[] = {::ux::mk(a)..., ::ux::Arg{}}; return ::ux::printN(d, n, f, v, sizeof...(A)); }
// sprintf: into an array of known size, if the Ux strings do not fit, print particles only (warn once)
template <class D, class... A> inline int sprintf(D &&d, const char *f, const A &...a) {
	::ux::Arg v[] = {::ux::mk(a)..., ::ux::Arg{}};
	using DT = std::remove_reference_t<D>;
	size_t n = 0;
	if constexpr (std::is_array<DT>::value) n = std::extent<DT>::value;
	char *dp = d; return ::ux::printS(dp, n, f, v, sizeof...(A));
}

// ---- strtod / atof ---------------------------------------------------------------------
inline ::ux::Double ux_strtod(const char *s, char **end) { return ::ux::strtodUx(s, end); }
inline ::ux::Double ux_atof(const char *s) { return ::ux::strtodUx(s, nullptr); }

// ---- scanf family -----------------------------------------------------------------------
template <class... A> inline int sscanf(const char *str, const char *f, A... a) { ::ux::ScanArg v[] = {::ux::sa(a)..., ::ux::ScanArg{}}; return ::ux::scanStr(str, f, v, sizeof...(A)); }
template <class... A> inline int fscanf(FILE *fp, const char *f, A... a) { ::ux::ScanArg v[] = {::ux::sa(a)..., ::ux::ScanArg{}}; return ::ux::scanFile(fp, f, v, sizeof...(A)); }
template <class... A> inline int scanf(const char *f, A... a) { ::ux::ScanArg v[] = {::ux::sa(a)..., ::ux::ScanArg{}}; return ::ux::scanFile(stdin, f, v, sizeof...(A)); }

// ================================ UxHw API (global, plain functions) ===============
#define UX_D ::ux::Double
#define UX_API2(NAME, PARAMS, ARGS) \
	inline UX_D UxHwDouble##NAME PARAMS { return ::ux::NAME ARGS; } inline UX_D UxHwFloat##NAME PARAMS { return ::ux::NAME ARGS; }
UX_API2(UniformDist, (const UX_D &a, const UX_D &b), (a, b))
UX_API2(GaussDist, (const UX_D &mu, const UX_D &sigma), (mu, sigma))
UX_API2(ExponentialDist, (const UX_D &mu), (mu))
UX_API2(Gumbel1Dist, (const UX_D &mu, const UX_D &beta), (mu, beta))
UX_API2(LogisticDist, (const UX_D &l, const UX_D &s), (l, s))
UX_API2(LaplaceDist, (const UX_D &mu, const UX_D &b), (mu, b))
UX_API2(WeibullDist, (const UX_D &k, const UX_D &lambda), (k, lambda))
UX_API2(LognormalDist, (const UX_D &mu, const UX_D &sigma), (mu, sigma))
UX_API2(BoundedparetoDist, (const UX_D &alpha, const UX_D &xMin, const UX_D &xMax), (alpha, xMin, xMax))
UX_API2(BetaDist, (const UX_D &a, const UX_D &b), (a, b))
UX_API2(GammaDist, (const UX_D &k, const UX_D &theta), (k, theta))
UX_API2(InverseGammaDist, (const UX_D &alpha, const UX_D &beta), (alpha, beta))
UX_API2(ChiSquaredDist, (const UX_D &k), (k))
UX_API2(FDist, (const UX_D &d1, const UX_D &d2), (d1, d2))
UX_API2(StudentsTDist, (const UX_D &nu), (nu))
UX_API2(GEVDist, (const UX_D &xi), (xi))
UX_API2(DistFromSamples, (const UX_D *s, size_t n), (s, n))
UX_API2(Mixture, (const UX_D &a, const UX_D &b, const UX_D &aScale), (a, b, aScale))
UX_API2(GetIndependentCopy, (const UX_D &x), (x))
UX_API2(LimitDistributionSupport, (const UX_D &x, const UX_D &lo, const UX_D &hi), (x, lo, hi))
UX_API2(NthMoment, (const UX_D &x, size_t n), (x, n))
UX_API2(NthMode, (const UX_D &x, size_t n), (x, n))
UX_API2(SupportMin, (const UX_D &x), (x))
UX_API2(SupportMax, (const UX_D &x), (x))
UX_API2(ProbabilityGT, (const UX_D &x, const UX_D &c), (x, c))
UX_API2(Quantile, (const UX_D &x, const UX_D &p), (x, p))
UX_API2(EvaluatePDF, (const UX_D &x, const UX_D &y), (x, y))
UX_API2(Sample, (const UX_D &x), (x))
UX_API2(BayesLaplace, (UX_D (*m)(void *, UX_D), void *params, const UX_D &prior, const UX_D &obs, size_t n), (m, params, prior, obs, n))
UX_API2(Argmin, (const UX_D &f, const UX_D *args, size_t n, UX_D *minimizing), (f, args, n, minimizing))
inline UX_D UxHwDoubleArgminTotallyCorrelatedInputs(const UX_D &f, const UX_D *args, size_t n, UX_D *mn) { return ::ux::Argmin(f, args, n, mn); }
inline UX_D UxHwFloatArgminTotallyCorrelatedInputs(const UX_D &f, const UX_D *args, size_t n, UX_D *mn) { return ::ux::Argmin(f, args, n, mn); }
inline void UxHwDoubleSampleBatch(const UX_D &x, UX_D *d, size_t n) { ::ux::SampleBatch(x, d, n); }
inline void UxHwFloatSampleBatch(const UX_D &x, UX_D *d, size_t n) { ::ux::SampleBatch(x, d, n); }
inline UX_D UxHwDoubleDistFromWeightedSamples(const WeightedDoubleSample *w, size_t n) { return ::ux::DistFromWeightedSamples(w, n); }
inline UX_D UxHwFloatDistFromWeightedSamples(const WeightedFloatSample *w, size_t n) { return ::ux::DistFromWeightedSamples(w, n); }
inline UX_D UxHwDoubleDistFromWeightedSamples(const WeightedDoubleSample *w, size_t n, size_t) { return ::ux::DistFromWeightedSamples(w, n); }  // older 3-argument form
inline UX_D UxHwFloatDistFromWeightedSamples(const WeightedFloatSample *w, size_t n, size_t) { return ::ux::DistFromWeightedSamples(w, n); }
inline void UxHwDoubleDistFromMultidimensionalSamples(UX_D *dest, void *s, size_t count, size_t card) { ::ux::DistFromMultidimensionalSamples(dest, s, count, card); }
inline void UxHwFloatDistFromMultidimensionalSamples(UX_D *dest, void *s, size_t count, size_t card) { ::ux::DistFromMultidimensionalSamples(dest, s, count, card); }
inline void UxHwDoubleGetIndependentJointMultidimensionalCopy(const UX_D *src, UX_D *dest, size_t n) { ::ux::GetIndependentJointMultidimensionalCopy(src, dest, n); }
inline void UxHwFloatGetIndependentJointMultidimensionalCopy(const UX_D *src, UX_D *dest, size_t n) { ::ux::GetIndependentJointMultidimensionalCopy(src, dest, n); }
// Paths and propagation: distributions propagate through the user's functions by themselves.
inline void UxHwDoubleGeneratePath(void *p[], size_t nP, size_t len, size_t nS, void (*g)(void *, UX_D **, size_t, size_t), UX_D ***r) { uxGeneratePath("UxHwDoubleGeneratePath", p, nP, len, nS, g, r); }
inline void UxHwFloatGeneratePath(void *p[], size_t nP, size_t len, size_t nS, void (*g)(void *, UX_D **, size_t, size_t), UX_D ***r) { uxGeneratePath("UxHwFloatGeneratePath", p, nP, len, nS, g, r); }
inline void UxHwDoubleGenerateConvergingPath(void *p[], size_t nP, size_t len, size_t nS, bool (*g)(void *, UX_D **, size_t, size_t), UX_D **r) { uxGenerateConvergingPath("UxHwDoubleGenerateConvergingPath", p, nP, len, nS, g, r); }
inline void UxHwFloatGenerateConvergingPath(void *p[], size_t nP, size_t len, size_t nS, bool (*g)(void *, UX_D **, size_t, size_t), UX_D **r) { uxGenerateConvergingPath("UxHwFloatGenerateConvergingPath", p, nP, len, nS, g, r); }
inline void UxHwDoublePropagateFunction(void (*f)(void *, UX_D *, size_t, UX_D *, size_t), void *args, UX_D *in, size_t nIn, UX_D *out, size_t nOut) { if (f) f(args, in, nIn, out, nOut); }
inline void UxHwFloatPropagateFunction(void (*f)(void *, UX_D *, size_t, UX_D *, size_t), void *args, UX_D *in, size_t nIn, UX_D *out, size_t nOut) { if (f) f(args, in, nIn, out, nOut); }
#undef UX_API2
#undef UX_D

// type-aware min/max used by uxhw.h's min()/max() macros in C mode
template <class A, class B, class = void> struct UxCommonT { using type = std::common_type_t<A, B>; };
template <class A> struct UxCommonT<A, ::ux::Double> { using type = ::ux::Double; };
template <class B> struct UxCommonT<::ux::Double, B> { using type = ::ux::Double; };
template <> struct UxCommonT<::ux::Double, ::ux::Double> { using type = ::ux::Double; };
template <class A, class B> using UxCommon = typename UxCommonT<std::decay_t<A>, std::decay_t<B>>::type;
template <class A, class B> inline UxCommon<A, B> uxMin(const A &a, const B &b) { return b < a ? UxCommon<A, B>(b) : UxCommon<A, B>(a); }
template <class A, class B> inline UxCommon<A, B> uxMax(const A &a, const B &b) { return a < b ? UxCommon<A, B>(b) : UxCommon<A, B>(a); }

// C allows ++/-- on enums; C++ does not.
template <class E, std::enable_if_t<std::is_enum<E>::value, int> = 0> inline E &operator++(E &e) { return e = E((long long)e + 1); }
template <class E, std::enable_if_t<std::is_enum<E>::value, int> = 0> inline E &operator--(E &e) { return e = E((long long)e - 1); }
template <class E, std::enable_if_t<std::is_enum<E>::value, int> = 0> inline E operator++(E &e, int) { E t = e; e = E((long long)e + 1); return t; }
template <class E, std::enable_if_t<std::is_enum<E>::value, int> = 0> inline E operator--(E &e, int) { E t = e; e = E((long long)e - 1); return t; }

// math overloads visible as ::f, std::f and by ADL
#define UX_USING(F) using ux::F; namespace std { using ux::F; }
#define UX_USINGF(F) UX_USING(F) UX_USING(F##f) UX_USING(F##l)
UX_USINGF(sqrt) UX_USINGF(cbrt) UX_USINGF(exp) UX_USINGF(exp2) UX_USINGF(expm1) UX_USINGF(log) UX_USINGF(log2) UX_USINGF(log10)
UX_USINGF(log1p) UX_USINGF(logb) UX_USINGF(sin) UX_USINGF(cos) UX_USINGF(tan) UX_USINGF(asin) UX_USINGF(acos) UX_USINGF(atan) UX_USINGF(sinh)
UX_USINGF(cosh) UX_USINGF(tanh) UX_USINGF(asinh) UX_USINGF(acosh) UX_USINGF(atanh) UX_USINGF(fabs) UX_USINGF(floor) UX_USINGF(ceil)
UX_USINGF(round) UX_USINGF(trunc) UX_USINGF(rint) UX_USINGF(nearbyint) UX_USINGF(erf) UX_USINGF(erfc) UX_USINGF(tgamma) UX_USINGF(lgamma)
UX_USINGF(pow) UX_USINGF(atan2) UX_USINGF(fmod) UX_USINGF(fmin) UX_USINGF(fmax) UX_USINGF(hypot) UX_USINGF(copysign) UX_USINGF(fdim)
UX_USINGF(remainder) UX_USINGF(nextafter)
UX_USING(abs) UX_USING(fma) UX_USING(fmaf) UX_USING(ldexp) UX_USING(ldexpf) UX_USING(scalbn) UX_USING(frexp) UX_USING(frexpf) UX_USING(modf) UX_USING(modff)
UX_USING(lround) UX_USING(llround) UX_USING(lrint) UX_USING(llrint) UX_USING(ilogb)
UX_USING(isnan) UX_USING(isinf) UX_USING(isfinite) UX_USING(isnormal) UX_USING(signbit) UX_USING(fpclassify)
UX_USING(isgreater) UX_USING(isgreaterequal) UX_USING(isless) UX_USING(islessequal) UX_USING(islessgreater) UX_USING(isunordered)
#undef UX_USINGF
#undef UX_USING
namespace std {
using ::printf; using ::fprintf; using ::sprintf; using ::snprintf; using ::sscanf; using ::fscanf; using ::scanf;
template <> struct numeric_limits<::ux::Double> : numeric_limits<double> {
	static ::ux::Double min() noexcept { return numeric_limits<double>::min(); }
	static ::ux::Double max() noexcept { return numeric_limits<double>::max(); }
	static ::ux::Double lowest() noexcept { return numeric_limits<double>::lowest(); }
	static ::ux::Double epsilon() noexcept { return numeric_limits<double>::epsilon(); }
	static ::ux::Double round_error() noexcept { return numeric_limits<double>::round_error(); }
	static ::ux::Double infinity() noexcept { return numeric_limits<double>::infinity(); }
	static ::ux::Double quiet_NaN() noexcept { return numeric_limits<double>::quiet_NaN(); }
	static ::ux::Double signaling_NaN() noexcept { return numeric_limits<double>::signaling_NaN(); }
	static ::ux::Double denorm_min() noexcept { return numeric_limits<double>::denorm_min(); }
};
inline ::ux::Double max(const ::ux::Double &a, double b) { return a < b ? ::ux::Double(b) : a; }
inline ::ux::Double max(double a, const ::ux::Double &b) { return a < b ? b : ::ux::Double(a); }
inline ::ux::Double min(const ::ux::Double &a, double b) { return b < a ? ::ux::Double(b) : a; }
inline ::ux::Double min(double a, const ::ux::Double &b) { return b < a ? b : ::ux::Double(a); }
inline ::ux::Double ux_strtod(const char *s, char **e) { return ::ux::strtodUx(s, e); }
inline ::ux::Double ux_atof(const char *s) { return ::ux::strtodUx(s, nullptr); }
}  // namespace std

// ---- 2. the macros: only the user's code (after this point) sees them ------------------------
#ifndef UX_RUNTIME_TU
#define restrict __restrict__
#define _Bool bool
#define _Static_assert static_assert
#define _Thread_local thread_local
#define _Alignof alignof
#define _Alignas alignas
#define _Noreturn [[noreturn]]
#define strtod ux_strtod
#define strtof ux_strtod
#define atof ux_atof
#define double ::ux::Double
#define float ::ux::Double
#endif
#endif  // PENUMBRA_UX_PRELUDE_HPP
