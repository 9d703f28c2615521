// Penumbra particle runtime, the out-of-line part: RNG and input design, creators, queries,
// special functions, Ux string encode/decode (TTR), the printf/scanf engines and the
// transcendental <math.h> functions.  Nothing here needs inlining into the user's code for speed.
//
// prelude.hpp includes this file (before the `double`/`float` macros, so it sees the real types):
//  * header-only (UX_EXTERN_RUNTIME not defined, e.g. a plain `g++ -include prelude.hpp`): every
//    UX_RT function is `inline`, exactly as when all of it lived in the prelude;
//  * extern runtime (-DUX_EXTERN_RUNTIME=1, what engine/particle.py uses with a cache): the prelude
//    only declares these functions, and runtime.cpp compiles this file ONCE per (M, Precision,
//    flags) into runtime.o, which is linked into every program.  This is what keeps a small build
//    fast: the compiler no longer re-instantiates and re-optimises all of this per program.
#ifndef PENUMBRA_UX_RUNTIME_IMPL_HPP
#define PENUMBRA_UX_RUNTIME_IMPL_HPP
#ifndef UX_PARTICLE_PRELUDE
#error "runtime_impl.hpp is included by prelude.hpp"
#endif

namespace ux {
// ================================ diagnostics ========================================
UX_RT void warn(const char *fmt, ...) {
	va_list ap; va_start(ap, fmt);
	fputs("[penumbra particle] warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

// ================================ RNG (xoshiro256**) =================================
struct Rng {
	uint64_t s[4];
	static uint64_t splitmix(uint64_t &x) { uint64_t z = (x += 0x9e3779b97f4a7c15ull); z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull; z = (z ^ (z >> 27)) * 0x94d049bb133111ebull; return z ^ (z >> 31); }
	explicit Rng(uint64_t seed) { for (auto &v : s) v = splitmix(seed); }
	static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
	uint64_t next() { uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17; s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45); return r; }
	double open01() { return ((next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }  // in (0,1)
	uint64_t below(uint64_t n) { return (uint64_t)(((unsigned __int128)next() * n) >> 64); }
};
UX_RT Rng &rng() {
	static Rng g([] {
		const char *e = getenv("PENUMBRA_SEED");
		return e && *e ? (uint64_t)strtoull(e, nullptr, 10) : (uint64_t)0x50454e554d425241ull;
	}());
	return g;
}
UX_RT void shuffle(double *a, int n) { Rng &g = rng(); for (int i = n - 1; i > 0; i--) { int j = (int)g.below(i + 1); std::swap(a[i], a[j]); } }
UX_RT void permutation(int *p, int n) { for (int i = 0; i < n; i++) p[i] = i; Rng &g = rng(); for (int i = n - 1; i > 0; i--) { int j = (int)g.below(i + 1); std::swap(p[i], p[j]); } }
#include "sobol_table.h"
UX_RT uint32_t reverseBits(uint32_t x) {
	x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1); x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
	x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4); x = ((x >> 8) & 0x00FF00FFu) | ((x & 0x00FF00FFu) << 8);
	return (x >> 16) | (x << 16);
}
UX_RT uint32_t owenScramble(uint32_t x, uint32_t seed) {  // hash-based nested uniform scramble (Burley 2020)
	x = reverseBits(x); x += seed; x ^= x * 0x6c50b47cu; x ^= x * 0xb82f1e52u; x ^= x * 0xc7afe638u; x ^= x * 0x8d22f6e6u;
	return reverseBits(x);
}
UX_RT int &sobolDim() { static int d = 0; return d; }
// M probabilities in (0,1): the input sampling design.
//  3 (default): Owen-scrambled Sobol -- creator number d uses Sobol dimension d, so sample i of all inputs is
//     point i of one low-discrepancy net (every input alone is exactly stratified: one point per 1/M stratum);
//     used for the first UX_SOBOL_DIMS creators when M is a power of two <= 2^16, else design 1.
//  1: jittered stratified ((i+u)/M), randomly permuted per creator; 2: midpoint stratified, permuted; 0: i.i.d.
UX_RT void designProbabilities(double *u) {
	Rng &g = rng();
#if UX_SAMPLING == 3
	if ((M & (M - 1)) == 0 && M <= (1 << UX_SOBOL_BITS) && sobolDim() < UX_SOBOL_DIMS) {
		const uint16_t *m = ux_sobol_m[sobolDim()++]; uint32_t seed = (uint32_t)g.next();
		for (int i = 0; i < M; i++) {
			uint32_t x = 0; for (int j = 0; (i >> j) != 0; j++) if ((i >> j) & 1) x ^= (uint32_t)m[j] << (31 - j);
			u[i] = (owenScramble(x, seed) + 0.5) * (1.0 / 4294967296.0);
		}
		return;
	}
#endif
#if UX_SAMPLING == 0
	for (int i = 0; i < M; i++) u[i] = g.open01();
#else
	for (int i = 0; i < M; i++) u[i] = (i + (UX_SAMPLING == 2 ? 0.5 : g.open01())) / M;
	shuffle(u, M);
#endif
}

// ================================ <math.h>, out of line ============================
// These call libm once per sample (no vector form at -O2), so the call costs nothing next to the loop.
#define UX_UN(F) UX_RT Double F(const Double &a) noexcept { return unop(a, [](double x) { return ::F(x); }); }
UX_MATH_UNARY(UX_UN)
#undef UX_UN
#define UX_BI(F)                                                                                                            \
	UX_RT Double F(const Double &a, const Double &b) noexcept { return binop(a, b, [](double x, double y) { return ::F(x, y); }); } \
	UX_RT Double F##_r(const Double &a, double c) noexcept { return binopScalarR(a, c, [](double x, double y) { return ::F(x, y); }); } \
	UX_RT Double F##_l(double c, const Double &b) noexcept { return binopScalarL(c, b, [](double x, double y) { return ::F(x, y); }); }
UX_MATH_BINARY(UX_BI)
#undef UX_BI

// ================================ sample statistics ================================
UX_RT double sampleMean(const Double &x) { if (!x.dist) return x.particle; double m = 0; for (int i = 0; i < M; i++) m += x.s[i]; return m / M; }
UX_RT std::vector<double> sortedSamples(const Double &x) { std::vector<double> v(x.s, x.s + M); std::sort(v.begin(), v.end(), [](double a, double b) { return a < b || (std::isnan(b) && !std::isnan(a)); }); return v; }
UX_RT Double fromSamples(double particle, const double *s) { Double r; r.particle = particle; r.dist = 1; memcpy(r.s, s, sizeof r.s); return r; }
UX_RT Double nanValue() { return Double(NAN); }

// ================================ special functions ================================
UX_RT double normalQuantile(double p) {  // Acklam + one Halley step: ~1e-15 relative
	if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
	double q, r, x;
	if (p < 0.02425) { q = std::sqrt(-2 * std::log(p)); x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1); }
	else if (p > 1 - 0.02425) { q = std::sqrt(-2 * std::log1p(-p)); x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1); }
	else { q = p - 0.5; r = q * q; x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1); }
	double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
	double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}
