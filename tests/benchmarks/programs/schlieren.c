#include <stdio.h>
#include <uxhw.h>
int main(void) {
	double a = UxHwDoubleUniformDist(4.0, 6.0), b = UxHwDoubleUniformDist(1.0, 2.0);
	printf("ratio = %lf\n", (a + b) / (a - b));
	return 0;
}
