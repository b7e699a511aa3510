/* batchtile's Dakota file-format library: parameters (standard, APREPRO,
 * JSON; single and batch), results (standard, JSON) and batch results.
 * A C counterpart of Dakota's Python dakota.interfacing. Link: -lbtdakota. */
#ifndef BATCHTILE_DAKOTA_H
#define BATCHTILE_DAKOTA_H

#include "batch.h"
#include "batchout.h"
#include "buf.h"
#include "file.h"
#include "format.h"
#include "params.h"
#include "results.h"

#endif
