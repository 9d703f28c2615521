/* Outputs for the sampling-design benchmark: prints the raw samples of three outputs. */
#include <stdio.h>
#include <math.h>
#include <uxhw.h>
static void dump(const char *name, double x) {
    printf("%s", name);
    for (int i = 0; i < UX_M; i++) printf(" %.17Pg", x.s[i]);
    printf("\n");
}
int main(void) {
    double s = 0;
    for (int k = 0; k < 4; k++) s += UxHwDoubleUniformDist(0.0, 1.0);
    dump("sum4u", s);
    double a = UxHwDoubleGaussDist(2.0, 0.5), b = UxHwDoubleGaussDist(3.0, 0.4);
    dump("prodg", a * b);
    dump("expg", exp(UxHwDoubleGaussDist(0.0, 1.0)));
    double u = UxHwDoubleUniformDist(1.0, 2.0), v = UxHwDoubleUniformDist(0.5, 1.5), w = UxHwDoubleGaussDist(0.0, 0.3);
    dump("mix3", u * v + sin(w * u));
    return 0;
}
