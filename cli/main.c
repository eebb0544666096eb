#include <stdio.h>
int main(void) { puts("cspflow"); return 0; }