// regularised lower incomplete gamma P(a,x)
UX_RT double gammaP(double a, double x) {
	if (x <= 0) return 0;
	if (std::isinf(x)) return 1;
	double lpre = -x + a * std::log(x) - std::lgamma(a);
	if (x < a + 1) {
		double ap = a, sum = 1 / a, del = sum;
		for (int n = 0; n < 1000; n++) { ap += 1; del *= x / ap; sum += del; if (std::fabs(del) < std::fabs(sum) * 1e-16) break; }
		return std::min(1.0, sum * std::exp(lpre));
	}
	const double FPMIN = 1e-300; double b = x + 1 - a, c = 1 / FPMIN, d = 1 / b, h = d;
	for (int i = 1; i < 1000; i++) {
		double an = -i * (i - a); b += 2; d = an * d + b; if (std::fabs(d) < FPMIN) d = FPMIN;
		c = b + an / c; if (std::fabs(c) < FPMIN) c = FPMIN; d = 1 / d; double del = d * c; h *= del;
		if (std::fabs(del - 1) < 1e-16) break;
	}
	return std::max(0.0, 1 - std::exp(lpre) * h);
}
UX_RT double gammaPdf(double a, double x) { return x <= 0 ? 0 : std::exp((a - 1) * std::log(x) - x - std::lgamma(a)); }
UX_RT double betacf(double a, double b, double x) {
	const double FPMIN = 1e-300; double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
	if (std::fabs(d) < FPMIN) d = FPMIN; d = 1 / d; double h = d;
	for (int m = 1; m < 1000; m++) {
		int m2 = 2 * m; double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d; if (std::fabs(d) < FPMIN) d = FPMIN; c = 1 + aa / c; if (std::fabs(c) < FPMIN) c = FPMIN; d = 1 / d; h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d; if (std::fabs(d) < FPMIN) d = FPMIN; c = 1 + aa / c; if (std::fabs(c) < FPMIN) c = FPMIN; d = 1 / d;
		double del = d * c; h *= del; if (std::fabs(del - 1) < 1e-16) break;
	}
	return h;
}
UX_RT double lbeta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }
UX_RT double betaI(double a, double b, double x) {  // regularised incomplete beta I_x(a,b)
	if (x <= 0) return 0; if (x >= 1) return 1;
	double lbt = a * std::log(x) + b * std::log1p(-x) - lbeta(a, b);
	if (x < (a + 1) / (a + b + 2)) return std::exp(lbt) * betacf(a, b, x) / a;
	return 1 - std::exp(lbt) * betacf(b, a, 1 - x) / b;
}
UX_RT double betaPdf(double a, double b, double x) { return (x <= 0 || x >= 1) ? 0 : std::exp((a - 1) * std::log(x) + (b - 1) * std::log1p(-x) - lbeta(a, b)); }
// safeguarded Newton / bisection for cdf(x) = p on [lo, hi]
template <class C, class P> inline double solveCdf(double p, double lo, double hi, double x, C cdf, P pdf) {
	if (!(x > lo && x < hi)) x = lo > 0 ? std::sqrt(lo * hi) : 0.5 * (lo + hi);
	for (int it = 0; it < 300; it++) {
		double f = cdf(x) - p;
		if (f == 0) return x;
		if (f < 0) lo = x; else hi = x;
		double d = pdf(x), xn = x - f / d;
		if (!(xn > lo && xn < hi) || !std::isfinite(xn)) {
			if (lo <= 0 && hi > 0 && hi < 1e300 && lo == 0) xn = hi / 16;
			else if (lo > 0 && hi / lo > 1e3) xn = std::sqrt(lo * hi);
			else xn = 0.5 * (lo + hi);
		}
		if (std::fabs(xn - x) <= 1e-15 * std::fabs(xn) || hi - lo <= 1e-15 * std::fabs(hi)) return xn;
		x = xn;
	}
	return x;
}
UX_RT double gammaQuantile(double a, double p) {  // shape a, scale 1
	double z = normalQuantile(p), x0;
	if (a >= 1) { double t = 1 - 1 / (9 * a) + z / (3 * std::sqrt(a)); x0 = a * t * t * t; }
	else x0 = std::pow(p * std::tgamma(a + 1), 1 / a);
	if (!(x0 > 0) || !std::isfinite(x0)) x0 = a;
	double hi = std::max(x0 * 4, a + 60 * std::sqrt(a) + 800);
	return solveCdf(p, 0, hi, x0, [a](double x) { return gammaP(a, x); }, [a](double x) { return gammaPdf(a, x); });
}
UX_RT double betaQuantile(double a, double b, double p) {
	double x0 = a / (a + b);
	return solveCdf(p, 0, 1, x0, [a, b](double x) { return betaI(a, b, x); }, [a, b](double x) { return betaPdf(a, b, x); });
}

// ================================ creators =========================================
// A creator evaluates quantile(u_i; parameters at sample i) for the design probabilities u_i.
// Distributional parameters are used per sample (hierarchical models keep their dependence);
// the particle is the closed-form mean at the parameters' particles.
template <class Q> inline Double makeDist(double mean, Q quant) {
	Double r; r.particle = mean; r.dist = 1;
	double u[M]; designProbabilities(u);
	for (int i = 0; i < M; i++) r.s[i] = quant(u[i], i);
	return r;
}
UX_RT bool anyDist(std::initializer_list<const Double *> ps) { for (auto p : ps) if (p->dist) return true; return false; }
UX_RT bool anyNan(std::initializer_list<const Double *> ps) { for (auto p : ps) if (std::isnan(p->particle)) return true; return false; }
#define UX_BAD(name, cond, ...) do { if (cond) { warn("%s: invalid parameters (" #cond "); returning NaN", name); return nanValue(); } } while (0)

