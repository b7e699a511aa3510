/* The Gantt chart of a run's tiling, as a self-contained SVG: one lane per
 * core (and per GPU) grouped by node, a bar per evaluation over the lanes it
 * held, coloured by outcome. When bars would be thinner than a pixel, each
 * lane is drawn as its occupancy per pixel column instead. */
#include "gantt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dakota/buf.h"

enum { WIDTH = 1200, LEFT = 120, RIGHT = 24, TOP = 48, BOTTOM = 64 };
#define COL_OK "#43a047"
#define COL_FAIL "#e53935"
#define COL_RETRY "#fb8c00"
#define COL_NOTRUN "#9e9e9e"

typedef struct layout {
    const report_run *r;
    int *first_lane; /* per node: its first core lane; GPU lanes follow its cores */
    int lanes;
    double lane_h;
    double t0, span; /* seconds */
    double plot_w;
} layout;

static double xpos(const layout *L, double t)
{
    return LEFT + (t - L->t0) / L->span * L->plot_w;
}

static double ypos(const layout *L, int lane)
{
    return TOP + lane * L->lane_h;
}

static void esc(dak_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': dak_buf_puts(b, "&lt;"); break;
        case '>': dak_buf_puts(b, "&gt;"); break;
        case '&': dak_buf_puts(b, "&amp;"); break;
        case '"': dak_buf_puts(b, "&quot;"); break;
        default:
            if ((unsigned char)*s >= 0x20)
                dak_buf_add(b, s, 1);
        }
    }
}

static const char *colour(const report_eval *e)
{
    return e->ok ? COL_OK : e->not_run ? COL_NOTRUN : e->final ? COL_FAIL : COL_RETRY;
}

static const char *klass(const report_eval *e)
{
    return e->ok ? "ok" : e->not_run ? "notrun" : e->final ? "failed" : "retry";
}

/* A nice tick step for a span of seconds. */
static double tick_step(double span)
{
    static const double steps[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5,
                                   10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400,
                                   21600, 43200, 86400};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (span / steps[i] <= 12)
            return steps[i];
    return 86400 * ceil(span / 86400 / 12);
}

static void tick_label(double t, double step, char *out, size_t outsz)
{
    if (step >= 60 && fmod(t, 60) == 0)
        snprintf(out, outsz, "%d:%02d", (int)(t / 60), (int)fmod(t, 60));
    else if (step >= 1)
        snprintf(out, outsz, "%gs", t);
    else
        snprintf(out, outsz, "%.3gs", t);
}

/* The lanes of slice s of e as runs of consecutive lanes: calls fn(lo, hi). */
static void lane_runs(const layout *L, const report_slice *s, int gpus, void (*fn)(void *, int, int),
                      void *arg)
{
    int n = gpus ? s->ngpus : s->ncores;
    const int *ids = gpus ? s->gpus : s->cores;
    int base = L->first_lane[s->node] + (gpus ? L->r->nodes[s->node].cores : 0);
    int *lanes = malloc((size_t)(n > 0 ? n : 1) * sizeof *lanes);
    if (!lanes)
        return;
    for (int i = 0; i < n; i++)
        lanes[i] = base + ids[i];
    /* ids come sorted from the pool; sort anyway (insertion: lists are short) */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && lanes[j - 1] > lanes[j]; j--) {
            int t = lanes[j];
            lanes[j] = lanes[j - 1];
            lanes[j - 1] = t;
        }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && lanes[j + 1] == lanes[j] + 1)
            j++;
        fn(arg, lanes[i], lanes[j]);
        i = j + 1;
    }
    free(lanes);
}

typedef struct bar_ctx {
    const layout *L;
    const report_eval *e;
    dak_buf *b;
    int labelled;
} bar_ctx;

static void draw_bar(void *arg, int lo, int hi)
{
    bar_ctx *c = arg;
    const layout *L = c->L;
    const report_eval *e = c->e;
    double x = xpos(L, e->start), w = xpos(L, e->end) - x;
    if (w < 0.5)
        w = 0.5;
    double y = ypos(L, lo) + 0.5, h = (hi - lo + 1) * L->lane_h - 1;
    dak_buf_printf(c->b,
                   "<rect class=\"bar %s\" data-eval=\"%ld\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                   "height=\"%.2f\" fill=\"%s\"><title>eval %ld, attempt %d: %s, %.3f s",
                   klass(e), e->eval, x, y, w, h, colour(e), e->eval, e->attempt,
                   e->ok ? "ok" : "FAIL", e->end - e->start);
    if (!e->ok && e->reason) {
        dak_buf_puts(c->b, " (");
        esc(c->b, e->reason);
        dak_buf_puts(c->b, ")");
    }
    dak_buf_puts(c->b, "</title></rect>\n");
    char num[32];
    int len = snprintf(num, sizeof num, "%ld", e->eval);
    double fs = h < 14 ? h - 2 : 11;
    if (!c->labelled && fs >= 7 && w >= len * fs * 0.62 + 4) {
        dak_buf_printf(c->b,
                       "<text x=\"%.2f\" y=\"%.2f\" font-size=\"%.1f\" text-anchor=\"middle\" "
                       "fill=\"#fff\">%s</text>\n",
                       x + w / 2, y + h / 2 + fs * 0.35, fs, num);
        c->labelled = 1;
    }
}

