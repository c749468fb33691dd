/* PA1, does not compile: a missing semicolon and an undeclared variable. */
#include <stdio.h>

int main(void) {
  char line[4096]
  while (fgets(line, sizeof line, stdin)) {
    printf("%ld\n", result);
  }
  return 0;
}