UX_RT Double UniformDist(const Double &a, const Double &b) {
	UX_BAD("UniformDist", std::isnan(a.particle) || std::isnan(b.particle) || a.particle > b.particle || std::isinf(a.particle) || std::isinf(b.particle));
	if (!anyDist({&a, &b}) && a.particle == b.particle) return a;
	return makeDist(0.5 * (a.particle + b.particle), [&](double u, int i) { double lo = at(a, i), hi = at(b, i); return lo + (hi - lo) * u; });
}
UX_RT Double GaussDist(const Double &mu, const Double &sd) {
	UX_BAD("GaussDist", anyNan({&mu, &sd}) || sd.particle < 0 || std::isinf(sd.particle));
	if (!anyDist({&mu, &sd}) && sd.particle == 0) return mu;
	return makeDist(mu.particle, [&](double u, int i) { return at(mu, i) + at(sd, i) * normalQuantile(u); });
}
UX_RT Double ExponentialDist(const Double &mu) {  // mean mu
	UX_BAD("ExponentialDist", anyNan({&mu}) || mu.particle <= 0);
	return makeDist(mu.particle, [&](double u, int i) { return -at(mu, i) * std::log1p(-u); });
}
UX_RT Double Gumbel1Dist(const Double &mu, const Double &beta) {
	UX_BAD("Gumbel1Dist", anyNan({&mu, &beta}) || beta.particle <= 0);
	return makeDist(mu.particle + 0.57721566490153286 * beta.particle, [&](double u, int i) { return at(mu, i) - at(beta, i) * std::log(-std::log(u)); });
}
UX_RT Double LogisticDist(const Double &loc, const Double &scale) {
	UX_BAD("LogisticDist", anyNan({&loc, &scale}) || scale.particle <= 0);
	return makeDist(loc.particle, [&](double u, int i) { return at(loc, i) + at(scale, i) * std::log(u / (1 - u)); });
}
UX_RT Double LaplaceDist(const Double &mu, const Double &b) {
	UX_BAD("LaplaceDist", anyNan({&mu, &b}) || b.particle <= 0);
	return makeDist(mu.particle, [&](double u, int i) { return at(mu, i) + at(b, i) * (u < 0.5 ? std::log(2 * u) : -std::log(2 * (1 - u))); });
}
UX_RT Double WeibullDist(const Double &k, const Double &lambda) {
	UX_BAD("WeibullDist", anyNan({&k, &lambda}) || k.particle <= 0 || lambda.particle <= 0);
	return makeDist(lambda.particle * std::tgamma(1 + 1 / k.particle), [&](double u, int i) { return at(lambda, i) * std::pow(-std::log1p(-u), 1 / at(k, i)); });
}
UX_RT Double LognormalDist(const Double &mu, const Double &sigma) {
	UX_BAD("LognormalDist", anyNan({&mu, &sigma}) || sigma.particle < 0);
	return makeDist(std::exp(mu.particle + 0.5 * sigma.particle * sigma.particle), [&](double u, int i) { return std::exp(at(mu, i) + at(sigma, i) * normalQuantile(u)); });
}
UX_RT double boundedParetoMean(double a, double L, double H) {
	if (std::fabs(a - 1) < 1e-12) return H * L / (H - L) * std::log(H / L);
	return std::pow(L, a) / (1 - std::pow(L / H, a)) * a / (a - 1) * (1 / std::pow(L, a - 1) - 1 / std::pow(H, a - 1));
}
UX_RT Double BoundedparetoDist(const Double &alpha, const Double &xMin, const Double &xMax) {
	UX_BAD("BoundedparetoDist", anyNan({&alpha, &xMin, &xMax}) || alpha.particle <= 0 || xMin.particle <= 0 || xMax.particle <= xMin.particle);
	return makeDist(boundedParetoMean(alpha.particle, xMin.particle, xMax.particle), [&](double u, int i) {
		double a = at(alpha, i), L = at(xMin, i), H = at(xMax, i);
		return L / std::pow(1 - u * (1 - std::pow(L / H, a)), 1 / a); });
}
UX_RT Double BetaDist(const Double &a, const Double &b) {
	UX_BAD("BetaDist", anyNan({&a, &b}) || a.particle <= 0 || b.particle <= 0);
	return makeDist(a.particle / (a.particle + b.particle), [&](double u, int i) { return betaQuantile(at(a, i), at(b, i), u); });
}
UX_RT Double GammaDist(const Double &k, const Double &theta) {
	UX_BAD("GammaDist", anyNan({&k, &theta}) || k.particle <= 0 || theta.particle < 0);
	if (!anyDist({&k, &theta}) && theta.particle == 0) return Double(0.0);
	return makeDist(k.particle * theta.particle, [&](double u, int i) { return at(theta, i) * gammaQuantile(at(k, i), u); });
}
UX_RT Double InverseGammaDist(const Double &alpha, const Double &beta) {
	UX_BAD("InverseGammaDist", anyNan({&alpha, &beta}) || alpha.particle <= 1 || beta.particle < 0);
	if (!anyDist({&alpha, &beta}) && beta.particle == 0) return Double(0.0);
	return makeDist(beta.particle / (alpha.particle - 1), [&](double u, int i) { return at(beta, i) / gammaQuantile(at(alpha, i), 1 - u); });
}
UX_RT Double ChiSquaredDist(const Double &k) {
	UX_BAD("ChiSquaredDist", anyNan({&k}) || k.particle <= 0);
	return makeDist(k.particle, [&](double u, int i) { return 2 * gammaQuantile(0.5 * at(k, i), u); });
}
UX_RT Double FDist(const Double &d1, const Double &d2) {
	UX_BAD("FDist", anyNan({&d1, &d2}) || d1.particle <= 0 || d2.particle <= 2);
	return makeDist(d2.particle / (d2.particle - 2), [&](double u, int i) {
		double a = at(d1, i), b = at(d2, i), x = betaQuantile(0.5 * a, 0.5 * b, u); return b * x / (a * (1 - x)); });
}
UX_RT double studentTQuantile(double nu, double u) {
	if (u == 0.5) return 0;
	double pp = u < 0.5 ? 2 * u : 2 * (1 - u);
	double x = betaQuantile(0.5 * nu, 0.5, pp), t = std::sqrt(nu * (1 / x - 1));
	return u < 0.5 ? -t : t;
}
UX_RT Double StudentsTDist(const Double &nu) {
	UX_BAD("StudentsTDist", anyNan({&nu}) || nu.particle <= 1);
	return makeDist(0.0, [&](double u, int i) { return studentTQuantile(at(nu, i), u); });
}
UX_RT Double GEVDist(const Double &xi) {
	UX_BAD("GEVDist", anyNan({&xi}) || xi.particle >= 1);
	double x = xi.particle, mean = std::fabs(x) < 1e-12 ? 0.57721566490153286 : (std::tgamma(1 - x) - 1) / x;
	return makeDist(mean, [&](double u, int i) { double k = at(xi, i), ll = std::log(-std::log(u)); return std::fabs(k) < 1e-12 ? -ll : std::expm1(-k * ll) / k; });
}

