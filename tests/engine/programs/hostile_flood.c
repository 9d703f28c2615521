#include <stdio.h>
int main(void) { for (;;) puts("flooding stdout flooding stdout flooding stdout"); }
