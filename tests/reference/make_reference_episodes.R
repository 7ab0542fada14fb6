# Reference values for counting-process episodes (time-varying covariates) in
# soteria_research.analysis.episodes: survival::tmerge splits each subject at the day of a
# dated event (tdc), and coxph fits cause-specific models on the (tstart, tstop] rows, with
# model-based and robust (cluster = id) errors and cox.zph.
#
# Run from the repository root:  Rscript tests/reference/make_reference_episodes.R
# Writes tests/reference/data/episodes_*.csv and tests/reference/versions_episodes.txt.
# Needs R >= 4.0 with survival >= 3.0 (Debian: r-base-core r-cran-survival). The Python tests
# read only the files written here and never need R.

suppressPackageStartupMessages(library(survival))

out_dir <- file.path("tests", "reference", "data")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
save_csv <- function(df, name) {
  write.csv(df, file.path(out_dir, name), row.names = FALSE, na = "")
}
options(digits = 17)
set.seed(20261202)

# Whole-day times (ties), two competing causes, censoring; a request day during follow-up
# for about half the subjects (some before the start, some after the end: no change then),
# and a second dated event (an arrest) to split at as well.
n <- 600
x1 <- round(rnorm(n), 3)
grp <- sample(c("a", "b", "c"), n, replace = TRUE)
req <- ifelse(runif(n) < 0.5, floor(rexp(n, 1 / 40)) - 2, NA)
arr <- ifelse(runif(n) < 0.4, floor(rexp(n, 1 / 60)), NA)
lat1 <- rexp(n, 0.006 * exp(0.4 * x1 + 0.3 * (grp == "b")))
lat2 <- rexp(n, 0.010 * exp(-0.2 * x1))
cens <- runif(n, 20, 400)
time <- pmax(ceiling(pmin(lat1, lat2, cens)), 1)
status <- ifelse(lat1 <= pmin(lat2, cens), 1, ifelse(lat2 <= cens, 2, 0))
raw <- data.frame(id = seq_len(n), time = time, status = status, x1 = x1, grp = grp,
                  req = req, arr = arr)
save_csv(raw, "episodes_raw.csv")

base <- tmerge(raw[, c("id", "x1", "grp")], raw, id = id, ev = event(time, status))
split <- tmerge(base, raw, id = id, device_requested = tdc(req), arrested = tdc(arr))
split$device_requested[is.na(split$device_requested)] <- 0
split$arrested[is.na(split$arrested)] <- 0
save_csv(split[, c("id", "tstart", "tstop", "ev", "device_requested", "arrested")],
         "episodes_split.csv")

fits <- list(
  cause1 = coxph(Surv(tstart, tstop, ev == 1) ~ x1 + grp + device_requested + arrested,
                 data = split),
  cause2_robust = coxph(Surv(tstart, tstop, ev == 2) ~ x1 + grp + device_requested,
                        data = split, cluster = id),
  cause1_breslow = coxph(Surv(tstart, tstop, ev == 1) ~ x1 + device_requested,
                         data = split, ties = "breslow")
)
rows <- list()
add <- function(fit, quantity, term, value) {
  rows[[length(rows) + 1]] <<- data.frame(fit = fit, quantity = quantity, term = term,
                                          value = value)
}
for (nm in names(fits)) {
  f <- fits[[nm]]
  b <- coef(f)
  add(nm, "coef", names(b), unname(b))
  naive <- if (is.null(f$naive.var)) f$var else f$naive.var
  add(nm, "se", names(b), sqrt(diag(naive)))
  if (!is.null(f$naive.var)) add(nm, "robust_se", names(b), sqrt(diag(f$var)))
  add(nm, "loglik", "", f$loglik[2])
  add(nm, "n_events", "", f$nevent)
  z <- cox.zph(f, transform = "km")
  add(nm, "zph_chisq", rownames(z$table), unname(z$table[, "chisq"]))
}
options(scipen = 100)
ref <- do.call(rbind, rows)
ref$value <- sprintf("%.17g", ref$value)
save_csv(ref, "episodes_reference.csv")

writeLines(c(R.version.string,
             paste("survival", as.character(packageVersion("survival"))),
             paste("platform", R.version$platform)),
           file.path("tests", "reference", "versions_episodes.txt"))