/* ---- aggregated lanes: busy fraction per pixel column ----------------- */

typedef struct agg_ctx {
    const layout *L;
    const report_eval *e;
    float *ok, *bad; /* lanes x columns, seconds busy */
    int cols;
} agg_ctx;

static void add_busy(void *arg, int lo, int hi)
{
    agg_ctx *a = arg;
    const layout *L = a->L;
    double px = L->span / a->cols; /* seconds per column */
    double s = (a->e->start - L->t0) / px, t = (a->e->end - L->t0) / px;
    if (t > a->cols)
        t = a->cols;
    for (int lane = lo; lane <= hi; lane++) {
        float *row = (a->e->ok ? a->ok : a->bad) + (size_t)lane * (size_t)a->cols;
        for (int c = (int)floor(s); c < a->cols && c < (int)ceil(t); c++) {
            double from = c > s ? c : s, to = c + 1 < t ? c + 1 : t;
            if (to > from && c >= 0)
                row[c] += (float)((to - from) * px);
        }
    }
}

static void draw_aggregated(const layout *L, dak_buf *b)
{
    const report_run *r = L->r;
    int cols = (int)L->plot_w;
    size_t cells = (size_t)L->lanes * (size_t)cols;
    float *ok = calloc(cells, sizeof *ok), *bad = calloc(cells, sizeof *bad);
    if (!ok || !bad) {
        free(ok);
        free(bad);
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        agg_ctx a = {L, &r->evals[i], ok, bad, cols};
        for (int k = 0; k < r->evals[i].nslices; k++) {
            lane_runs(L, &r->evals[i].slices[k], 0, add_busy, &a);
            lane_runs(L, &r->evals[i].slices[k], 1, add_busy, &a);
        }
    }
    double px = L->span / cols;
    for (int lane = 0; lane < L->lanes; lane++) {
        /* runs of columns with the same colour and opacity (tenths) become one rect */
        int c = 0;
        while (c < cols) {
            size_t k = (size_t)lane * (size_t)cols + (size_t)c;
            double busy = (ok[k] + bad[k]) / px;
            int level = (int)lround(fmin(busy, 1.0) * 10);
            int failed = bad[k] > ok[k];
            int e = c + 1;
            while (e < cols) {
                size_t k2 = (size_t)lane * (size_t)cols + (size_t)e;
                double b2 = (ok[k2] + bad[k2]) / px;
                if ((int)lround(fmin(b2, 1.0) * 10) != level || (bad[k2] > ok[k2]) != failed)
                    break;
                e++;
            }
            if (level > 0)
                dak_buf_printf(b,
                               "<rect class=\"busy\" x=\"%d\" y=\"%.2f\" width=\"%d\" "
                               "height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.1f\"/>\n",
                               LEFT + c, ypos(L, lane), e - c, L->lane_h, failed ? COL_FAIL : COL_OK,
                               level / 10.0);
            c = e;
        }
    }
    free(ok);
    free(bad);
}