// resample M values from a discrete distribution (positions v, cumulative weights cw, total tw)
UX_RT void resampleDiscrete(const double *v, const double *cw, size_t n, double tw, double *out, bool jitter) {
	Rng &g = rng();
	for (int i = 0; i < M; i++) {
		double t = (i + (jitter ? g.open01() : 0.5)) / M * tw;
		size_t k = std::lower_bound(cw, cw + n, t) - cw;
		out[i] = v[std::min(k, n - 1)];
	}
	shuffle(out, M);
}
UX_RT Double DistFromSamples(const Double *in, size_t n) {
	if (!in || n == 0) { warn("DistFromSamples: empty sample array; returning NaN"); return nanValue(); }
	std::vector<double> v(n), cw(n); double m = 0;
	for (size_t i = 0; i < n; i++) { v[i] = in[i].particle; m += v[i]; }
	std::sort(v.begin(), v.end());
	for (size_t i = 0; i < n; i++) cw[i] = (double)(i + 1);
	Double r; r.particle = m / n; r.dist = 1;
	resampleDiscrete(v.data(), cw.data(), n, (double)n, r.s, true);
	return r;
}
template <class W> inline Double DistFromWeightedSamplesT(const W *ws, size_t n) {
	if (!ws || n == 0) { warn("DistFromWeightedSamples: empty sample array; returning NaN"); return nanValue(); }
	std::vector<std::pair<double, double>> pv(n);
	for (size_t i = 0; i < n; i++) {
		pv[i] = {ws[i].sample.particle, ws[i].sampleWeight.particle};
		if (!(pv[i].second >= 0) || std::isinf(pv[i].second)) { warn("DistFromWeightedSamples: negative or non-finite weight; returning NaN"); return nanValue(); }
	}
	std::sort(pv.begin(), pv.end());
	std::vector<double> v(n), cw(n); double tot = 0, m = 0;
	for (size_t i = 0; i < n; i++) { v[i] = pv[i].first; tot += pv[i].second; cw[i] = tot; m += pv[i].first * pv[i].second; }
	if (!(tot > 0)) { warn("DistFromWeightedSamples: weights sum to zero; returning NaN"); return nanValue(); }
	Double r; r.particle = m / tot; r.dist = 1;
	resampleDiscrete(v.data(), cw.data(), n, tot, r.s, true);
	return r;
}
UX_RT void DistFromMultidimensionalSamples(Double *dest, void *samples, size_t count, size_t card) {
	if (!dest || !samples || count == 0 || card == 0) { warn("DistFromMultidimensionalSamples: empty input"); for (size_t d = 0; dest && d < card; d++) dest[d] = nanValue(); return; }
	Double **rows = (Double **)samples; Rng &g = rng();
	std::vector<size_t> idx(M);
	for (int i = 0; i < M; i++) idx[i] = std::min(count - 1, (size_t)((i + g.open01()) / M * count));
	for (int i = M - 1; i > 0; i--) std::swap(idx[i], idx[g.below(i + 1)]);
	for (size_t d = 0; d < card; d++) {
		Double r; r.dist = 1; double m = 0;
		for (size_t k = 0; k < count; k++) m += rows[k][d].particle;
		r.particle = m / count;
		for (int i = 0; i < M; i++) r.s[i] = rows[idx[i]][d].particle;
		dest[d] = r;
	}
}
UX_RT Double Mixture(const Double &a, const Double &b, const Double &pv) {
	double p = pv.particle;
	UX_BAD("Mixture", !(p >= 0 && p <= 1));
	Double r; r.particle = p * a.particle + (1 - p) * b.particle; r.dist = 1;
	int na = (int)std::lround(p * M); int perm[M]; permutation(perm, M);
	for (int k = 0; k < M; k++) { int i = perm[k]; r.s[i] = k < na ? at(a, i) : at(b, i); }
	return r;
}
UX_RT Double GetIndependentCopy(const Double &x) { if (!x.dist) return x; Double r = x; shuffle(r.s, M); return r; }
UX_RT void GetIndependentJointMultidimensionalCopy(const Double *src, Double *dest, size_t n) {
	if (!src || !dest) return;
	int perm[M]; permutation(perm, M);
	std::vector<Double> tmp(src, src + n);
	for (size_t j = 0; j < n; j++) { dest[j] = tmp[j]; if (tmp[j].dist) for (int i = 0; i < M; i++) dest[j].s[i] = tmp[j].s[perm[i]]; }
}
UX_RT Double LimitDistributionSupport(const Double &x, const Double &lo, const Double &hi) {
	double a = lo.particle, b = hi.particle;
	UX_BAD("LimitDistributionSupport", !(a <= b));
	if (!(x.particle >= a && x.particle <= b)) return nanValue();
	if (!x.dist) return x;
	std::vector<int> in; for (int i = 0; i < M; i++) if (x.s[i] >= a && x.s[i] <= b) in.push_back(i);
	if (in.empty()) return nanValue();
	Double r = x; Rng &g = rng(); double m = 0;
	for (int i = 0; i < M; i++) { if (!(x.s[i] >= a && x.s[i] <= b)) r.s[i] = x.s[in[g.below(in.size())]]; m += r.s[i]; }
	r.particle = m / M;
	return r;
}

