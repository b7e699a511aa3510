/* The benchmarks' simulation: reads the first value of a standard
 * parameters file and writes it back as the one response. As cheap as a
 * simulation can be, so that what is measured is the driver. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    FILE *in = fopen(argv[1], "r");
    if (!in)
        return 1;
    char line[256];
    double x = 0;
    /* line 1: "<n> variables"; line 2: "<value> x1" */
    if (!fgets(line, sizeof line, in) || !fgets(line, sizeof line, in))
        return 1;
    fclose(in);
    x = strtod(line, NULL);
    FILE *out = fopen(argv[2], "w");
    if (!out)
        return 1;
    fprintf(out, "%.17g f\n", x);
    return fclose(out) == 0 ? 0 : 1;
}
