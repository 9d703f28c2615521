#include <stdio.h>
#include <math.h>
#include <uxhw.h>
int main(void) {
	double g = UxHwDoubleGaussDist(0.0, 0.5), u = UxHwDoubleUniformDist(0.5, 1.5);
	printf("y = %lf\n", exp(g) * u + g * g);
	return 0;
}