// ================================ queries ==========================================
UX_RT Double NthMoment(const Double &x, size_t n) {
	if (n == 0) return 1.0;
	if (!x.dist) return n == 1 ? x.particle : 0.0;
	double m = sampleMean(x); if (n == 1) return m;
	double acc = 0; for (int i = 0; i < M; i++) { double d = x.s[i] - m, t = 1; for (size_t k = 0; k < n; k++) t *= d; acc += t; }
	return acc / M;
}
UX_RT Double SupportMin(const Double &x) { if (!x.dist) return x.particle; double m = INFINITY; for (int i = 0; i < M; i++) m = std::fmin(m, x.s[i]); return m; }
UX_RT Double SupportMax(const Double &x) { if (!x.dist) return x.particle; double m = -INFINITY; for (int i = 0; i < M; i++) m = std::fmax(m, x.s[i]); return m; }
UX_RT Double ProbabilityGT(const Double &x, const Double &cut) {
	double c = cut.particle;
	if (!x.dist) return x.particle > c ? 1.0 : 0.0;
	int k = 0; for (int i = 0; i < M; i++) k += x.s[i] > c; return (double)k / M;
}
UX_RT Double Quantile(const Double &x, const Double &pv) {
	double p = pv.particle;
	UX_BAD("Quantile", !(p >= 0 && p <= 1));
	if (!x.dist) return x.particle;
	std::vector<double> v = sortedSamples(x);
	double pos = p * M - 0.5;  // sample i sits at probability (i+1/2)/M
	if (pos <= 0) return v[0]; if (pos >= M - 1) return v[M - 1];
	int k = (int)pos; double f = pos - k; return v[k] + f * (v[k + 1] - v[k]);
}
UX_RT double bandwidth(const std::vector<double> &v) {
	double m = 0, s2 = 0; for (double t : v) m += t; m /= v.size(); for (double t : v) s2 += (t - m) * (t - m);
	double sd = std::sqrt(s2 / v.size()); size_t n = v.size();
	double iqr = v[(3 * n) / 4] - v[n / 4], sc = iqr > 0 ? std::min(sd, iqr / 1.349) : sd;
	return 0.9 * sc * std::pow((double)n, -0.2);
}
UX_RT double kde(const std::vector<double> &v, double h, double y) {  // v sorted
	if (!(h > 0)) return 0;
	auto lo = std::lower_bound(v.begin(), v.end(), y - 8 * h), hi = std::upper_bound(v.begin(), v.end(), y + 8 * h);
	double acc = 0; for (auto it = lo; it != hi; ++it) { double z = (y - *it) / h; acc += std::exp(-0.5 * z * z); }
	return acc / (v.size() * h * std::sqrt(2 * M_PI));
}
UX_RT Double EvaluatePDF(const Double &x, const Double &at_) {
	double y = at_.particle;
	if (!x.dist) return x.particle == y ? INFINITY : 0.0;
	std::vector<double> v = sortedSamples(x); double h = bandwidth(v);
	if (!(h > 0)) return v[0] == y ? INFINITY : 0.0;
	return kde(v, h, y);
}
UX_RT Double NthMode(const Double &x, size_t n) {
	if (!x.dist) return x.particle;
	if (n == 0) n = 1;
	std::vector<double> v = sortedSamples(x); double h = bandwidth(v);
	if (!(h > 0) || !std::isfinite(v.front()) || !std::isfinite(v.back())) return v[M / 2];
	const int G = 512; double a = v.front() - 2 * h, b = v.back() + 2 * h;
	std::vector<double> d(G); for (int g = 0; g < G; g++) d[g] = kde(v, h, a + (b - a) * g / (G - 1));
	std::vector<std::pair<double, int>> modes;
	for (int g = 0; g < G; g++) if ((g == 0 || d[g] > d[g - 1]) && (g == G - 1 || d[g] >= d[g + 1])) modes.push_back({-d[g], g});
	std::sort(modes.begin(), modes.end());
	if (n > modes.size()) { warn("NthMode: the distribution has only %zu modes; returning NaN", modes.size()); return nanValue(); }
	return a + (b - a) * modes[n - 1].second / (G - 1);
}
UX_RT Double Sample(const Double &x) { if (!x.dist) return x.particle; return x.s[rng().below(M)]; }
UX_RT void SampleBatch(const Double &x, Double *dst, size_t n) { if (!dst) { warn("SampleBatch: destination is NULL"); return; } for (size_t k = 0; k < n; k++) dst[k] = Sample(x); }

// Bayes-Laplace: posterior over the prior's samples, weight = L(data | theta)^... evaluated on a grid of
// prior quantiles (log-likelihood interpolated in between); p(y|theta) is a kernel density estimate
// of the samples of statisticalModel(params, theta); the observations are the samples of observedData
// (one observation if it is particle-only), taken as i.i.d. numberOfObservations times.
UX_RT Double BayesLaplace(Double (*model)(void *, Double), void *params, const Double &prior, const Double &obs, size_t nObs) {
	if (!model) { warn("BayesLaplace: statisticalModel is NULL; returning NaN"); return nanValue(); }
	if (!prior.dist) return prior;
	if (nObs == 0) nObs = 1;
	std::vector<double> pv = sortedSamples(prior), ov;
	if (obs.dist) { std::vector<double> t = sortedSamples(obs); for (int k = 0; k < std::min(M, 128); k++) ov.push_back(t[(size_t)((k + 0.5) * M / std::min(M, 128))]); }
	else ov.push_back(obs.particle);
	const int G = std::min(M, 64); std::vector<double> gx(G), gl(G);
	for (int g = 0; g < G; g++) {
		double th = pv[(size_t)((g + 0.5) * M / G)]; gx[g] = th;
		Double out = model(params, Double(th));
		double ll = 0;
		if (out.dist) {
			std::vector<double> mv = sortedSamples(out); double h = bandwidth(mv); if (!(h > 0)) h = 1e-6 * (std::fabs(mv[0]) + 1);
			for (double y : ov) ll += std::log(kde(mv, h, y) + 1e-300);
		} else {
			double h = 1e-3 * (std::fabs(out.particle) + 1);
			for (double y : ov) { double z = (y - out.particle) / h; ll += -0.5 * z * z; }
		}
		gl[g] = ll / ov.size() * (double)nObs;
	}
	std::vector<std::pair<double, double>> ws(M); double mx = -INFINITY;
	for (int i = 0; i < M; i++) {
		double th = prior.s[i]; size_t k = std::lower_bound(gx.begin(), gx.end(), th) - gx.begin(); double l;
		if (k == 0) l = gl[0]; else if (k >= (size_t)G) l = gl[G - 1];
		else { double f = gx[k] > gx[k - 1] ? (th - gx[k - 1]) / (gx[k] - gx[k - 1]) : 0; l = gl[k - 1] + f * (gl[k] - gl[k - 1]); }
		ws[i] = {th, l}; mx = std::max(mx, l);
	}
	if (!std::isfinite(mx)) { warn("BayesLaplace: likelihood is zero everywhere; returning NaN"); return nanValue(); }
	std::sort(ws.begin(), ws.end());
	std::vector<double> v(M), cw(M); double tot = 0, m = 0;
	for (int i = 0; i < M; i++) { double w = std::exp(ws[i].second - mx); v[i] = ws[i].first; tot += w; cw[i] = tot; m += w * v[i]; }
	Double r; r.particle = m / tot; r.dist = 1;
	resampleDiscrete(v.data(), cw.data(), M, tot, r.s, true);
	return r;
}
UX_RT Double Argmin(const Double &f, const Double *args, size_t n, Double *minimizing) {
	if (!f.dist) { if (minimizing && args) for (size_t j = 0; j < n; j++) minimizing[j] = args[j]; return f; }
	int best = -1; for (int i = 0; i < M; i++) if (!std::isnan(f.s[i]) && (best < 0 || f.s[i] < f.s[best])) best = i;
	if (best < 0) return nanValue();
	if (minimizing && args) for (size_t j = 0; j < n; j++) minimizing[j] = Double(at(args[j], best));
	return Double(f.s[best]);
}

