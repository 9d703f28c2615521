/*
 * Penumbra native UxHw runtime: Bypass and Reference cores.
 *
 * Linked into every native build with -Wl,--wrap=main, so __wrap_main runs after all
 * static constructors and decides what to do from PENUMBRA_UXHW_MODE:
 *
 *   unset / "bypass"  one ordinary run; creators return the mean of their distribution.
 *   "reference"       this process becomes a fork server: a mean run (creators return
 *                     means) and PENUMBRA_RUNS sample runs, each with its own random stream
 *                     seeded by (PENUMBRA_SEED, run index), spread over PENUMBRA_WORKERS
 *                     worker processes forked from the initialised parent.
 *
 * Reference runs are executed either one fork per run, or in-process: a worker calls main
 * again and again, restoring the program's writable data ([__data_start, _end)) to the
 * pristine snapshot before each run and catching exit() with longjmp. The in-process mode
 * is used only after the first runs have produced byte-identical records both ways
 * (verification against fresh forks); otherwise it falls back to a fork per run.
 *
 * Each run's stdout goes to a memfd; after the run it is tokenised here (floating-point
 * numbers by line and position) and appended as fixed-size records to the worker's record
 * file in PENUMBRA_OUTDIR. Query calls (NthMoment, …) and traces also become records; on a
 * replay pass their answers come from PENUMBRA_ANSWERS (computed by the Python side over
 * all runs of the previous pass).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <malloc.h>
#include "uxhw.h"

/* ---------------- records (must match engine/reference.py) ---------------- */
enum { REC_VALUE = 0, REC_QUERY = 1, REC_TRACE = 2, REC_RUN_OK = 3, REC_RUN_FAIL = 4, REC_VERIFY = 5 };
enum { Q_MOMENT = 1, Q_MODE, Q_SMIN, Q_SMAX, Q_PGT, Q_QUANTILE, Q_PDF, Q_SAMPLE, Q_COPY, Q_LIMIT };
typedef struct {
	uint32_t kind;
	int32_t run;
	uint32_t a, b, c, d; /* value: line, pos, start col, end col; query: k, type; trace: id */
	double value, param, param2;
} Rec;

/* All runtime state lives on the heap, so the data-segment restore leaves it alone. */
typedef struct {
	int mode;           /* 0 = means (bypass / mean run), 1 = sampling run */
	int reference;      /* running under the Reference fork server */
	int64_t run;        /* -1 = mean run */
	uint64_t s[4];      /* xoshiro256** state */
	uint64_t seed;
	uint32_t k;         /* query counter within the run */
	double *answers;    /* (K+1) x Q, row K = mean run */
	uint64_t Q, K;
	int rec_fd;         /* worker's record file */
	int out_fd;         /* memfd holding the run's stdout */
	int in_run;         /* in-process: exit() longjmps */
	int exit_status;
	jmp_buf jb;
	int argc;
	char **argv, **envp;
	char *snap;         /* pristine copy of the data segment */
	size_t snap_len;
	Rec *buf; size_t nbuf, capbuf;
	void (*gf_flush)(int *); /* libgfortran's FLUSH, when the program is Fortran */
} Runtime;

static Runtime *R;
extern int __real_main(int, char **, char **);
extern char __data_start[], _end[];

static void warnf(const char *fmt, ...) {
	if (R && R->reference && R->run >= 0) return; /* sample runs are silent; the mean run warns */
	va_list ap; va_start(ap, fmt);
	fputs("UxHw warning: ", stderr); vfprintf(stderr, fmt, ap); fputc('\n', stderr);
	va_end(ap);
}

/* ---------------- random streams ---------------- */
static uint64_t splitmix(uint64_t *x) {
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}
static void seed_run(int64_t run) {
	uint64_t x = R->seed ^ ((uint64_t)(run + 1) * 0xD1B54A32D192ED03ull);
	for (int i = 0; i < 4; i++) R->s[i] = splitmix(&x);
}
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t next64(void) {
	uint64_t *s = R->s, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
	return r;
}
static double unif(void) { return ((double)(next64() >> 11) + 0.5) * 0x1.0p-53; } /* (0,1) */
static double gauss01(void) { return sqrt(-2.0 * log(unif())) * cos(2.0 * M_PI * unif()); }
static double gamma_k(double k) { /* Marsaglia–Tsang, scale 1 */
	if (k < 1.0) return gamma_k(k + 1.0) * pow(unif(), 1.0 / k);
	double d = k - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
	for (;;) {
		double x = gauss01(), v = 1.0 + c * x;
		if (v <= 0) continue;
		v = v * v * v;
		double u = unif();
		if (log(u) < 0.5 * x * x + d - d * v + d * log(v)) return d * v;
	}
}
static int sampling(void) { return R && R->mode == 1; }

