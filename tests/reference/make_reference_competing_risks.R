# Reference values for the competing-risks half of soteria_research.analysis.survival:
# Aalen-Johansen cumulative incidence (cmprsk::cuminc, survival::survfit multi-state) and
# Fine-Gray regression (survival::finegray + coxph, cmprsk::crr).
#
# Run from the repository root:  Rscript tests/reference/make_reference_competing_risks.R
# Writes tests/reference/data/{mgus2.csv, cr_ties.csv, cr_heavy_censoring.csv,
#   cr_cuminc.csv, cr_finegray_coef.csv, cr_finegray_vcov.csv} and
#   tests/reference/versions_competing_risks.txt.
# Needs R >= 4.0 with survival >= 3.0 and cmprsk (Debian: r-base-core r-cran-survival
# r-cran-cmprsk). The synthetic data are drawn here with a fixed seed, so the files are
# reproducible; the Python tests read only the files written here and never need R.

suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})

out_dir <- file.path("tests", "reference", "data")
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
digits <- 17

# ---- datasets ---------------------------------------------------------------------------
# mgus2 as in the survival "compete" vignette: time to plasma-cell malignancy (pcm) or death.
mgus <- survival::mgus2
mgus$etime <- with(mgus, ifelse(pstat == 0, futime, ptime))
mgus$event <- with(mgus, ifelse(pstat == 0, 2 * death, 1))   # 0 censor, 1 pcm, 2 death
mgus$outcome <- c("censored", "pcm", "death")[mgus$event + 1]
write.csv(mgus, file.path(out_dir, "mgus2.csv"), row.names = FALSE, na = "")

set.seed(20240611)
# Whole-day times with many ties, three causes and about a quarter censored.
n <- 600
x1 <- round(rnorm(n), 3)
x2 <- rbinom(n, 1, 0.4)
grp <- sample(c("north", "south", "west"), n, replace = TRUE)
rate <- cbind(0.010 * exp(0.5 * x1 - 0.4 * x2), 0.015 * exp(-0.3 * x1 + 0.6 * x2), 0.006)
lat <- matrix(rexp(n * 3, rate), ncol = 3)
cens <- runif(n, 10, 150)
tmin <- pmin(lat[, 1], lat[, 2], lat[, 3])
cause <- max.col(-lat)
days <- ceiling(pmin(tmin, cens) / 3) * 3          # every third day: heavy ties
event <- ifelse(tmin <= cens, cause, 0L)
ties <- data.frame(days = days, event = as.integer(event), x1 = x1, x2 = x2, group = grp)
ties$outcome <- c("censored", "charge", "victim_withdrawal", "other")[ties$event + 1]
write.csv(ties, file.path(out_dir, "cr_ties.csv"), row.names = FALSE)

# Heavy censoring (about 80%), times to 0.1 day, two causes.
n <- 500
z1 <- round(rnorm(n), 3)
z2 <- rbinom(n, 1, 0.5)
lat <- matrix(rexp(n * 2, cbind(0.004 * exp(0.7 * z1), 0.003 * exp(-0.5 * z2))), ncol = 2)
cens <- rexp(n, 0.02)
tmin <- pmin(lat[, 1], lat[, 2])
days <- round(pmin(tmin, cens), 1) + 0.1
event <- ifelse(tmin <= cens, max.col(-lat), 0L)
heavy <- data.frame(days = days, event = as.integer(event), z1 = z1, z2 = z2)
write.csv(heavy, file.path(out_dir, "cr_heavy_censoring.csv"), row.names = FALSE)

# Every computation below uses the data exactly as written to the CSV files (what the Python
# tests read), not R's unrounded doubles.
mgus <- read.csv(file.path(out_dir, "mgus2.csv"))
ties <- read.csv(file.path(out_dir, "cr_ties.csv"))
heavy <- read.csv(file.path(out_dir, "cr_heavy_censoring.csv"))

# ---- cumulative incidence ----------------------------------------------------------------
# cuminc at every distinct observed time (and just beyond the last), beside survfit's
# Aalen-Johansen state probabilities and its (infinitesimal jackknife) standard errors.
cif_rows <- function(name, time, status, group = NULL) {
  if (is.null(group)) group <- rep("all", length(time))
  eval_at <- sort(unique(time))
  rows <- list()
  for (g in unique(group)) {
    keep <- group == g
    ci <- cuminc(time[keep], status[keep], cencode = 0)
    tp <- timepoints(ci, eval_at)
    st <- factor(status[keep], levels = c(0, sort(unique(status[status != 0]))))
    sf <- survfit(Surv(time[keep], st) ~ 1)
    ss <- summary(sf, times = eval_at[eval_at <= max(time[keep])], extend = TRUE)
    for (cause in sort(unique(status[status != 0]))) {
      key <- paste("1", cause)
      est <- tp$est[key, ]
      var <- tp$var[key, ]
      col <- match(as.character(cause), sf$states)
      aj <- rep(NA_real_, length(eval_at))
      aj_se <- rep(NA_real_, length(eval_at))
      idx <- match(ss$time, eval_at)
      aj[idx] <- ss$pstate[, col]
      aj_se[idx] <- ss$std.err[, col]
      if (is.null(est)) est <- var <- rep(0, length(eval_at))
      rows[[length(rows) + 1]] <- data.frame(
        dataset = name, group = g, cause = cause, time = eval_at,
        cuminc_est = est, cuminc_var = var, survfit_pstate = aj, survfit_se = aj_se)
    }
  }
  do.call(rbind, rows)
}
cif <- rbind(
  cif_rows("mgus2", mgus$etime, mgus$event),
  cif_rows("mgus2_by_sex", mgus$etime, mgus$event, as.character(mgus$sex)),
  cif_rows("ties", ties$days, ties$event),
  cif_rows("ties_by_group", ties$days, ties$event, ties$group),
  cif_rows("heavy_censoring", heavy$days, heavy$event)
)
write.csv(format(cif, digits = digits), file.path(out_dir, "cr_cuminc.csv"),
          row.names = FALSE, quote = FALSE)