// ================================ Ux strings =======================================
UX_RT uint64_t bitsOf(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
UX_RT double fromBits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
UX_RT void hex64(std::string &o, uint64_t v) { static const char H[] = "0123456789ABCDEF"; for (int k = 60; k >= 0; k -= 4) o += H[(v >> k) & 15]; }
UX_RT void hex32(std::string &o, uint32_t v) { static const char H[] = "0123456789ABCDEF"; for (int k = 28; k >= 0; k -= 4) o += H[(v >> k) & 15]; }
UX_RT int ttrDepth() { int d = 0; while ((2ll << d) <= (long long)PRECISION) d++; return d; }  // K = 2^d = largest power of two <= PRECISION
UX_RT void ttr(const double *v, int lo, int hi, int depth, std::vector<std::pair<double, int>> &out) {
	int n = hi - lo; double sum = 0; for (int i = lo; i < hi; i++) sum += v[i];
	double mean = std::min(std::max(sum / n, v[lo]), v[hi - 1]);
	if (depth == 0 || v[lo] == v[hi - 1]) { out.push_back({mean, n}); return; }
	int k = (int)(std::lower_bound(v + lo, v + hi, mean) - v);  // left: x < mean, right: x >= mean
	if (k == lo || k == hi) { out.push_back({mean, n}); return; }
	ttr(v, lo, k, depth - 1, out); ttr(v, k, hi, depth - 1, out);
}
UX_RT std::string uxString(const Double &x) {
	std::string o = "Ux04";
	if (!x.dist) {  // particle-only: one Dirac of mass 1, sample count 0 (as Signaloid prints plain doubles)
		hex64(o, 0); hex64(o, bitsOf(x.particle)); hex32(o, 1); hex64(o, bitsOf(x.particle)); hex64(o, 0x8000000000000000ull);
		return o;
	}
	std::vector<double> fin; fin.reserve(M); int nNan = 0, nNeg = 0, nPos = 0;
	for (int i = 0; i < M; i++) { double t = x.s[i]; if (std::isnan(t)) nNan++; else if (t == INFINITY) nPos++; else if (t == -INFINITY) nNeg++; else fin.push_back(t); }
	std::sort(fin.begin(), fin.end());
	std::vector<std::pair<double, int>> d;
	if (!fin.empty()) ttr(fin.data(), 0, (int)fin.size(), ttrDepth(), d);
	if (nNan) d.push_back({NAN, nNan}); if (nNeg) d.push_back({-INFINITY, nNeg}); if (nPos) d.push_back({INFINITY, nPos});
	double mean = 0; for (double t : fin) mean += t; mean = fin.empty() ? 0 : mean / fin.size();
	if (nNan || (nNeg && nPos)) mean = NAN; else if (nNeg) mean = -INFINITY; else if (nPos) mean = INFINITY;
	else { mean = 0; for (double t : fin) mean += t; mean /= M; }
	std::vector<uint64_t> mass(d.size()); uint64_t tot = 0; size_t big = 0;
	for (size_t j = 0; j < d.size(); j++) { mass[j] = (uint64_t)(((unsigned __int128)d[j].second << 63) / M); tot += mass[j]; if (d[j].second > d[big].second) big = j; }
	mass[big] += 0x8000000000000000ull - tot;  // masses sum to exactly 1
	hex64(o, 1); hex64(o, bitsOf(mean)); hex32(o, (uint32_t)d.size());
	for (size_t j = 0; j < d.size(); j++) { hex64(o, bitsOf(d[j].first)); hex64(o, mass[j]); }
	return o;
}

// parse "Ux<hex>" at s (s points at 'U'); returns chars consumed (0 if not a Ux string)
UX_RT int hexv(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }
UX_RT uint64_t rdhex(const char *p, int n) { uint64_t v = 0; for (int k = 0; k < n; k++) v = (v << 4) | (uint64_t)hexv(p[k]); return v; }
UX_RT size_t parseUx(const char *s, bool haveParticle, double particle, Double *out) {
	if (!(s[0] == 'U' && s[1] == 'x')) return 0;
	const char *h = s + 2; size_t len = 0; while (hexv(h[len]) >= 0) len++;
	if (len < 2 + 16 + 16 + 8) return 0;
	uint64_t count = rdhex(h + 2, 16); double mean = fromBits(rdhex(h + 18, 16)); uint64_t n = rdhex(h + 34, 8);
	if (n > 100000) return 0;
	int posHex; if (len >= 42 + 32 * n) posHex = 16; else if (len >= 42 + 24 * n) posHex = 8; else return 0;
	std::vector<std::pair<double, double>> dd;
	const char *p = h + 42;
	for (uint64_t j = 0; j < n; j++) {
		double pos; if (posHex == 16) pos = fromBits(rdhex(p, 16)); else { uint32_t u = (uint32_t)rdhex(p, 8); float f; memcpy(&f, &u, 4); pos = f; }
		p += posHex; double m = (double)rdhex(p, 16) / 9223372036854775808.0; p += 16;
		if (m > 0) dd.push_back({pos, m});
	}
	size_t used = 2 + 42 + (size_t)n * (posHex + 16);
	double part = haveParticle ? particle : mean;
	if (dd.empty() || (dd.size() == 1 && (count == 0 || n == 1))) { *out = Double(haveParticle ? particle : (dd.empty() ? mean : dd[0].first)); return used; }
	std::stable_sort(dd.begin(), dd.end(), [](const std::pair<double, double> &a, const std::pair<double, double> &b) { return a.first < b.first; });
	std::vector<double> v(dd.size()), cw(dd.size()); double tot = 0;
	for (size_t j = 0; j < dd.size(); j++) { v[j] = dd[j].first; tot += dd[j].second; cw[j] = tot; }
	Double r; r.particle = part; r.dist = 1;
	resampleDiscrete(v.data(), cw.data(), v.size(), tot, r.s, false);
	*out = r;
	return used;
}
// strtod that understands "<number>Ux<hex>" and "Ux<hex>"
UX_RT Double strtodUx(const char *s, char **end) {
	const char *p = s; while (isspace((unsigned char)*p)) p++;
	char *e = nullptr; double v = ::strtod(p, &e);
	bool have = e != p; const char *q = have ? e : p;
	Double r;
	size_t used = parseUx(q, have, v, &r);
	if (used) { if (end) *end = (char *)(q + used); return r; }
	if (end) *end = (char *)(have ? e : s);
	return Double(have ? v : 0.0);
}

// ================================ printf family ====================================
UX_RT std::string vformat(const char *f, const Arg *a, size_t n) {
	std::string out; size_t ai = 0; char buf[512];
	if (!f) return out;
	auto next = [&]() -> Arg { return ai < n ? a[ai++] : Arg{0, 0, 0, 0, 0}; };
	auto fmt1 = [&](const std::string &sp, auto val) { int m = snprintf(buf, sizeof buf, sp.c_str(), val); if (m < (int)sizeof buf) out.append(buf, m < 0 ? 0 : m); else { std::string t(m + 1, 0); snprintf(&t[0], m + 1, sp.c_str(), val); out.append(t.c_str(), m); } };
	for (const char *p = f; *p;) {
		if (*p != '%') { out += *p++; continue; }
		if (p[1] == '%') { out += '%'; p += 2; continue; }
		std::string sp = "%"; p++; bool left = false;
		while (*p && strchr("-+ #0'", *p)) { if (*p == '-') left = true; sp += *p++; }
		if (*p == '*') { int w = (int)next().i; if (w < 0) left = true; sp += std::to_string(w); p++; } else while (isdigit((unsigned char)*p)) sp += *p++;
		if (*p == '.') { sp += *p++; if (*p == '*') { sp += std::to_string((int)next().i); p++; } else while (isdigit((unsigned char)*p)) sp += *p++; }
		bool particleOnly = false; std::string len;
		while (*p && strchr("hlLqjztP", *p)) { if (*p == 'P') particleOnly = true; else len += *p; p++; }
		char c = *p ? *p++ : 0;
		if (!c) break;
		Arg v = next();
		double dv = v.k == 3 ? v.x->particle : v.k == 1 ? v.d : (double)v.i;
		long long iv = v.k == 3 ? (long long)v.x->particle : v.k == 1 ? (long long)v.d : v.i;
		switch (c) {
		case 'd': case 'i':
			if (len == "hh") iv = (signed char)iv; else if (len == "h") iv = (short)iv; else if (len.empty()) iv = (int)iv;
			fmt1(sp + "lld", iv); break;
		case 'u': case 'o': case 'x': case 'X': {
			unsigned long long u = (unsigned long long)iv;
			if (len == "hh") u = (unsigned char)u; else if (len == "h") u = (unsigned short)u; else if (len.empty()) u = (unsigned int)u;
			fmt1(sp + "ll" + c, u); break; }
		case 'c': fmt1(sp + c, (int)iv); break;
		case 's': fmt1(sp + c, v.k == 2 ? (const char *)v.p : "(null)"); break;
		case 'p': fmt1(sp + c, v.p); break;
		case 'n': if (v.k == 2 && v.p) *(int *)v.p = (int)out.size(); break;
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A': {
			size_t start = out.size(); fmt1(sp + c, dv);
			if (particleOnly || v.k == 0 || v.k == 2) break;
			std::string ux = v.k == 3 ? uxString(*v.x) : uxString(Double(v.d));
			if (left) { size_t e = out.size(); while (e > start && out[e - 1] == ' ') e--; out.insert(e, ux); }
			else out += ux;
			break; }
		default: out += sp; out += c; break;
		}
	}
	return out;
}
UX_RT bool &sprintfWarned() { static bool w = false; return w; }
UX_RT int printTo(FILE *fp, const char *f, const Arg *a, size_t n) { std::string s = vformat(f, a, n); fwrite(s.data(), 1, s.size(), fp); return (int)s.size(); }
UX_RT int printFd(int fd, const char *f, const Arg *a, size_t n) { std::string s = vformat(f, a, n); return (int)write(fd, s.data(), s.size()); }
UX_RT int printN(char *d, size_t cap, const char *f, const Arg *a, size_t n) {
	std::string s = vformat(f, a, n);
	if (cap && d) { size_t m = std::min(cap - 1, s.size()); memcpy(d, s.data(), m); d[m] = 0; }
	return (int)s.size();
}
// sprintf into an array of N bytes (N = 0: a bare pointer, size unknown): if the Ux strings do not
// fit, print particles only (warn once)
UX_RT int printS(char *dp, size_t N, const char *f, const Arg *v, size_t n) {
	std::string s = vformat(f, v, n);
	if (N && s.size() + 1 > N) {
		std::string pf; for (const char *p = f; *p; p++) { pf += *p; if (*p == '%') { p++; while (*p && !strchr("diouxXcspnfFeEgGaA%", *p)) pf += *p++; if (*p && strchr("fFeEgGaA", *p)) pf += 'P'; if (*p) pf += *p; else break; } }
		s = vformat(pf.c_str(), v, n);
		if (!sprintfWarned()) { sprintfWarned() = true; warn("sprintf: Ux string does not fit in a %zu-byte buffer; printed particle values only", N); }
		if (s.size() + 1 > N) s.resize(N - 1);
	}
	memcpy(dp, s.c_str(), s.size() + 1); return (int)s.size();
}