/* ---------------- creators ---------------- */
#define BAD(cond, name) do { if (cond) { warnf("%s: invalid parameters, returning NaN", name); return NAN; } } while (0)
static const double EULER = 0.57721566490153286061;

double UxHwDoubleUniformDist(double a, double b) {
	BAD(!(a <= b), "UniformDist");
	return sampling() ? a + (b - a) * unif() : 0.5 * (a + b);
}
double UxHwDoubleGaussDist(double mu, double sigma) {
	BAD(!(sigma >= 0), "GaussDist");
	return sampling() ? mu + sigma * gauss01() : mu;
}
double UxHwDoubleExponentialDist(double mu) {
	BAD(!(mu > 0), "ExponentialDist");
	return sampling() ? -mu * log(unif()) : mu;
}
double UxHwDoubleGumbel1Dist(double mu, double beta) {
	BAD(!(beta > 0), "Gumbel1Dist");
	return sampling() ? mu - beta * log(-log(unif())) : mu + beta * EULER;
}
double UxHwDoubleLogisticDist(double loc, double scale) {
	BAD(!(scale > 0), "LogisticDist");
	if (!sampling()) return loc;
	double u = unif();
	return loc + scale * log(u / (1 - u));
}
double UxHwDoubleLaplaceDist(double mu, double b) {
	BAD(!(b > 0), "LaplaceDist");
	if (!sampling()) return mu;
	double u = unif() - 0.5;
	return mu - b * copysign(1.0, u) * log(1 - 2 * fabs(u));
}
double UxHwDoubleWeibullDist(double k, double lambda) {
	BAD(!(k > 0 && lambda > 0), "WeibullDist");
	return sampling() ? lambda * pow(-log(unif()), 1.0 / k) : lambda * tgamma(1.0 + 1.0 / k);
}
double UxHwDoubleLognormalDist(double mu, double sigma) {
	BAD(!(sigma >= 0), "LognormalDist");
	return sampling() ? exp(mu + sigma * gauss01()) : exp(mu + 0.5 * sigma * sigma);
}
double UxHwDoubleBoundedparetoDist(double alpha, double lo, double hi) {
	BAD(!(alpha > 0 && lo > 0 && hi > lo), "BoundedparetoDist");
	double r = pow(lo / hi, alpha);
	if (sampling()) return lo / pow(1 - unif() * (1 - r), 1.0 / alpha);
	if (fabs(alpha - 1) < 1e-12) return hi * lo / (hi - lo) * log(hi / lo);
	return pow(lo, alpha) / (1 - r) * alpha / (alpha - 1) * (pow(lo, 1 - alpha) - pow(hi, 1 - alpha));
}
double UxHwDoubleGammaDist(double k, double theta) {
	BAD(!(k > 0 && theta > 0), "GammaDist");
	return sampling() ? theta * gamma_k(k) : k * theta;
}
double UxHwDoubleBetaDist(double a, double b) {
	BAD(!(a > 0 && b > 0), "BetaDist");
	if (!sampling()) return a / (a + b);
	double x = gamma_k(a), y = gamma_k(b);
	return x / (x + y);
}
double UxHwDoubleInverseGammaDist(double alpha, double beta) {
	BAD(!(alpha > 1 && beta > 0), "InverseGammaDist");
	return sampling() ? beta / gamma_k(alpha) : beta / (alpha - 1);
}
double UxHwDoubleChiSquaredDist(double k) {
	BAD(!(k > 0), "ChiSquaredDist");
	return sampling() ? 2.0 * gamma_k(0.5 * k) : k;
}
double UxHwDoubleFDist(double d1, double d2) {
	BAD(!(d1 > 0 && d2 > 2), "FDist");
	if (!sampling()) return d2 / (d2 - 2);
	return (2.0 * gamma_k(0.5 * d1) / d1) / (2.0 * gamma_k(0.5 * d2) / d2);
}
double UxHwDoubleStudentsTDist(double nu) {
	BAD(!(nu > 1), "StudentsTDist");
	return sampling() ? gauss01() / sqrt(2.0 * gamma_k(0.5 * nu) / nu) : 0.0;
}
double UxHwDoubleGEVDist(double xi) {
	BAD(!(xi < 1), "GEVDist");
	if (sampling()) {
		double e = -log(unif());
		return xi == 0 ? -log(e) : (pow(e, -xi) - 1) / xi;
	}
	return xi == 0 ? EULER : (tgamma(1 - xi) - 1) / xi;
}
double UxHwDoubleDistFromSamples(double *s, size_t n) {
	BAD(!s || n == 0, "DistFromSamples");
	if (sampling()) { size_t i = (size_t)(unif() * n); return s[i < n ? i : n - 1]; }
	double m = 0; for (size_t i = 0; i < n; i++) m += s[i];
	return m / n;
}
double UxHwDoubleDistFromWeightedSamples(WeightedDoubleSample *s, size_t n) {
	BAD(!s || n == 0, "DistFromWeightedSamples");
	double tot = 0, m = 0;
	for (size_t i = 0; i < n; i++) { BAD(!(s[i].sampleWeight >= 0), "DistFromWeightedSamples"); tot += s[i].sampleWeight; m += s[i].sample * s[i].sampleWeight; }
	BAD(!(tot > 0), "DistFromWeightedSamples");
	if (!sampling()) return m / tot;
	double u = unif() * tot, c = 0;
	for (size_t i = 0; i < n; i++) { c += s[i].sampleWeight; if (u < c) return s[i].sample; }
	return s[n - 1].sample;
}
void UxHwDoubleDistFromMultidimensionalSamples(double *dest, void *samples, size_t n, size_t card) {
	double **rows = (double **)samples; /* as the compat runtime: rows[sample][dimension] */
	if (!dest || !rows || n == 0) { warnf("DistFromMultidimensionalSamples: invalid parameters"); for (size_t j = 0; dest && j < card; j++) dest[j] = NAN; return; }
	if (sampling()) { size_t i = (size_t)(unif() * n); if (i >= n) i = n - 1; for (size_t j = 0; j < card; j++) dest[j] = rows[i][j]; return; }
	for (size_t j = 0; j < card; j++) { double m = 0; for (size_t i = 0; i < n; i++) m += rows[i][j]; dest[j] = m / n; }
}
double UxHwDoubleMixture(double a, double b, double s) {
	BAD(!(s >= 0 && s <= 1), "Mixture");
	if (!sampling()) return s * a + (1 - s) * b;
	return unif() < s ? a : b;
}

