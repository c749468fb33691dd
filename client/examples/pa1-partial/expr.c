/* PA1, first try: evaluates left to right (no precedence, no parentheses). */
#include <ctype.h>
#include <stdio.h>

int main(void) {
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    const char *p = line;
    long v = 0, n = 0;
    char op = '+';
    for (;; p++) {
      if (isdigit((unsigned char)*p)) { n = n * 10 + (*p - '0'); continue; }
      if (isspace((unsigned char)*p) && *p != '\n') continue;
      switch (op) {
        case '+': v += n; break;
        case '-': v -= n; break;
        case '*': v *= n; break;
        case '/': v = n ? v / n : 0; break;
      }
      n = 0;
      if (*p == '\0' || *p == '\n') break;
      op = *p;
    }
    printf("%ld\n", v);
  }
  return 0;
}
