#include <stdio.h>
#include <uxhw.h>
double scaled(double x);
int main(void) { printf("v = %lf\n", scaled(UxHwDoubleUniformDist(0.0, 2.0))); return 0; }