// ================================ scanf family =====================================
struct StrSrc {
	const char *s; size_t pos = 0;
	int get() { return s[pos] ? (unsigned char)s[pos++] : EOF; }
	void unget(int c) { if (c != EOF) pos--; }
	bool eof() const { return !s[pos]; }
	// run libc sscanf on one directive; returns result, advances
	int run(const std::string &spec, void *arg, bool &ok) {
		int n = -1; std::string f = spec + "%n"; int r = arg ? ::sscanf(s + pos, f.c_str(), arg, &n) : ::sscanf(s + pos, f.c_str(), &n);
		ok = n >= 0; if (ok) pos += n; return r;
	}
};
struct FileSrc {
	FILE *fp;
	int get() { return getc(fp); }
	void unget(int c) { if (c != EOF) ungetc(c, fp); }
	bool eof() { int c = getc(fp); if (c == EOF) return true; ungetc(c, fp); return false; }
	int run(const std::string &spec, void *arg, bool &ok) {
		int n = -1; std::string f = spec + "%n"; int r = arg ? ::fscanf(fp, f.c_str(), arg, &n) : ::fscanf(fp, f.c_str(), &n);
		ok = n >= 0; return r;
	}
};
template <class Src> inline int scanEngine(Src &src, const char *f, ScanArg *args, size_t nargs) {
	size_t ai = 0; int assigned = 0; bool anyInput = false;
	for (const char *p = f; *p;) {
		if (isspace((unsigned char)*p)) { while (isspace((unsigned char)*p)) p++; int c; while ((c = src.get()) != EOF && isspace(c)) {} src.unget(c); continue; }
		if (*p != '%' || p[1] == '%') {  // literal
			char lit = *p == '%' ? '%' : *p; p += (*p == '%') ? 2 : 1;
			int c = src.get(); if (lit == '%') { while (c != EOF && isspace(c)) c = src.get(); }
			if (c == EOF) return (assigned || anyInput) ? assigned : EOF;
			if (c != lit) { src.unget(c); return assigned; }
			anyInput = true; continue;
		}
		const char *st = p++; bool suppress = false; if (*p == '*') { suppress = true; p++; }
		int width = 0; while (isdigit((unsigned char)*p)) width = width * 10 + (*p++ - '0');
		std::string len; while (*p && strchr("hlLqjzt", *p)) len += *p++;
		char c = *p;
		if (c == '[') { p++; if (*p == '^') p++; if (*p == ']') p++; while (*p && *p != ']') p++; }
		if (!*p) break;
		p++;
		std::string spec(st, p);
		if (strchr("fFeEgGaA", c)) {
			ScanArg a = suppress ? ScanArg{nullptr, false} : (ai < nargs ? args[ai++] : ScanArg{nullptr, false});
			int ch; while ((ch = src.get()) != EOF && isspace(ch)) {}
			if (ch == EOF) return (assigned || anyInput) ? assigned : EOF;
			std::string tok; int lim = width ? width : INT_MAX;
			while (ch != EOF && (int)tok.size() < lim && (isalnum(ch) || ch == '+' || ch == '-' || ch == '.')) { tok += (char)ch; ch = src.get(); }
			src.unget(ch);
			char *e; Double v = strtodUx(tok.c_str(), &e);
			if (e == tok.c_str()) return assigned;
			anyInput = true;
			if (!suppress && a.p) {
				if (a.isDouble) *(Double *)a.p = v;
				else if (len == "L") *(long double *)a.p = v.particle;
				else if (len == "l") *(double *)a.p = v.particle;
				else *(float *)a.p = (float)v.particle;
				assigned++;
			}
			continue;
		}
		void *arg = nullptr;
		if (!suppress && c != 'n') arg = ai < nargs ? args[ai++].p : nullptr;
		if (c == 'n') { ScanArg a = ai < nargs ? args[ai++] : ScanArg{nullptr, false}; if (a.p && !suppress) { if (a.isDouble) *(Double *)a.p = Double(0.0); } continue; }  // %n: position not tracked for files
		if (src.eof()) return (assigned || anyInput) ? assigned : EOF;
		bool ok; int r = src.run(spec, arg, ok);
		if (!ok) return (r == EOF && !assigned && !anyInput) ? EOF : assigned;
		anyInput = true; if (!suppress) assigned += r > 0 ? 1 : 0;
	}
	return assigned;
}
UX_RT int scanStr(const char *str, const char *f, ScanArg *args, size_t n) { StrSrc s{str}; return scanEngine(s, f, args, n); }
UX_RT int scanFile(FILE *fp, const char *f, ScanArg *args, size_t n) { FileSrc s{fp}; return scanEngine(s, f, args, n); }
}  // namespace ux

