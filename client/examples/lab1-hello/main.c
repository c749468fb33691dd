#include <stdio.h>

int main(void) {
  puts("Hello, OJ!");
  return 0;
}
