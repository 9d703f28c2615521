#include <uxhw.h>
double scaled(double x) { return SCALE * x; }
