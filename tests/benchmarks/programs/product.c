#include <stdio.h>
#include <uxhw.h>
int main(void) {
	double a = UxHwDoubleGaussDist(2.0, 0.5), b = UxHwDoubleGaussDist(3.0, 0.2);
	printf("product = %lf\n", a * b);
	return 0;
}