# ---- Fine-Gray ---------------------------------------------------------------------------
# finegray() expands the data; coxph with the fgwt weights fits the subdistribution hazard.
# `cluster = id` gives the robust (sandwich) variance summed over each subject's rows: the
# variance that ignores the estimation of the censoring distribution, as in Geskus (2011).
# crr() is Fine and Gray's own program (Breslow ties; its variance accounts for the
# estimated censoring distribution).
coef_rows <- list()
vcov_rows <- list()
fit_fg <- function(label, data, time, status, cause, covars, ties_method = "efron") {
  data$.time <- data[[time]]
  data$.status <- factor(data[[status]], levels = sort(unique(data[[status]])))
  data$.id <- seq_len(nrow(data))
  fml <- as.formula(paste("Surv(.time, .status) ~", paste(covars, collapse = " + "), "+ .id"))
  fgd <- finegray(fml, data = data, etype = as.character(cause), id = .id)
  cfml <- as.formula(paste("Surv(fgstart, fgstop, fgstatus) ~", paste(covars, collapse = " + ")))
  fit <- coxph(cfml, data = fgd, weights = fgwt, ties = ties_method, cluster = .id)
  cc <- complete.cases(data[, covars, drop = FALSE])
  X <- model.matrix(as.formula(paste("~", paste(covars, collapse = " + "))), data[cc, ])
  X <- X[, -1, drop = FALSE]
  cr <- crr(data$.time[cc], data[[status]][cc], X, failcode = cause, cencode = 0)
  terms <- names(coef(fit))
  coef_rows[[length(coef_rows) + 1]] <<- data.frame(
    dataset = label, cause = cause, ties = ties_method, term = terms,
    coef = unname(coef(fit)), crr_coef = unname(cr$coef),
    loglik_null = fit$loglik[1], loglik = fit$loglik[2], n_rows = fit$n, n_events = fit$nevent,
    n_subjects = sum(cc))
  grid <- expand.grid(i = seq_along(terms), j = seq_along(terms))
  vcov_rows[[length(vcov_rows) + 1]] <<- data.frame(
    dataset = label, term_i = terms[grid$i], term_j = terms[grid$j],
    naive_var = fit$naive.var[cbind(grid$i, grid$j)],
    robust_var = fit$var[cbind(grid$i, grid$j)],
    crr_var = cr$var[cbind(grid$i, grid$j)])
}
fit_fg("mgus2_pcm_sex", mgus, "etime", "event", 1, "sex")
fit_fg("mgus2_death_sex", mgus, "etime", "event", 2, "sex")
fit_fg("mgus2_pcm_age_sex_mspike", mgus, "etime", "event", 1, c("age", "sex", "mspike"))
fit_fg("mgus2_death_age_sex_mspike", mgus, "etime", "event", 2, c("age", "sex", "mspike"))
fit_fg("ties_cause1", ties, "days", "event", 1, c("x1", "x2", "group"))
fit_fg("ties_cause2", ties, "days", "event", 2, c("x1", "x2", "group"))
fit_fg("ties_cause1_breslow", ties, "days", "event", 1, c("x1", "x2", "group"), "breslow")
fit_fg("mgus2_pcm_age_sex_mspike_breslow", mgus, "etime", "event", 1,
       c("age", "sex", "mspike"), "breslow")
fit_fg("heavy_cause1", heavy, "days", "event", 1, c("z1", "z2"))
fit_fg("heavy_cause2", heavy, "days", "event", 2, c("z1", "z2"))
write.csv(format(do.call(rbind, coef_rows), digits = digits),
          file.path(out_dir, "cr_finegray_coef.csv"), row.names = FALSE, quote = FALSE)
write.csv(format(do.call(rbind, vcov_rows), digits = digits),
          file.path(out_dir, "cr_finegray_vcov.csv"), row.names = FALSE, quote = FALSE)

# ---- versions ----------------------------------------------------------------------------
writeLines(c(
  R.version.string,
  paste("survival", as.character(packageVersion("survival"))),
  paste("cmprsk", as.character(packageVersion("cmprsk"))),
  paste("platform", R.version$platform)),
  file.path("tests", "reference", "versions_competing_risks.txt"))
