/* text_book_par: Dakota's text_book problem as an (optionally MPI-parallel)
 * simulation.
 *
 *   f  = sum_i (x_i - 1)^4,  c1 = x1^2 - x2/2,  c2 = x2^2 - x1/2
 *
 * with exact gradients and Hessians over the derivative variables, as the
 * active set asks. Rank r handles the variables i = r (mod size); rank 0
 * reads the parameters, reduces and writes the results.
 *
 * Cost is opt-in and never changes the answers:
 *   --busy N / TEXT_BOOK_BUSY=N       N extra terms of CPU work per variable
 *   --sleep A[:B] / TEXT_BOOK_SLEEP   sleep a random A..B seconds (rank 0)
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef BT_HAVE_MPI
#include <mpi.h>
#endif

#include "dakota/dakota.h"
#include "simutil.h"

static const char usage[] =
    "Usage: text_book_par [--busy N] [--sleep A[:B]] [--results-format F] PARAMS RESULTS\n"
    "Dakota's text_book problem: f = sum (x_i-1)^4, c1 = x1^2 - x2/2, c2 = x2^2 - x1/2,\n"
    "with gradients and Hessians as the active set asks.\n"
    "  --busy N            N extra terms of CPU work per variable (TEXT_BOOK_BUSY)\n"
    "  --sleep A[:B]       sleep a random A to B seconds (TEXT_BOOK_SLEEP)\n"
    "  --results-format F  standard or json (default: json for JSON parameters)\n";

/* What every rank needs, flattened for a broadcast. */
typedef struct problem {
    int n;     /* numeric variables */
    int nfns;  /* responses (at most 3) */
    int ndvv;
    double *x;
    int *asv;
    int *dvv;  /* 0-based index into x, -1 when the id is not a numeric variable */
} problem;

static volatile double busy_sink;

static void busy_work(long terms, double xi)
{
    double s = 0;
    for (long k = 1; k <= terms; k++)
        s += sin(xi * (double)k) / (double)k;
    busy_sink += s;
}

static int rank = 0, size = 1;
#ifdef BT_HAVE_MPI
/* Started by an MPI launcher (mpiexec, srun --mpi, flux run)? Otherwise we
 * are a single task and skip MPI_Init: a singleton start costs tens of
 * milliseconds, far more than the work of one evaluation. */
static int use_mpi;
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"PMI_RANK", "PMI_FD", "PMI_SIZE", "PMIX_RANK",
                                       "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}
#define MPI_ONLY(stmt)                                                                   \
    do {                                                                                 \
        if (use_mpi) {                                                                   \
            stmt;                                                                        \
        }                                                                                \
    } while (0)
#endif

static void die(const char *msg)
{
    fprintf(stderr, "text_book_par: %s\n", msg);
#ifdef BT_HAVE_MPI
    MPI_ONLY(MPI_Abort(MPI_COMM_WORLD, 1));
#endif
    exit(1);
}

