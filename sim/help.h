/*
 * help.h — the CLI's help texts (help.c).
 */
#ifndef WEFT_HELP_H
#define WEFT_HELP_H

#include <stdbool.h>
#include <stdio.h>

/* Print the help of `command` (NULL: the overview) to out; false for a
 * command that does not exist (nothing printed). */
bool weft_help(const char *command, FILE *out);

#endif /* WEFT_HELP_H */