namespace ux {
UX_RT Double DistFromWeightedSamples(const WeightedDoubleSample *w, size_t n) { return DistFromWeightedSamplesT(w, n); }
UX_RT Double DistFromWeightedSamples(const WeightedFloatSample *w, size_t n) { return DistFromWeightedSamplesT(w, n); }
}  // namespace ux
UX_RT std::ostream &operator<<(std::ostream &os, const ::ux::Double &x) {
	std::ostringstream t; t.copyfmt(os); t.width(0); t << x.particle; std::string s = t.str() + ::ux::uxString(x);
	return os << s;
}
UX_RT std::istream &operator>>(std::istream &is, ::ux::Double &x) {
	std::string tok; if (is >> tok) { char *e; x = ::ux::strtodUx(tok.c_str(), &e); if (e == tok.c_str()) is.setstate(std::ios::failbit); }
	return is;
}

#define UX_D ::ux::Double
UX_RT void uxGeneratePath(const char *nm, void *params[], size_t nP, size_t len, size_t nS, void (*gen)(void *, UX_D **, size_t, size_t), UX_D ***res) {
	if (!len || !nS || !nP || !gen || !params || !res) { ::ux::warn("%s: invalid arguments", nm); return; }
	for (size_t k = 0; k < nP; k++) { if (!res[k]) { ::ux::warn("%s: resultArray contains NULL", nm); return; } for (size_t t = 0; t < len; t++) if (!res[k][t]) { ::ux::warn("%s: resultArray contains NULL", nm); return; } }
	for (size_t k = 0; k < nP; k++) for (size_t t = 0; t < len; t++) gen(params[k], res[k], t, nS);
}
UX_RT void uxGenerateConvergingPath(const char *nm, void *params[], size_t nP, size_t maxLen, size_t nS, bool (*gen)(void *, UX_D **, size_t, size_t), UX_D **res) {
	if (!maxLen || !nS || !nP || !gen || !params || !res) { ::ux::warn("%s: invalid arguments", nm); return; }
	std::vector<UX_D *> paths(maxLen);
	for (size_t t = 0; t < maxLen; t++) paths[t] = (UX_D *)calloc(nS, sizeof(UX_D));
	for (size_t k = 0; k < nP; k++) {
		if (!res[k]) { ::ux::warn("%s: resultArray contains NULL", nm); break; }
		for (size_t t = 0; t < maxLen; t++) {
			bool done = gen(params[k], paths.data(), t, nS);
			if (done || t == maxLen - 1) { for (size_t j = 0; j < nS; j++) res[k][j] = paths[t][j]; break; }
		}
	}
	for (size_t t = 0; t < maxLen; t++) free(paths[t]);
}
#undef UX_D

// ---- large stack: values are 8*(M+2) bytes, so local arrays of doubles need a big stack. -------
// If RLIMIT_STACK is below UX_MIN_STACK, raise it (up to the hard limit) and re-exec once.
namespace ux {
__attribute__((constructor(101))) static void ensureStack(int argc, char **argv, char **) {
	static bool done = false; if (done) return; done = true;
	(void)argc;
	struct rlimit rl; if (getrlimit(RLIMIT_STACK, &rl) != 0) return;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t)UX_MIN_STACK) return;
	if (getenv("PENUMBRA_UX_REEXEC")) return;
	rlim_t want = rl.rlim_max == RLIM_INFINITY ? RLIM_INFINITY : rl.rlim_max;
	if (want != RLIM_INFINITY && want <= rl.rlim_cur) return;
	rl.rlim_cur = want; if (setrlimit(RLIMIT_STACK, &rl) != 0) return;
	setenv("PENUMBRA_UX_REEXEC", "1", 1);
	if (argv) execv("/proc/self/exe", argv);
	unsetenv("PENUMBRA_UX_REEXEC");  // exec failed: carry on with the stack we have
}
}  // namespace ux
#endif  // PENUMBRA_UX_RUNTIME_IMPL_HPP