int main(int argc, char **argv)
{
    long busy = 0;
    const char *sleep_spec = NULL, *rfmt = NULL;
    const char *e;
#ifdef BT_HAVE_MPI
    use_mpi = launched_by_mpi() || getenv("TEXT_BOOK_FORCE_MPI");
    MPI_ONLY(MPI_Init(&argc, &argv));
    MPI_ONLY(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    MPI_ONLY(MPI_Comm_size(MPI_COMM_WORLD, &size));
#endif
    if ((e = getenv("TEXT_BOOK_BUSY")))
        busy = atol(e);
    sleep_spec = getenv("TEXT_BOOK_SLEEP");
    static const struct option opts[] = {{"busy", required_argument, NULL, 'b'},
                                         {"sleep", required_argument, NULL, 's'},
                                         {"results-format", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            busy = atol(optarg);
            break;
        case 's':
            sleep_spec = optarg;
            break;
        case 'r':
            rfmt = optarg;
            break;
        case 'h':
            if (rank == 0)
                fputs(usage, stdout);
#ifdef BT_HAVE_MPI
            MPI_ONLY(MPI_Finalize());
#endif
            return 0;
        default:
            die("bad option (see --help)");
        }
    }
    if (argc - optind != 2)
        die("expected two arguments: PARAMS RESULTS");
    const char *params_path = argv[optind], *results_path = argv[optind + 1];
    double slo = 0, shi = 0;
    if (sleep_spec && *sleep_spec && sim_parse_range(sleep_spec, &slo, &shi) < 0)
        die("--sleep / TEXT_BOOK_SLEEP: expected SECONDS or MIN:MAX");

    char host[256] = "?", cpus[1024];
    gethostname(host, sizeof host);
    sim_cpu_list(cpus, sizeof cpus);
    printf("text_book_par: host %s rank %d of %d cores %s\n", host, rank, size, cpus);
    fflush(stdout);

    dak_params *p = NULL;
    problem pb = {0};
    int dims[3] = {0, 0, 0};
    if (rank == 0) {
        dak_error err;
        char msg[1024];
        p = dak_params_load(params_path, &err);
        if (!p)
            die(dak_error_str(&err, msg, sizeof msg));
        if (p->nfns > 3)
            die("the text_book problem has at most 3 responses (f, c1, c2)");
        for (size_t i = 0; i < p->nvars; i++)
            if (p->vars[i].kind != DAK_VAL_STRING)
                dims[0]++;
        dims[1] = (int)p->nfns;
        dims[2] = (int)p->ndvv;
    }
#ifdef BT_HAVE_MPI
    MPI_ONLY(MPI_Bcast(dims, 3, MPI_INT, 0, MPI_COMM_WORLD));
#endif
    pb.n = dims[0];
    pb.nfns = dims[1];
    pb.ndvv = dims[2];
    pb.x = calloc((size_t)pb.n + 1, sizeof *pb.x);
    pb.asv = calloc((size_t)pb.nfns + 1, sizeof *pb.asv);
    pb.dvv = calloc((size_t)pb.ndvv + 1, sizeof *pb.dvv);
    if (!pb.x || !pb.asv || !pb.dvv)
        die("out of memory");
    if (rank == 0) {
        /* map each variable id (1-based over all variables) to its numeric index */
        int *numeric = calloc(p->nvars + 1, sizeof *numeric);
        int k = 0;
        for (size_t i = 0; i < p->nvars; i++) {
            numeric[i] = p->vars[i].kind != DAK_VAL_STRING ? k : -1;
            if (numeric[i] >= 0)
                pb.x[k++] = p->vars[i].real;
        }
        for (int j = 0; j < pb.nfns; j++)
            pb.asv[j] = p->fns[j].asv;
        for (int j = 0; j < pb.ndvv; j++)
            pb.dvv[j] = p->dvv[j] <= p->nvars ? numeric[p->dvv[j] - 1] : -1;
        free(numeric);
    }
#ifdef BT_HAVE_MPI
    MPI_ONLY(MPI_Bcast(pb.x, pb.n, MPI_DOUBLE, 0, MPI_COMM_WORLD));
    MPI_ONLY(MPI_Bcast(pb.asv, pb.nfns, MPI_INT, 0, MPI_COMM_WORLD));
    MPI_ONLY(MPI_Bcast(pb.dvv, pb.ndvv, MPI_INT, 0, MPI_COMM_WORLD));
#endif

    /* this rank's share of f and of its derivatives */
    int nd = pb.ndvv;
    size_t nloc = 1 + (size_t)nd + (size_t)nd * (size_t)nd;
    double *loc = calloc(nloc, sizeof *loc), *tot = calloc(nloc, sizeof *tot);
    if (!loc || !tot)
        die("out of memory");
    for (int i = rank; i < pb.n; i += size) {
        double d = pb.x[i] - 1.0;
        loc[0] += d * d * d * d;
        if (busy > 0)
            busy_work(busy, pb.x[i]);
    }
    for (int a = 0; a < nd; a++) {
        int i = pb.dvv[a];
        if (i < 0 || i % size != rank)
            continue;
        double d = pb.x[i] - 1.0;
        loc[1 + a] = 4.0 * d * d * d;
        loc[1 + nd + (size_t)a * nd + a] = 12.0 * d * d;
    }
    memcpy(tot, loc, nloc * sizeof *tot);
#ifdef BT_HAVE_MPI
    MPI_ONLY(MPI_Reduce(loc, tot, (int)nloc, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD));
#endif

    if (rank == 0) {
        if (shi > 0) {
            srand((unsigned)(getpid() ^ (unsigned)(sim_now() * 1e6)));
            sim_sleep(slo + (shi - slo) * ((double)rand() / RAND_MAX));
        }
        dak_results *r = dak_results_new(p);
        if (!r)
            die("out of memory");
        double x1 = pb.n > 0 ? pb.x[0] : 0.0, x2 = pb.n > 1 ? pb.x[1] : 0.0;
        for (int j = 0; j < pb.nfns; j++) {
            double *g = &r->grad[(size_t)j * nd], *h = &r->hess[(size_t)j * nd * nd];
            if (j == 0) {
                r->fn[0] = tot[0];
                memcpy(g, tot + 1, (size_t)nd * sizeof *g);
                memcpy(h, tot + 1 + nd, (size_t)nd * nd * sizeof *h);
            } else {
                /* c1 = x1^2 - x2/2 ; c2 = x2^2 - x1/2 */
                int sq = j == 1 ? 0 : 1, half = j == 1 ? 1 : 0;
                double xs = j == 1 ? x1 : x2, xh = j == 1 ? x2 : x1;
                r->fn[j] = xs * xs - xh / 2.0;
                for (int a = 0; a < nd; a++) {
                    g[a] = pb.dvv[a] == sq ? 2.0 * xs : pb.dvv[a] == half ? -0.5 : 0.0;
                    for (int b = 0; b < nd; b++)
                        h[(size_t)a * nd + b] = (pb.dvv[a] == sq && pb.dvv[b] == sq) ? 2.0 : 0.0;
                }
            }
            if (!(pb.asv[j] & 1))
                r->fn[j] = NAN;
        }
        dak_format fmt = p->format == DAK_FMT_JSON ? DAK_FMT_JSON : DAK_FMT_STANDARD;
        if (rfmt && dak_format_parse(rfmt, &fmt) < 0)
            die("--results-format: expected standard or json");
        dak_error err;
        char msg[1024];
        if (dak_results_save(results_path, r, p, fmt, &err) < 0)
            die(dak_error_str(&err, msg, sizeof msg));
        dak_results_free(r);
        dak_params_free(p);
    }
    free(loc);
    free(tot);
    free(pb.x);
    free(pb.asv);
    free(pb.dvv);
#ifdef BT_HAVE_MPI
    MPI_ONLY(MPI_Finalize());
#endif
    return 0;
}