/* ---------------- queries ---------------- */
static void emit(Rec r);
/* A query in a Reference run: record (k, type, x, params); answer from the replay table. */
static double query(int type, double x, double p, double p2, double fallback) {
	if (!R || !R->reference) return fallback;
	uint32_t k = R->k++;
	Rec r = {REC_QUERY, (int32_t)R->run, k, (uint32_t)type, 0, 0, x, p, p2};
	emit(r);
	if (R->answers && k < R->Q) {
		uint64_t row = R->run < 0 ? R->K : (uint64_t)R->run;
		return R->answers[row * R->Q + k];
	}
	return fallback;
}
double UxHwDoubleNthMoment(double v, size_t n) {
	return query(Q_MOMENT, v, (double)n, 0, n == 0 ? 1.0 : n == 1 ? v : 0.0);
}
double UxHwDoubleNthMode(double v, size_t n) { return query(Q_MODE, v, (double)n, 0, v); }
double UxHwDoubleSupportMin(double v) { return query(Q_SMIN, v, 0, 0, v); }
double UxHwDoubleSupportMax(double v) { return query(Q_SMAX, v, 0, 0, v); }
double UxHwDoubleProbabilityGT(double v, double c) { return query(Q_PGT, v, c, 0, v > c ? 1.0 : 0.0); }
double UxHwDoubleQuantile(double v, double p) {
	BAD(!(p >= 0 && p <= 1), "Quantile");
	return query(Q_QUANTILE, v, p, 0, v);
}
double UxHwDoubleEvaluatePDF(double v, double at) { return query(Q_PDF, v, at, 0, v == at ? INFINITY : 0.0); }
double UxHwDoubleSample(double v) { return query(Q_SAMPLE, v, 0, 0, v); }
void UxHwDoubleSampleBatch(double v, double *dst, size_t n) {
	for (size_t i = 0; i < n; i++) dst[i] = UxHwDoubleSample(v);
}
double UxHwDoubleGetIndependentCopy(double v) { return query(Q_COPY, v, -1, 0, v); }
void UxHwDoubleGetIndependentJointMultidimensionalCopy(double *src, double *dst, size_t n) {
	/* param = group: the Python side takes every member of a group from the same other run */
	double g = R && R->reference ? (double)R->k : 0;
	for (size_t i = 0; i < n; i++) dst[i] = query(Q_COPY, src[i], g, 0, src[i]);
}
double UxHwDoubleLimitDistributionSupport(double v, double lo, double hi) {
	BAD(!(lo <= hi), "LimitDistributionSupport");
	return query(Q_LIMIT, v, lo, hi, (v >= lo && v <= hi) ? v : NAN);
}
double UxHwDoubleBayesLaplace(double (*model)(void *, double), void *params, double prior, double obs, size_t n) {
	(void)model; (void)params; (void)obs; (void)n;
	warnf("BayesLaplace is not supported on native cores (Bypass/Reference); returning the prior");
	return prior;
}
static double argmin_impl(double out, double *args, size_t n, double *dst) {
	for (size_t i = 0; i < n; i++) dst[i] = args[i];
	return out;
}
double UxHwDoubleArgmin(double o, double *a, size_t n, double *d) { return argmin_impl(o, a, n, d); }
double UxHwDoubleArgminTotallyCorrelatedInputs(double o, double *a, size_t n, double *d) { return argmin_impl(o, a, n, d); }
void UxHwDoubleGeneratePath(void *params[], size_t np, size_t len, size_t nsv, void (*gen)(void *, double **, size_t, size_t), double ***result) {
	(void)np;
	double **paths = calloc(nsv, sizeof *paths);
	for (size_t s = 0; s < nsv; s++) paths[s] = calloc(len ? len : 1, sizeof **paths);
	for (size_t t = 0; t < len; t++) gen(params, paths, t, nsv);
	*result = paths;
}
void UxHwDoubleGenerateConvergingPath(void *params[], size_t np, size_t len, size_t nsv, bool (*gen)(void *, double **, size_t, size_t), double **result) {
	(void)np;
	double **paths = calloc(nsv, sizeof *paths);
	for (size_t s = 0; s < nsv; s++) paths[s] = calloc(len ? len : 1, sizeof **paths);
	for (size_t t = 0; t < len; t++) if (gen(params, paths, t, nsv)) break;
	for (size_t s = 0; s < nsv && result; s++) result[s] = paths[s]; /* caller owns the paths */
	free(paths);
}
void UxHwDoublePropagateFunction(void (*f)(void *, double *, size_t, double *, size_t), void *args, double *in, size_t nIn, double *out, size_t nOut) {
	f(args, in, nIn, out, nOut);
}
void UxHwPenumbraTrace(unsigned id, double v) {
	if (!R || !R->reference) return;
	Rec r = {REC_TRACE, (int32_t)R->run, id, 0, 0, 0, v, 0, 0};
	emit(r);
}

