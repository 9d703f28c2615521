/* 1e6 floating-point operations on uncertain values (speed benchmark). */
#include <stdio.h>
#include <math.h>
#include <uxhw.h>
int main(void) {
    double x = UxHwDoubleUniformDist(1.0, 2.0), y = UxHwDoubleGaussDist(0.0, 0.1), acc = 0.0;
    for (int i = 0; i < 250000; i++) {
        double t = x * y;          /* 1 */
        acc = acc * 0.999 + t;     /* 2, 3 */
        acc = acc - y;             /* 4 */
    }
    printf("acc = %lf\n", acc);
    return 0;
}