int report_gantt_svg(const report_run *r, dak_buf *b)
{
    layout L = {r, calloc((size_t)(r->nnodes + 1), sizeof(int)), 0, 0, r->start, 0,
                WIDTH - LEFT - RIGHT};
    if (!L.first_lane)
        return -1;
    for (int i = 0; i < r->nnodes; i++) {
        L.first_lane[i] = L.lanes;
        L.lanes += r->nodes[i].cores + r->nodes[i].gpus;
    }
    double end = r->start;
    for (size_t i = 0; i < r->n; i++)
        if (r->evals[i].end > end)
            end = r->evals[i].end;
    L.span = end - r->start > 0 ? end - r->start : 1;
    L.lane_h = L.lanes ? fmin(18, fmax(2, 640.0 / L.lanes)) : 18;
    double plot_h = L.lanes * L.lane_h;
    int height = (int)(TOP + plot_h + BOTTOM);

    /* bars thinner than a pixel: aggregate */
    size_t thin = 0;
    for (size_t i = 0; i < r->n; i++)
        if ((r->evals[i].end - r->evals[i].start) / L.span * L.plot_w < 1)
            thin++;
    int aggregate = r->n > 20000 || thin * 2 > r->n;

    dak_buf_printf(b,
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
                   "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
                   WIDTH, height, WIDTH, height);
    long ok = 0, failed = 0, not_run = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->evals[i].final)
            r->evals[i].ok ? ok++ : r->evals[i].not_run ? not_run++ : failed++;
    char nr[48] = "";
    if (not_run)
        snprintf(nr, sizeof nr, ", %ld not run", not_run);
    dak_buf_printf(b,
                   "<text x=\"%d\" y=\"22\" font-size=\"15\" fill=\"#222\">batchtile: %zu attempts "
                   "(%ld ok, %ld failed%s) on %d lanes, %.3f s%s</text>\n",
                   LEFT, r->n, ok, failed, nr, L.lanes, L.span,
                   aggregate ? " (occupancy per pixel: bars are thinner than a pixel)" : "");

    /* lanes: a band per node, GPU lanes tinted, labels on the left */
    for (int i = 0; i < r->nnodes; i++) {
        const report_node *n = &r->nodes[i];
        double y = ypos(&L, L.first_lane[i]);
        double ch = n->cores * L.lane_h, gh = n->gpus * L.lane_h;
        dak_buf_printf(b, "<rect x=\"%d\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                       LEFT, y, L.plot_w, ch, i % 2 ? "#f3f3f3" : "#fafafa");
        if (n->gpus)
            dak_buf_printf(b,
                           "<rect class=\"gpu-lanes\" x=\"%d\" y=\"%.2f\" width=\"%.2f\" "
                           "height=\"%.2f\" fill=\"#e8eaf6\"/>\n",
                           LEFT, y + ch, L.plot_w, gh);
        dak_buf_printf(b, "<text x=\"%d\" y=\"%.2f\" font-size=\"11\" text-anchor=\"end\" fill=\"#333\">",
                       LEFT - 8, y + fmin(ch, 18) / 2 + 4);
        esc(b, n->name);
        dak_buf_printf(b, " (%d)</text>\n", n->cores);
        if (n->gpus)
            dak_buf_printf(b,
                           "<text x=\"%d\" y=\"%.2f\" font-size=\"10\" text-anchor=\"end\" "
                           "fill=\"#3949ab\">GPUs (%d)</text>\n",
                           LEFT - 8, y + ch + fmin(gh, 18) / 2 + 4, n->gpus);
        dak_buf_printf(b, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#999\"/>\n",
                       LEFT - 110, y, LEFT + L.plot_w, y);
    }

    if (aggregate) {
        draw_aggregated(&L, b);
    } else {
        for (size_t i = 0; i < r->n; i++) {
            bar_ctx c = {&L, &r->evals[i], b, 0};
            for (int k = 0; k < r->evals[i].nslices; k++) {
                lane_runs(&L, &r->evals[i].slices[k], 0, draw_bar, &c);
                lane_runs(&L, &r->evals[i].slices[k], 1, draw_bar, &c);
            }
        }
    }

    /* time axis */
    double axis_y = TOP + plot_h + 4, step = tick_step(L.span);
    dak_buf_printf(b, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n",
                   LEFT, axis_y, LEFT + L.plot_w, axis_y);
    for (double t = 0; t <= L.span + 1e-9; t += step) {
        char lab[32];
        double x = xpos(&L, r->start + t);
        tick_label(t, step, lab, sizeof lab);
        dak_buf_printf(b,
                       "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>"
                       "<text x=\"%.2f\" y=\"%.2f\" font-size=\"10\" text-anchor=\"middle\" "
                       "fill=\"#333\">%s</text>\n",
                       x, axis_y, x, axis_y + 5, x, axis_y + 17, lab);
    }
    dak_buf_printf(b,
                   "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" text-anchor=\"middle\" "
                   "fill=\"#333\">time since the run started</text>\n",
                   LEFT + L.plot_w / 2, axis_y + 32);

    /* legend */
    static const struct {
        const char *col, *what;
    } legend[] = {{COL_OK, "ok"},
                  {COL_FAIL, "failed"},
                  {COL_RETRY, "failed, retried"},
                  {COL_NOTRUN, "not run"}};
    double lx = LEFT + L.plot_w - 430;
    for (int i = 0; i < 4; i++) {
        dak_buf_printf(b,
                       "<rect class=\"legend\" x=\"%.2f\" y=\"30\" width=\"12\" height=\"12\" "
                       "fill=\"%s\"/><text x=\"%.2f\" y=\"40\" font-size=\"11\" fill=\"#333\">%s"
                       "</text>\n",
                       lx, legend[i].col, lx + 16, legend[i].what);
        lx += 100;
    }
    dak_buf_puts(b, "</svg>\n");
    free(L.first_lane);
    return 0;
}