/* ---------------- float forms ---------------- */
#define F1(N) float UxHwFloat##N(float a) { return (float)UxHwDouble##N(a); }
#define F2(N) float UxHwFloat##N(float a, float b) { return (float)UxHwDouble##N(a, b); }
#define F3(N) float UxHwFloat##N(float a, float b, float c) { return (float)UxHwDouble##N(a, b, c); }
F1(ExponentialDist) F2(UniformDist) F2(GaussDist) F2(Gumbel1Dist) F2(LogisticDist) F2(LaplaceDist)
F2(WeibullDist) F2(LognormalDist) F3(BoundedparetoDist) F2(BetaDist) F2(GammaDist) F2(InverseGammaDist)
F1(ChiSquaredDist) F2(FDist) F1(StudentsTDist) F1(GEVDist) F3(Mixture) F1(GetIndependentCopy)
F3(LimitDistributionSupport) F1(SupportMin) F1(SupportMax) F2(ProbabilityGT) F2(Quantile) F2(EvaluatePDF) F1(Sample)
float UxHwFloatNthMoment(float v, size_t n) { return (float)UxHwDoubleNthMoment(v, n); }
float UxHwFloatNthMode(float v, size_t n) { return (float)UxHwDoubleNthMode(v, n); }
void UxHwFloatSampleBatch(float v, float *d, size_t n) { for (size_t i = 0; i < n; i++) d[i] = UxHwFloatSample(v); }
float UxHwFloatDistFromSamples(float *s, size_t n) {
	BAD(!s || n == 0, "DistFromSamples");
	if (sampling()) { size_t i = (size_t)(unif() * n); return s[i < n ? i : n - 1]; }
	double m = 0; for (size_t i = 0; i < n; i++) m += s[i];
	return (float)(m / n);
}
float UxHwFloatDistFromWeightedSamples(WeightedFloatSample *s, size_t n) {
	BAD(!s || n == 0, "DistFromWeightedSamples");
	WeightedDoubleSample *d = malloc(n * sizeof *d);
	for (size_t i = 0; i < n; i++) { d[i].sample = s[i].sample; d[i].sampleWeight = s[i].sampleWeight; }
	double r = UxHwDoubleDistFromWeightedSamples(d, n);
	free(d);
	return (float)r;
}
void UxHwFloatDistFromMultidimensionalSamples(float *dest, void *samples, size_t n, size_t card) {
	float **rows = (float **)samples;
	if (!dest || !rows || n == 0) { warnf("DistFromMultidimensionalSamples: invalid parameters"); for (size_t j = 0; dest && j < card; j++) dest[j] = NAN; return; }
	if (sampling()) { size_t i = (size_t)(unif() * n); if (i >= n) i = n - 1; for (size_t j = 0; j < card; j++) dest[j] = rows[i][j]; return; }
	for (size_t j = 0; j < card; j++) { double m = 0; for (size_t i = 0; i < n; i++) m += rows[i][j]; dest[j] = (float)(m / n); }
}
void UxHwFloatGetIndependentJointMultidimensionalCopy(float *src, float *dst, size_t n) {
	double g = R && R->reference ? (double)R->k : 0;
	for (size_t i = 0; i < n; i++) dst[i] = (float)query(Q_COPY, src[i], g, 0, src[i]);
}
float UxHwFloatBayesLaplace(float (*model)(void *, float), void *params, float prior, float obs, size_t n) {
	(void)model; (void)params; (void)obs; (void)n;
	warnf("BayesLaplace is not supported on native cores (Bypass/Reference); returning the prior");
	return prior;
}
float UxHwFloatArgmin(float o, float *a, size_t n, float *d) { for (size_t i = 0; i < n; i++) d[i] = a[i]; return o; }
float UxHwFloatArgminTotallyCorrelatedInputs(float o, float *a, size_t n, float *d) { for (size_t i = 0; i < n; i++) d[i] = a[i]; return o; }
void UxHwFloatGeneratePath(void *params[], size_t np, size_t len, size_t nsv, void (*gen)(void *, float **, size_t, size_t), float ***result) {
	(void)np;
	float **paths = calloc(nsv, sizeof *paths);
	for (size_t s = 0; s < nsv; s++) paths[s] = calloc(len ? len : 1, sizeof **paths);
	for (size_t t = 0; t < len; t++) gen(params, paths, t, nsv);
	*result = paths;
}
void UxHwFloatGenerateConvergingPath(void *params[], size_t np, size_t len, size_t nsv, bool (*gen)(void *, float **, size_t, size_t), float **result) {
	(void)np;
	float **paths = calloc(nsv, sizeof *paths);
	for (size_t s = 0; s < nsv; s++) paths[s] = calloc(len ? len : 1, sizeof **paths);
	for (size_t t = 0; t < len; t++) if (gen(params, paths, t, nsv)) break;
	for (size_t s = 0; s < nsv && result; s++) result[s] = paths[s]; /* caller owns the paths */
	free(paths);
}
void UxHwFloatPropagateFunction(void (*f)(void *, float *, size_t, float *, size_t), void *args, float *in, size_t nIn, float *out, size_t nOut) {
	f(args, in, nIn, out, nOut);
}

