/* Known answers for the engine tests (tests/engine/test_engine_known.py). */
#include <stdio.h>
#include <math.h>
#include <uxhw.h>

int main(void) {
	double s = 0;
	for (int i = 0; i < 4; i++) s += UxHwDoubleUniformDist(0.0, 1.0);
	printf("irwin = %lf\n", s);
	double a = UxHwDoubleGaussDist(2.0, 0.5), b = UxHwDoubleGaussDist(3.0, 0.2);
	printf("prod = %lf\n", a * b);
	double x = UxHwDoubleGaussDist(1.0, 0.5);
	printf("xx = %lf\n", x * x);
	printf("xcopy = %lf\n", x * UxHwDoubleGetIndependentCopy(x));
	double p = UxHwDoubleUniformDist(4.0, 6.0), q = UxHwDoubleUniformDist(1.0, 2.0);
	printf("schlieren = %lf\n", (p + q) / (p - q));
	double g = UxHwDoubleGaussDist(0.0, 0.5);
	printf("expg = %lf\n", exp(g));
	double data[5] = {1, 2, 3, 4, 10};
	printf("dfs = %lf\n", UxHwDoubleDistFromSamples(data, 5));
	double u = UxHwDoubleUniformDist(0.0, 1.0), br;
	if (u > 0.4) br = 10.0 * u; else br = -u;
	printf("branch = %lf\n", br);
	double z = UxHwDoubleGaussDist(1.0, 2.0);
	printf("m2 = %lf\n", UxHwDoubleNthMoment(z, 2));
	printf("pgt = %lf\n", UxHwDoubleProbabilityGT(z, 3.0));
	printf("q90 = %lf\n", UxHwDoubleQuantile(z, 0.9));
	return 0;
}
