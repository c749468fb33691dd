/* PA1: evaluates integer expressions with + - * / and parentheses, one per line. */
#include <ctype.h>
#include <stdio.h>

static const char *p;

static void skip(void) { while (isspace((unsigned char)*p)) p++; }
static long expr(void);

static long primary(void) {
  skip();
  if (*p == '(') {
    p++;
    long v = expr();
    skip();
    if (*p == ')') p++;
    return v;
  }
  long v = 0;
  while (isdigit((unsigned char)*p)) v = v * 10 + (*p++ - '0');
  return v;
}

static long term(void) {
  long v = primary();
  for (;;) {
    skip();
    if (*p == '*') { p++; v *= primary(); }
    else if (*p == '/') { p++; long d = primary(); v = d ? v / d : 0; }
    else return v;
  }
}

static long expr(void) {
  long v = term();
  for (;;) {
    skip();
    if (*p == '+') { p++; v += term(); }
    else if (*p == '-') { p++; v -= term(); }
    else return v;
  }
}

int main(void) {
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    p = line;
    printf("%ld\n", expr());
  }
  return 0;
}