/* ---------------- records and stdout tokenising ---------------- */
static void flush_recs(void) {
	if (!R || R->rec_fd < 0 || R->nbuf == 0) return;
	const char *p = (const char *)R->buf; size_t left = R->nbuf * sizeof(Rec);
	while (left) { ssize_t w = write(R->rec_fd, p, left); if (w <= 0) { if (errno == EINTR) continue; break; } p += w; left -= (size_t)w; }
	R->nbuf = 0;
}
static void emit(Rec r) {
	if (R->rec_fd < 0) return;
	if (R->nbuf == R->capbuf) flush_recs();
	R->buf[R->nbuf++] = r;
}
static int wordch(int c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.'; }
static int digit(int c) { return c >= '0' && c <= '9'; }
/* Length of a floating-point token at s (0 if none). Grammar (same as engine/reference.py):
 * [+-]? ( (d+.d* | .d+)([eE][+-]?d+)? | d+[eE][+-]?d+ | nan | inf | infinity ), case-insensitive words. */
static size_t float_token(const char *s, const char *e) {
	const char *p = s;
	if (p < e && (*p == '+' || *p == '-')) p++;
	const char *q = p;
	if (e - q >= 8 && !strncasecmp(q, "infinity", 8)) return (size_t)(q + 8 - s);
	if (e - q >= 3 && (!strncasecmp(q, "nan", 3) || !strncasecmp(q, "inf", 3))) return (size_t)(q + 3 - s);
	int nd = 0, dot = 0, ex = 0;
	while (q < e && digit(*q)) { q++; nd++; }
	if (q < e && *q == '.') { dot = 1; q++; while (q < e && digit(*q)) { q++; nd++; } }
	if (!nd) return 0;
	if (q < e && (*q == 'e' || *q == 'E')) {
		const char *t = q + 1;
		if (t < e && (*t == '+' || *t == '-')) t++;
		if (t < e && digit(*t)) { while (t < e && digit(*t)) t++; q = t; ex = 1; }
	}
	if (!dot && !ex) return 0;
	return (size_t)(q - s);
}
static void tokenise(const char *buf, size_t n, int32_t run) {
	uint32_t line = 0, pos = 0; size_t ls = 0;
	for (size_t i = 0; i < n;) {
		if (buf[i] == '\n') { line++; pos = 0; ls = ++i; continue; }
		if ((i == ls || !wordch((unsigned char)buf[i - 1])) && (buf[i] == '+' || buf[i] == '-' || buf[i] == '.' || digit(buf[i]) || buf[i] == 'n' || buf[i] == 'N' || buf[i] == 'i' || buf[i] == 'I')) {
			size_t L = float_token(buf + i, buf + n);
			if (L && (i + L >= n || !wordch((unsigned char)buf[i + L]))) {
				char tmp[64]; size_t m = L < 63 ? L : 63; memcpy(tmp, buf + i, m); tmp[m] = 0;
				Rec r = {REC_VALUE, run, line, pos++, (uint32_t)(i - ls), (uint32_t)(i - ls + L), strtod(tmp, NULL), 0, 0};
				emit(r);
				i += L;
				continue;
			}
		}
		i++;
	}
}
/* Read the run's stdout back from the memfd, tokenise it, reset the memfd. */
static void collect_stdout(int32_t run, FILE *copy) {
	fflush(stdout);
	if (R->gf_flush) { int unit = 6; R->gf_flush(&unit); } /* Fortran's own stdout buffer */
	off_t n = lseek(R->out_fd, 0, SEEK_END);
	if (n > 0) {
		char *b = mmap(NULL, (size_t)n, PROT_READ, MAP_PRIVATE, R->out_fd, 0);
		if (b != MAP_FAILED) {
			tokenise(b, (size_t)n, run);
			if (copy) fwrite(b, 1, (size_t)n, copy);
			munmap(b, (size_t)n);
		}
	}
	if (run < 0) return; /* the mean run's stdout file is kept */
	if (ftruncate(R->out_fd, 0) != 0) {}
	lseek(R->out_fd, 0, SEEK_SET);
}

/* ---------------- exit() interposition ---------------- */
static void (*real_exit)(int) = NULL;
void exit(int status) {
	if (R && R->in_run) { R->exit_status = status; longjmp(R->jb, 1); }
	if (R) R->exit_status = status;
	if (!real_exit) real_exit = (void (*)(int))dlsym(RTLD_NEXT, "exit");
	real_exit(status);
	_exit(status);
}

/* ---------------- fork server ---------------- */
typedef struct { volatile int64_t next; volatile int64_t cur[64]; } Shared;
static Shared *SH;
static int64_t K_total;

static void begin_run(int64_t run) {
	R->run = run; R->k = 0;
	R->mode = run >= 0 ? 1 : 0;
	seed_run(run);
}
static void end_run(int status) {
	collect_stdout((int32_t)R->run, NULL);
	Rec r = {REC_RUN_OK, (int32_t)R->run, (uint32_t)status, 0, 0, 0, 0, 0, 0};
	emit(r);
	flush_recs();
}
/* atexit handler for fork-per-run children: runs after the program's own handlers. */
static void child_atexit(void) { end_run(R->exit_status); }

static int open_out(const char *dir, const char *name) {
	char p[4096]; snprintf(p, sizeof p, "%s/%s", dir, name);
	return open(p, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
}
static void setup_stdio(int quiet) {
	R->out_fd = memfd_create("penumbra-stdout", 0);
	dup2(R->out_fd, 1);
	if (quiet) { int nul = open("/dev/null", O_RDWR); dup2(nul, 0); dup2(nul, 2); close(nul); }
}
/* One run in a fresh fork; returns the wait status. */
static int fork_run(int64_t run, int quiet) {
	fflush(NULL);
	flush_recs();
	pid_t p = fork();
	if (p == 0) {
		setup_stdio(quiet);
		begin_run(run);
		atexit(child_atexit);
		int rc = __real_main(R->argc, R->argv, R->envp);
		R->exit_status = rc;
		exit(rc);
	}
	int st = 0;
	while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
	return st;
}
static void fail_rec(int64_t run, int st) {
	Rec r = {REC_RUN_FAIL, (int32_t)run, (uint32_t)(WIFSIGNALED(st) ? WTERMSIG(st) : 0), (uint32_t)(WIFEXITED(st) ? WEXITSTATUS(st) : 0), 0, 0, 0, 0, 0};
	emit(r); flush_recs();
}
/* In-process runs: restore the data segment, call main, catch exit(). */
static size_t heap_mark;
static void inprocess_runs(int w, int64_t first, int64_t last, int grab) {
	for (;;) {
		int64_t run;
		if (grab) { run = __atomic_fetch_add(&SH->next, 1, __ATOMIC_SEQ_CST); if (run >= K_total) break; }
		else { run = first++; if (run >= last) break; }
		SH->cur[w] = run;
		Runtime *keep = R;
		memcpy(__data_start, keep->snap, keep->snap_len);
		R = keep;
		begin_run(run);
		R->in_run = 1;
		int status;
		if (setjmp(R->jb) == 0) status = __real_main(R->argc, R->argv, R->envp);
		else status = R->exit_status;
		R->in_run = 0;
		end_run(status);
		SH->cur[w] = -1;
		/* leaked heap of many runs: hand over to a fresh worker */
		struct mallinfo2 mi = mallinfo2();
		if (mi.uordblks > heap_mark + (256u << 20)) _exit(3);
	}
}
static void fork_runs(int w) {
	for (;;) {
		int64_t run = __atomic_fetch_add(&SH->next, 1, __ATOMIC_SEQ_CST);
		if (run >= K_total) break;
		SH->cur[w] = run;
		int st = fork_run(run, 1);
		if (!(WIFEXITED(st)) ) fail_rec(run, st);
		else {
			/* the child wrote REC_RUN_OK itself unless it died in _exit/abort paths */
		}
		SH->cur[w] = -1;
	}
}

static uint64_t env_u64(const char *n, uint64_t d) { const char *v = getenv(n); return v && *v ? strtoull(v, NULL, 10) : d; }

static int fork_server(void) {
	const char *dir = getenv("PENUMBRA_OUTDIR");
	if (!dir) { fprintf(stderr, "penumbra: PENUMBRA_OUTDIR not set\n"); return 70; }
	K_total = (int64_t)env_u64("PENUMBRA_RUNS", 32);
	int W = (int)env_u64("PENUMBRA_WORKERS", 2);
	if (W < 1) W = 1;
	if (W > 64) W = 64;
	const char *ip = getenv("PENUMBRA_INPROCESS"); /* "auto" (default), "0", "1" */
	int inproc = ip && *ip == '0' ? 0 : ip && *ip == '1' ? 1 : -1;
	const char *ans = getenv("PENUMBRA_ANSWERS");
	if (ans && *ans) {
		int fd = open(ans, O_RDONLY);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size >= 16) {
			uint64_t *h = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
			if (h != MAP_FAILED) { R->Q = h[0]; R->K = h[1]; R->answers = (double *)(h + 2); }
		}
	}
	SH = mmap(NULL, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	for (int i = 0; i < 64; i++) SH->cur[i] = -1;
	heap_mark = mallinfo2().uordblks;
	R->snap_len = (size_t)(_end - __data_start);
	R->snap = malloc(R->snap_len);
	memcpy(R->snap, __data_start, R->snap_len);

	/* 1. mean run: its stdout (kept verbatim) and stderr are what the user sees */
	R->rec_fd = open_out(dir, "mean.rec");
	{
		fflush(NULL);
		pid_t p = fork();
		if (p == 0) {
			char path[4096]; snprintf(path, sizeof path, "%s/mean.stdout", dir);
			R->out_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
			dup2(R->out_fd, 1);
			begin_run(-1);
			R->in_run = 1;
			int status;
			if (setjmp(R->jb) == 0) status = __real_main(R->argc, R->argv, R->envp);
			else status = R->exit_status;
			R->in_run = 0;
			collect_stdout(-1, NULL);
			Rec r = {REC_RUN_OK, -1, (uint32_t)status, 0, 0, 0, 0, 0, 0};
			emit(r); flush_recs();
			fflush(stderr);
			_exit(0);
		}
		int st; while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) fail_rec(-1, st);
	}
	close(R->rec_fd);

	/* 2. verification: the first V runs in fresh forks and in-process must agree */
	int64_t V = K_total < 3 ? K_total : 3;
	if (inproc == -1 && V > 0) {
		char pa[4096], pb[4096];
		snprintf(pa, sizeof pa, "%s/verify.fork.rec", dir); snprintf(pb, sizeof pb, "%s/verify.inproc.rec", dir);
		R->rec_fd = open_out(dir, "verify.fork.rec");
		for (int64_t r = 0; r < V; r++) { int st = fork_run(r, 1); if (!WIFEXITED(st)) fail_rec(r, st); }
		close(R->rec_fd);
		fflush(NULL);
		pid_t p = fork();
		if (p == 0) {
			R->rec_fd = open_out(dir, "verify.inproc.rec");
			setup_stdio(1);
			inprocess_runs(0, 0, V, 0);
			flush_recs();
			_exit(0);
		}
		int st; while (waitpid(p, &st, 0) < 0 && errno == EINTR) {}
		int same = 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			FILE *a = fopen(pa, "rb"), *b = fopen(pb, "rb");
			if (a && b) {
				same = 1; int ca, cb;
				do { ca = fgetc(a); cb = fgetc(b); if (ca != cb) { same = 0; break; } } while (ca != EOF);
			}
			if (a) fclose(a);
			if (b) fclose(b);
		}
		inproc = same;
		unlink(pb);
		SH->next = V; /* verified runs are kept (from the fork records) */
	} else {
		SH->next = 0;
	}
	{	/* tell the Python side which mode ran */
		char p[4096]; snprintf(p, sizeof p, "%s/mode", dir);
		FILE *f = fopen(p, "w"); if (f) { fprintf(f, "%s\n", inproc ? "inprocess" : "fork"); fclose(f); }
	}

	/* 3. workers */
	pid_t pids[64] = {0}; int gen = 0;
	int active = 0;
	for (int w = 0; w < W; w++) {
		fflush(NULL);
		pid_t p = fork();
		if (p == 0) {
			char name[64]; snprintf(name, sizeof name, "w%d.%d.rec", w, gen);
			R->rec_fd = open_out(dir, name);
			setup_stdio(1);
			if (inproc) inprocess_runs(w, 0, 0, 1); else fork_runs(w);
			flush_recs();
			_exit(0);
		}
		pids[w] = p; active++;
	}
	while (active > 0) {
		int st; pid_t p = wait(&st);
		if (p < 0) { if (errno == EINTR) continue; break; }
		int w = -1; for (int i = 0; i < W; i++) if (pids[i] == p) w = i;
		if (w < 0) continue;
		pids[w] = 0; active--;
		int64_t crashed = SH->cur[w];
		int recycle = WIFEXITED(st) && WEXITSTATUS(st) == 3;
		if (crashed >= 0 && !recycle) {
			/* the worker died inside a run: record it, carry on with a new worker */
			char name[64]; snprintf(name, sizeof name, "fail.%d.rec", ++gen);
			R->rec_fd = open_out(dir, name);
			fail_rec(crashed, st);
			close(R->rec_fd);
			SH->cur[w] = -1;
		}
		if ((crashed >= 0 || recycle) && SH->next < K_total) {
			++gen;
			fflush(NULL);
			pid_t q = fork();
			if (q == 0) {
				char name[64]; snprintf(name, sizeof name, "w%d.%d.rec", w, gen);
				R->rec_fd = open_out(dir, name);
				setup_stdio(1);
				if (inproc) inprocess_runs(w, 0, 0, 1); else fork_runs(w);
				flush_recs();
				_exit(0);
			}
			pids[w] = q; active++;
		}
	}
	return 0;
}

int __wrap_main(int argc, char **argv, char **envp) {
	R = calloc(1, sizeof *R);
	R->argc = argc; R->argv = argv; R->envp = envp;
	R->rec_fd = -1; R->out_fd = -1;
	R->capbuf = 4096; R->buf = malloc(R->capbuf * sizeof(Rec));
	R->seed = env_u64("PENUMBRA_SEED", 1);
	R->gf_flush = (void (*)(int *))dlsym(RTLD_DEFAULT, "_gfortran_flush_i4");
	const char *m = getenv("PENUMBRA_UXHW_MODE");
	if (m && !strcmp(m, "reference")) {
		R->reference = 1;
		int rc = fork_server();
		fflush(NULL);
		_exit(rc);
	}
	if (m && !strcmp(m, "sample")) {
		/* one plain Monte Carlo run: creators draw from the stream of PENUMBRA_SEED */
		R->mode = 1; R->run = 0; seed_run(0);
		return __real_main(argc, argv, envp);
	}
	R->mode = 0; R->run = -1;
	return __real_main(argc, argv, envp);
}
