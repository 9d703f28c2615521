/*
 * uxhw.h — Penumbra's UxHw API for native builds (Bypass and Reference cores).
 *
 * Same names and signatures as Signaloid's public uxhw.h. Linked against Penumbra's
 * native runtime (uxhw_runtime.c): on Bypass every creator returns the mean of its
 * distribution and queries answer for a point value; on Reference the program is
 * re-executed with independent random streams and queries are answered over all runs
 * (see engine/runtime/native/README.md).
 */
#ifndef PENUMBRA_UXHW_H
#define PENUMBRA_UXHW_H
#include <stddef.h>
#include <stdbool.h>
#include <math.h>

/* The native libc prints plain numbers; "" keeps "%" SignaloidParticleModifier "lf" valid. */
#define SignaloidParticleModifier ""

typedef struct { float sample; float sampleWeight; } WeightedFloatSample;
typedef struct { double sample; double sampleWeight; } WeightedDoubleSample;

#ifndef __cplusplus
/* Signaloid's header defines these for C; C++ has std::min/std::max. */
#ifndef min
#define min(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef max
#define max(a, b) ((a) > (b) ? (a) : (b))
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

double UxHwDoubleSample(double value);
void UxHwDoubleSampleBatch(double value, double *dest, size_t numberOfRandomSamples);
double UxHwDoubleDistFromSamples(double *samples, size_t sampleCount);
double UxHwDoubleDistFromWeightedSamples(WeightedDoubleSample *samples, size_t weightedSampleCount);
void UxHwDoubleDistFromMultidimensionalSamples(double *destArray, void *samples, size_t sampleCount, size_t sampleCardinality);
double UxHwDoubleExponentialDist(double mu);
double UxHwDoubleUniformDist(double a, double b);
double UxHwDoubleGaussDist(double mu, double sigma);
double UxHwDoubleGumbel1Dist(double mu, double beta);
double UxHwDoubleLogisticDist(double location, double scale);
double UxHwDoubleLaplaceDist(double mu, double b);
double UxHwDoubleWeibullDist(double k, double lambda);
double UxHwDoubleLognormalDist(double mu, double sigma);
double UxHwDoubleBoundedparetoDist(double alpha, double xMin, double xMax);
double UxHwDoubleBetaDist(double a, double b);
double UxHwDoubleGammaDist(double k, double theta);
double UxHwDoubleInverseGammaDist(double alpha, double beta);
double UxHwDoubleChiSquaredDist(double k);
double UxHwDoubleFDist(double d1, double d2);
double UxHwDoubleStudentsTDist(double nu);
double UxHwDoubleGEVDist(double xi);
double UxHwDoubleMixture(double a, double b, double aScale);
double UxHwDoubleGetIndependentCopy(double value);
void UxHwDoubleGetIndependentJointMultidimensionalCopy(double *src, double *dest, size_t n);
double UxHwDoubleLimitDistributionSupport(double value, double supportMin, double supportMax);
double UxHwDoubleNthMoment(double value, size_t n);
double UxHwDoubleNthMode(double value, size_t n);
double UxHwDoubleSupportMin(double value);
double UxHwDoubleSupportMax(double value);
double UxHwDoubleProbabilityGT(double value, double cutoff);
double UxHwDoubleQuantile(double value, double probability);
double UxHwDoubleEvaluatePDF(double value, double domainValue);
double UxHwDoubleBayesLaplace(double (*statisticalModel)(void *, double), void *modelParams, double prior, double observedData, size_t numberOfObservations);
double UxHwDoubleArgmin(double functionOutput, double *argumentArray, size_t n, double *minimizingArgumentInstanceArray);
double UxHwDoubleArgminTotallyCorrelatedInputs(double functionOutput, double *argumentArray, size_t n, double *minimizingArgumentInstanceArray);
void UxHwDoubleGeneratePath(void *params[], size_t nParams, size_t pathLength, size_t nStateVars, void (*gen)(void *p, double **paths, size_t step, size_t nStateVars), double ***result);
void UxHwDoubleGenerateConvergingPath(void *params[], size_t nParams, size_t maxPathLength, size_t nStateVars, bool (*gen)(void *p, double **paths, size_t step, size_t nStateVars), double **result);
void UxHwDoublePropagateFunction(void (*f)(void *args, double *in, size_t nIn, double *out, size_t nOut), void *args, double *in, size_t nIn, double *out, size_t nOut);
float UxHwFloatSample(float value);
void UxHwFloatSampleBatch(float value, float *dest, size_t numberOfRandomSamples);
float UxHwFloatDistFromSamples(float *samples, size_t sampleCount);
float UxHwFloatDistFromWeightedSamples(WeightedFloatSample *samples, size_t weightedSampleCount);
void UxHwFloatDistFromMultidimensionalSamples(float *destArray, void *samples, size_t sampleCount, size_t sampleCardinality);
float UxHwFloatExponentialDist(float mu);
float UxHwFloatUniformDist(float a, float b);
float UxHwFloatGaussDist(float mu, float sigma);
float UxHwFloatGumbel1Dist(float mu, float beta);
float UxHwFloatLogisticDist(float location, float scale);
float UxHwFloatLaplaceDist(float mu, float b);
float UxHwFloatWeibullDist(float k, float lambda);
float UxHwFloatLognormalDist(float mu, float sigma);
float UxHwFloatBoundedparetoDist(float alpha, float xMin, float xMax);
float UxHwFloatBetaDist(float a, float b);
float UxHwFloatGammaDist(float k, float theta);
float UxHwFloatInverseGammaDist(float alpha, float beta);
float UxHwFloatChiSquaredDist(float k);
float UxHwFloatFDist(float d1, float d2);
float UxHwFloatStudentsTDist(float nu);
float UxHwFloatGEVDist(float xi);
float UxHwFloatMixture(float a, float b, float aScale);
float UxHwFloatGetIndependentCopy(float value);
void UxHwFloatGetIndependentJointMultidimensionalCopy(float *src, float *dest, size_t n);
float UxHwFloatLimitDistributionSupport(float value, float supportMin, float supportMax);
float UxHwFloatNthMoment(float value, size_t n);
float UxHwFloatNthMode(float value, size_t n);
float UxHwFloatSupportMin(float value);
float UxHwFloatSupportMax(float value);
float UxHwFloatProbabilityGT(float value, float cutoff);
float UxHwFloatQuantile(float value, float probability);
float UxHwFloatEvaluatePDF(float value, float domainValue);
float UxHwFloatBayesLaplace(float (*statisticalModel)(void *, float), void *modelParams, float prior, float observedData, size_t numberOfObservations);
float UxHwFloatArgmin(float functionOutput, float *argumentArray, size_t n, float *minimizingArgumentInstanceArray);
float UxHwFloatArgminTotallyCorrelatedInputs(float functionOutput, float *argumentArray, size_t n, float *minimizingArgumentInstanceArray);
void UxHwFloatGeneratePath(void *params[], size_t nParams, size_t pathLength, size_t nStateVars, void (*gen)(void *p, float **paths, size_t step, size_t nStateVars), float ***result);
void UxHwFloatGenerateConvergingPath(void *params[], size_t nParams, size_t maxPathLength, size_t nStateVars, bool (*gen)(void *p, float **paths, size_t step, size_t nStateVars), float **result);
void UxHwFloatPropagateFunction(void (*f)(void *args, float *in, size_t nIn, float *out, size_t nOut), void *args, float *in, size_t nIn, float *out, size_t nOut);

/* Penumbra extension: record a traced expression (TraceVariables) on the Reference core. */
void UxHwPenumbraTrace(unsigned traceId, double value);

#ifdef __cplusplus
}
#endif
#endif /* PENUMBRA_UXHW_H */
