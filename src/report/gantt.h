/* A Gantt chart of a run's tiling as a self-contained SVG (no scripts, no
 * external fonts): a lane per core and GPU, grouped by node; a bar per
 * evaluation attempt over the lanes it held, coloured by outcome and
 * labelled with its eval number where it fits; a time axis and a legend.
 * Bars thinner than a pixel are drawn as occupancy per pixel column. */
#ifndef BATCHTILE_REPORT_GANTT_H
#define BATCHTILE_REPORT_GANTT_H

#include "dakota/buf.h"
#include "journal_load.h"

/* Append the SVG document to b. 0, or -1 on memory. */
int report_gantt_svg(const report_run *r, dak_buf *b);

#endif
